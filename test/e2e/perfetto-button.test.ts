// Browser tests of the run page's worker table and "Open in Perfetto": served, the click opens ui.perfetto.dev
// (answered here by a stub page through request interception: no network) and posts the trace after the PING/PONG
// handshake, the same slices --trace writes; from file:// it downloads the trace instead and opens no window.
import type { TraceEvent } from '../../src/trace/trace.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import type { ConfigFile } from '../../src/contract/export-format.js';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';

/** What the timeline's debug hook shows of the idle gaps (web/src/timeline/api.ts). */
interface Globals {
  __stackvizTimeline?: {
    frames: number;
    idleGapsDrawn: number;
    idleGaps: { worker: number; gaps: [number, number][] }[];
  };
}

/** Stands in for ui.perfetto.dev: answers the second PING with PONG (to '*', as the UI does), keeps the trace. */
const STUB = `<!doctype html><title>stub Perfetto</title><script>
let pings = 0;
window.addEventListener('message', (e) => {
  if (e.data === 'PING') { if (++pings >= 2) e.source.postMessage('PONG', '*'); return; }
  const p = e.data && e.data.perfetto;
  if (p) window.received = { pings, title: p.title, url: p.url, isBuffer: p.buffer instanceof ArrayBuffer,
    text: new TextDecoder().decode(p.buffer) };
});
</script>`;

const REPO = 'examples/stestr-repo';
const DSTAT = 'examples/dstat.csv';
let root: string;
let site: string;
let browser: Browser;
let server: StaticServer;
let runKey: string;
let runName: string;

beforeAll(async () => {
  if (!existsSync('dist/web/index.html')) throw new Error('run `npm run build` first (npm test does)');
  root = mkdtempSync(join(tmpdir(), 'stackviz-perfetto-'));
  site = join(root, 'site');
  const r = spawnSync(
    process.execPath,
    [
      'bin/stackviz-export.js',
      '-q',
      '--html',
      '--single-file',
      join(root, 'report.html'),
      '-r',
      REPO,
      '--dstat',
      DSTAT,
      '--trace',
      join(root, 'cli-trace.json'),
      site,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  const config = JSON.parse(readFileSync(join(site, 'config.json'), 'utf8')) as ConfigFile;
  const run = config.tempest?.[2];
  runKey = run?.key as string;
  runName = run?.name as string;
  server = await startStaticServer(site);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A context where ui.perfetto.dev is the stub and every other request off this machine fails the test. */
async function offlineContext(outside: string[]): Promise<BrowserContext> {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('https://ui.perfetto.dev/'))
      return route.fulfill({ contentType: 'text/html', body: STUB });
    if (/^(https?:\/\/127\.0\.0\.1|file:|data:|blob:)/.test(url)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  return context;
}

/** The slices --trace wrote for the run (third process), as the viewer's trace must have them. */
function cliSlices(): Omit<TraceEvent, 'pid' | 'tid'>[] {
  const events = (
    JSON.parse(readFileSync(join(root, 'cli-trace.json'), 'utf8')) as { traceEvents: TraceEvent[] }
  ).traceEvents;
  const pid = events.find((e) => e.name === 'process_name' && e.args['name'] === runName)?.pid;
  return events.filter((e) => e.ph === 'X' && e.pid === pid).map(({ pid: _p, tid: _t, ...rest }) => rest);
}

function slicesOf(text: string): Omit<TraceEvent, 'pid' | 'tid'>[] {
  const doc = JSON.parse(text) as { traceEvents: TraceEvent[]; displayTimeUnit: string };
  expect(doc.displayTimeUnit).toBe('ms');
  return doc.traceEvents.filter((e) => e.ph === 'X').map(({ pid: _p, tid: _t, ...rest }) => rest);
}

describe('worker utilisation in the viewer, and Open in Perfetto', () => {
  it('shows the workers, and posts the trace to Perfetto only when clicked, after PING/PONG', async () => {
    const outside: string[] = [];
    const context = await offlineContext(outside);
    const page = await context.newPage();
    const popups: string[] = [];
    page.on('popup', (p) => popups.push(p.url()));
    await page.goto(`${server.url}#/run/${encodeURIComponent(runKey)}`);
    await page.waitForSelector('.workers-table tbody tr');
    const rows = await page.$$eval('.workers-table tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-worker')),
    );
    expect(rows).toEqual(['worker-0', 'worker-1']);
    const button = page.locator('button.perfetto');
    expect(await button.textContent()).toBe('Open in Perfetto');
    // Nothing is sent before the click.
    await page.waitForTimeout(300);
    expect(popups).toEqual([]);

    const [popup] = await Promise.all([page.waitForEvent('popup'), button.click()]);
    await popup.waitForFunction("'received' in window", null, { timeout: 30_000 });
    const got = (await popup.evaluate('window.received')) as {
      pings: number;
      title: string;
      url: string;
      isBuffer: boolean;
      text: string;
    };
    expect(popup.url()).toBe('https://ui.perfetto.dev/');
    expect(got.pings).toBeGreaterThanOrEqual(2);
    expect(got.isBuffer).toBe(true);
    expect(got.title).toBe(runName);
    expect(got.url).toContain(`#/run/`);
    // The browser's trace has the slices --trace wrote: one builder.
    expect(slicesOf(got.text)).toEqual(cliSlices());
    expect(JSON.parse(got.text).traceEvents.some((e: TraceEvent) => e.ph === 'C')).toBe(true);
    expect(outside).toEqual([]);
    await context.close();
  });

  it("the timeline shows each worker's idle gaps, which add up to the stats' idle time", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#/run/${encodeURIComponent(runKey)}/timeline`);
    // Functions, not strings: the page's CSP forbids eval.
    await page.waitForFunction(
      () => ((globalThis as unknown as Globals).__stackvizTimeline?.frames ?? 0) > 0,
    );
    const debug = await page.evaluate(() => {
      const d = (globalThis as unknown as Globals).__stackvizTimeline;
      return { drawn: d?.idleGapsDrawn ?? 0, gaps: d?.idleGaps ?? [] };
    });
    const config = JSON.parse(readFileSync(join(site, 'config.json'), 'utf8')) as ConfigFile;
    const workers = config.tempest?.[2]?.stats.workers ?? [];
    expect(workers.length).toBe(2);
    for (const w of workers) {
      const lane = debug.gaps.find((l) => `worker-${l.worker}` === w.name);
      const idleMs = (lane?.gaps ?? []).reduce((n, [s, e]) => n + (e - s), 0);
      // Within 5 µs: the viewer holds times as ms since the epoch in doubles (~0.2 µs apart at today's dates).
      expect(idleMs).toBeCloseTo(w.idle * 1000, 2);
      expect(idleMs).toBeGreaterThan(0);
    }
    expect(debug.drawn).toBeGreaterThan(0);
    await page.close();
  });

  it('from file:// offers the trace as a download, and opens no window', async () => {
    const outside: string[] = [];
    const context = await offlineContext(outside);
    const page = await context.newPage();
    const popups: string[] = [];
    page.on('popup', (p) => popups.push(p.url()));
    await page.goto(`${pathToFileURL(join(root, 'report.html')).href}#/run/${encodeURIComponent(runKey)}`);
    const button = page.locator('button.perfetto');
    await button.waitFor();
    expect(await button.textContent()).toBe('Download trace');
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toMatch(/\.trace\.json$/);
    const text = readFileSync((await download.path()) as string, 'utf8');
    expect(slicesOf(text)).toEqual(cliSlices());
    expect(popups).toEqual([]);
    expect(outside).toEqual([]);
    await context.close();
  });
});
