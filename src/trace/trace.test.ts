// Unit tests for the trace builder: threads per worker and overlap, slices, counters clipped to the runs' spans.
import type { TraceEvent as Ev } from './trace.js';
import { describe, expect, it } from 'vitest';
import { mergedSpans, traceText, type TraceTest } from './trace.js';

const test = (name: string, worker: number | null, s: number | null, e: number | null): TraceTest => ({
  name,
  id: `${name}[x]`,
  status: 'success',
  tags: worker === null ? [] : [`worker-${worker}`],
  worker,
  startUs: s,
  endUs: e,
});

function events(build: Parameters<typeof traceText>[0]): Ev[] {
  const doc = JSON.parse(traceText(build).join('')) as { traceEvents: Ev[]; displayTimeUnit: string };
  expect(doc.displayTimeUnit).toBe('ms');
  return doc.traceEvents;
}

const threadNames = (evs: Ev[]): Map<number, string> =>
  new Map(
    evs.filter((e) => e.name === 'thread_name').map((e) => [e.tid as number, e.args['name'] as string]),
  );

describe('TraceBuilder', () => {
  it('gives each worker a named thread and each timed test a slice at its start', () => {
    const evs = events((b) => {
      b.beginRun('run one');
      b.test(test('a', 1, 10, 20));
      b.test(test('b', 1, 20, 30)); // touches a: same thread
      b.test(test('c', 2, 5, 50));
      b.test(test('d', null, 0, 1));
      b.test(test('untimed', 1, null, 40));
    });
    expect(evs[0]).toEqual({ ph: 'M', pid: 2, name: 'process_name', args: { name: 'run one' } });
    const names = threadNames(evs);
    const slices = evs.filter((e) => e.ph === 'X');
    expect(slices.map((s) => [s.name, s.ts, s.dur, names.get(s.tid as number)])).toEqual([
      ['a', 10, 10, 'worker-1'],
      ['b', 20, 10, 'worker-1'],
      ['c', 5, 45, 'worker-2'],
      ['d', 0, 1, 'no worker'],
    ]);
    expect(slices[0]?.args).toEqual({ status: 'success', id: 'a[x]', tags: ['worker-1'] });
  });

  it('puts tests that overlap on one worker on its next free thread', () => {
    const evs = events((b) => {
      b.beginRun('r');
      b.test(test('short', 3, 2, 3));
      b.test(test('long', 3, 0, 10)); // reported later, started earlier: overlaps short
      b.test(test('third', 3, 1, 11)); // overlaps both
      b.test(test('after', 3, 12, 13)); // fits the first thread again
    });
    const names = threadNames(evs);
    const on = (n: string): string | undefined =>
      names.get(evs.find((e) => e.ph === 'X' && e.name === n)?.tid as number);
    expect([on('short'), on('long'), on('third'), on('after')]).toEqual([
      'worker-3',
      'worker-3 (2)',
      'worker-3 (3)',
      'worker-3',
    ]);
    const sort = evs.filter((e) => e.name === 'thread_sort_index').map((e) => e.args['sort_index']);
    expect(sort).toEqual([3000, 3001, 3002]);
  });

  it('makes a test that ends before it starts a slice of no length', () => {
    const evs = events((b) => {
      b.beginRun('r');
      b.test(test('back', 0, 10, 5));
    });
    expect(evs.find((e) => e.ph === 'X')).toMatchObject({ ts: 10, dur: 0 });
  });

  it('writes counters only inside the runs, with the value in force at a run’s start', () => {
    const log = {
      timeMs: Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      series: {
        cpu_user: Float64Array.from([NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        load_1m: Float64Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
      },
    };
    const evs = events((b) => {
      b.beginRun('r1');
      b.test(test('a', 0, 2500, 4000)); // 2.5 ms .. 4 ms
      b.beginRun('r2');
      b.test(test('b', 0, 7000, 7500));
      b.counters(log);
    });
    const counters = evs.filter((e) => e.ph === 'C');
    expect(counters.every((c) => c.pid === 1)).toBe(true);
    expect(counters.filter((c) => c.name === 'CPU (%)').map((c) => [c.ts, c.args['user']])).toEqual([
      [2500, 2],
      [3000, 3],
      [4000, 4],
      [7000, 7],
    ]);
    expect(evs.find((e) => e.pid === 1 && e.name === 'process_name')?.args['name']).toBe('machine');
  });

  it('leaves out NaN values and a log that ends before the run', () => {
    const log = { timeMs: Float64Array.from([0, 1]), series: { cpu_user: Float64Array.from([NaN, NaN]) } };
    const evs = events((b) => {
      b.beginRun('r');
      b.test(test('a', 0, 0, 500));
      b.test(test('late', 0, 5000, 6000));
      b.counters(log);
    });
    expect(evs.filter((e) => e.ph === 'C')).toEqual([]);
  });
});

describe('mergedSpans', () => {
  it('sorts and joins overlapping spans', () => {
    expect(
      mergedSpans([
        [5, 9],
        [0, 2],
        [1, 3],
        [9, 10],
      ]),
    ).toEqual([
      [0, 3],
      [5, 10],
    ]);
  });
});
