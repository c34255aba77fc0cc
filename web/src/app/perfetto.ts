// "Open in Perfetto": a run's trace, built in the browser with the exporter's own builder (src/trace), posted to
// ui.perfetto.dev with its documented handshake, or downloaded where the page has no origin (file://).
import { traceText, type CounterLog } from '../../../src/trace/trace';
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import type { TestTable } from '../model/types';

export const PERFETTO_ORIGIN = 'https://ui.perfetto.dev';
/** How often 'PING' is sent, and how long to wait for the UI's 'PONG' before giving up. */
const PING_MS = 100;
const WAIT_MS = 60_000;

/**
 * Whether the trace can be posted: a page from file:// has the origin "null", and Perfetto's answer to it
 * cannot be told from any other page's (the docs say to serve the host page over http(s)).
 */
export function canPostToPerfetto(): boolean {
  // window.origin, not location.origin: Chromium gives a file:// page's location the origin "file://".
  return window.origin !== 'null';
}

/** The run's trace as UTF-8 bytes: a process for the run, a thread per worker, a slice per timed test. */
export function runTraceBytes(
  title: string,
  tests: TestTable,
  dstat: CounterLog | null,
): Uint8Array<ArrayBuffer> {
  const us = (ms: number | undefined): number | null =>
    ms === undefined || Number.isNaN(ms) ? null : Math.round(ms * 1000);
  const parts = traceText((b) => {
    b.beginRun(title);
    for (let i = 0; i < tests.count; i++) {
      const w = tests.worker[i] ?? -1;
      b.test({
        name: tests.name[i] ?? '',
        id: tests.id[i] ?? '',
        status: EXPORT_STATUSES[tests.status[i] ?? 0] ?? 'unknown',
        tags: tests.tags[i] ?? [],
        worker: w < 0 ? null : w,
        startUs: us(tests.startMs[i]),
        endUs: us(tests.endMs[i]),
      });
    }
    if (dstat !== null) b.counters(dstat);
  });
  return new TextEncoder().encode(parts.join(''));
}

/**
 * Post a trace to a Perfetto window opened by the caller (opened in the click itself: a popup opened later is
 * blocked): 'PING' until it answers 'PONG', then `{perfetto: {buffer, title, url}}`.
 */
export function postToPerfetto(win: Window, bytes: Uint8Array<ArrayBuffer>, title: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = window.setInterval(() => {
      if (win.closed || Date.now() - started > WAIT_MS) {
        stop();
        reject(new Error(win.closed ? 'the Perfetto window was closed' : 'Perfetto did not answer'));
        return;
      }
      win.postMessage('PING', PERFETTO_ORIGIN);
    }, PING_MS);
    const onMessage = (e: MessageEvent): void => {
      if (e.source !== win || e.data !== 'PONG') return;
      stop();
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      win.postMessage({ perfetto: { buffer, title, url: window.location.href } }, PERFETTO_ORIGIN, [buffer]);
      resolve();
    };
    const stop = (): void => {
      window.clearInterval(timer);
      window.removeEventListener('message', onMessage);
    };
    window.addEventListener('message', onMessage);
  });
}

/** Offer the trace as a file (Perfetto and chrome://tracing open it with their "Open trace file"). */
export function downloadTrace(bytes: Uint8Array<ArrayBuffer>, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
