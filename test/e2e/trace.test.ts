// Black-box test of --trace: the trace's structure checked against the export's own raw.json (one slice per
// timed test at its start, on its worker's named thread, slices on a thread never overlapping) and the dstat
// counters against the runs' spans, on the real stestr repository with its real dstat log and on a stream
// recorded inside the pcp-dstat fixture's window.
import type { TraceEvent } from '../../src/trace/trace.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigFile, RawEntry } from '../../src/contract/export-format.js';
import { encodePacket, type PacketFields } from '../../src/formats/subunit/v2-encode.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const REPO = join(process.cwd(), 'examples', 'stestr-repo');
const DSTAT = join(process.cwd(), 'examples', 'dstat.csv');
const PCP_DSTAT = join(process.cwd(), 'test', 'fixtures', 'dstat', 'pcp-dstat-6.0.3.csv');
const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');

/** µs since the epoch of an isoformat() timestamp, exactly (Date.parse keeps only ms). */
function isoUs(iso: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{6}))?(\+00:00)$/.exec(iso);
  if (m === null) throw new Error(`not an isoformat() time: ${iso}`);
  return Date.parse(`${m[1] as string}Z`) * 1000 + Number(m[2] ?? 0);
}

function exportWithTrace(args: string[]): { dest: string; trace: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stackviz-trace-'));
  const dest = join(dir, 'dest');
  const trace = join(dir, 'trace.json');
  const r = spawnSync(process.execPath, [BIN, '-q', ...args, '--trace', trace, dest], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { dest, trace, text: readFileSync(trace, 'utf8') };
}

/** Checks every rule of the trace against the export; returns the counter events. */
function checkTrace(dest: string, text: string): TraceEvent[] {
  const doc = JSON.parse(text) as { traceEvents: TraceEvent[]; displayTimeUnit: string };
  expect(Object.keys(doc).sort()).toEqual(['displayTimeUnit', 'traceEvents']);
  expect(doc.displayTimeUnit).toBe('ms');
  const events = doc.traceEvents;
  const config = JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;
  const runs = config.tempest ?? [];

  // Process names: one per run, in order; the machine's when there are counters.
  const processName = new Map<number, string>();
  const threadName = new Map<string, string>();
  for (const e of events.filter((x) => x.ph === 'M')) {
    if (e.name === 'process_name') processName.set(e.pid, e.args['name'] as string);
    if (e.name === 'thread_name') threadName.set(`${e.pid}/${e.tid}`, e.args['name'] as string);
    if (e.name === 'thread_sort_index') expect(threadName.has(`${e.pid}/${e.tid}`)).toBe(true);
  }
  const runPids = [...processName.entries()].filter(([, n]) => n !== 'machine').map(([p]) => p);
  expect(runPids.map((p) => processName.get(p))).toEqual(runs.map((r) => r.name));

  const slices = events.filter((e) => e.ph === 'X');
  const spans: [number, number][] = [];
  runs.forEach((run, k) => {
    const pid = runPids[k] as number;
    const entries = JSON.parse(readFileSync(join(dest, run.raw), 'utf8')) as RawEntry[];
    const timed = entries.filter((e) => e.timestamps[0] !== null && e.timestamps[1] !== null);
    const mine = slices.filter((s) => s.pid === pid);
    // One slice per timed test, in the same order (completion order), at its start.
    expect(mine).toHaveLength(timed.length);
    timed.forEach((e, i) => {
      const s = mine[i] as TraceEvent;
      const start = isoUs(e.timestamps[0] as string);
      expect(s.ts).toBe(start);
      expect(s.dur).toBe(Math.max(0, isoUs(e.timestamps[1] as string) - start));
      expect(s.name).toBe(e.name);
      expect(s.args).toEqual({ status: e.status, id: e.id, tags: e.tags });
      const thread = threadName.get(`${pid}/${s.tid}`) as string;
      const base = e.worker === null ? 'no worker' : `worker-${e.worker}`;
      expect(thread === base || thread.startsWith(`${base} (`), `${thread} for ${base}`).toBe(true);
    });
    // Slices on one thread never overlap (so they nest trivially).
    const byThread = new Map<number, TraceEvent[]>();
    for (const s of mine) byThread.set(s.tid as number, [...(byThread.get(s.tid as number) ?? []), s]);
    for (const list of byThread.values()) {
      list.sort((a, b) => (a.ts as number) - (b.ts as number));
      for (let i = 1; i < list.length; i++) {
        const p = list[i - 1] as TraceEvent;
        expect((list[i] as TraceEvent).ts as number).toBeGreaterThanOrEqual(
          (p.ts as number) + (p.dur as number),
        );
      }
    }
    if (run.stats.start !== null && run.stats.end !== null)
      spans.push([isoUs(run.stats.start), isoUs(run.stats.end)]);
  });
  expect(slices).toHaveLength(runPids.reduce((n, p) => n + slices.filter((s) => s.pid === p).length, 0));

  // Counters: on the machine process, inside a run's span, numbers only.
  const counters = events.filter((e) => e.ph === 'C');
  for (const c of counters) {
    expect(processName.get(c.pid)).toBe('machine');
    const ts = c.ts as number;
    expect(
      spans.some(([s, e]) => ts >= s && ts <= e),
      `counter at ${ts} outside every run`,
    ).toBe(true);
    for (const v of Object.values(c.args)) expect(Number.isFinite(v)).toBe(true);
  }
  return counters;
}

const ts = (us: number): PacketFields['timestamp'] => ({
  seconds: Math.floor(us / 1e6),
  nanos: (us % 1e6) * 1000,
});

/**
 * A run inside the pcp-dstat fixture's 30 s (28 Nov 2026 14:36:23 UTC on): three workers, two tests that
 * overlap on worker-1, a test without a worker, one without an end.
 */
function streamInPcpWindow(): Buffer {
  const t0 = Date.UTC(2026, 10, 28, 14, 36, 30) * 1000;
  const p: PacketFields[] = [];
  const test = (
    id: string,
    worker: number | null,
    s: number,
    e: number | null,
    status: 'success' | 'fail' = 'success',
  ): void => {
    const tags = worker === null ? [] : [`worker-${worker}`];
    p.push({ testId: id, status: 'inprogress', timestamp: ts(t0 + s), tags });
    if (e !== null) p.push({ testId: id, status, timestamp: ts(t0 + e), tags });
  };
  for (let i = 0; i < 10; i++) test(`pkg.mod.Class.test_w0_${i}`, 0, i * 500_000, i * 500_000 + 400_000);
  test('pkg.mod.Class.test_w1_long', 1, 0, 3_000_000);
  test('pkg.mod.Class.test_w1_overlap', 1, 1_000_000, 2_000_000, 'fail');
  test('pkg.mod.Class.test_w2', 2, 250_000, 9_000_000);
  test('pkg.mod.Class.test_alone', null, 100_000, 200_000);
  test('pkg.mod.Class.test_open', 2, 9_500_000, null);
  return Buffer.concat(p.map((f) => encodePacket(f)));
}

describe('--trace', () => {
  it('puts every timed test of the real repository on its worker, with the real dstat log as counters', () => {
    const { dest, text } = exportWithTrace(['-r', REPO, '--dstat', DSTAT]);
    const counters = checkTrace(dest, text);
    // Runs 1 and 2 happened while dstat recorded (run 0 just before it began).
    expect(new Set(counters.map((c) => c.name))).toEqual(
      new Set(['CPU (%)', 'Memory (bytes)', 'Network (bytes/s)', 'Disk (bytes/s)', 'Load average']),
    );
  });

  it('reads a pcp-dstat log, and puts overlapping tests of a worker on an extra thread', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-trace-'));
    const input = join(dir, 'run.subunit');
    writeFileSync(input, streamInPcpWindow());
    const { dest, text } = exportWithTrace(['-f', input, '--dstat', PCP_DSTAT]);
    const counters = checkTrace(dest, text);
    // 14:36:30 to 14:36:39: the value in force at the start, then the rows of 14:36:31..39.
    expect(counters.filter((c) => c.name === 'CPU (%)')).toHaveLength(10);
    const names = JSON.parse(text).traceEvents.filter((e: TraceEvent) => e.name === 'thread_name');
    expect(names.map((e: TraceEvent) => e.args['name']).sort()).toEqual([
      'no worker',
      'worker-0',
      'worker-1',
      'worker-1 (2)',
      'worker-2',
    ]);
    const failed = JSON.parse(text).traceEvents.find((e: TraceEvent) => e.name.endsWith('test_w1_overlap'));
    expect(failed.cname).toBe('terrible');
  });

  it('is at most 3x the size of raw.json without counters', () => {
    for (const args of [
      ['-r', REPO],
      ['-f', join(STREAMS, 'stestr-failure.subunit')],
    ]) {
      const { dest, trace, text } = exportWithTrace(args);
      checkTrace(dest, text);
      const runs = (JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile).tempest ?? [];
      const raw = runs.reduce((n, r) => n + statSync(join(dest, r.raw)).size, 0);
      const size = statSync(trace).size;
      expect(size).toBeLessThanOrEqual(3 * raw);
    }
  });
});
