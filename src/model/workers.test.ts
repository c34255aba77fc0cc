// Unit tests for worker utilisation: interval unions, idle time, makespan and the long pole, against a brute force.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromMicros } from './time.js';
import { LONG_POLE_TESTS, WorkerAccumulator, type WorkerInput } from './workers.js';

const S = 1_000_000;
const t = (worker: number | null, s: number | null, e: number | null, name = 't'): WorkerInput => ({
  name,
  worker,
  startUs: s,
  endUs: e,
});

function run(tests: WorkerInput[]): WorkerAccumulator {
  const w = new WorkerAccumulator();
  tests.forEach((x, i) => w.add(x, i));
  return w;
}

/** The union's length the slow way: sort, merge. */
function unionUs(intervals: [number, number][]): number {
  const sorted = intervals.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cs = -Infinity;
  let ce = -Infinity;
  for (const [s, e] of sorted) {
    if (s > ce) {
      if (ce > cs) total += ce - cs;
      cs = s;
      ce = e;
    } else ce = Math.max(ce, e);
  }
  if (ce > cs) total += ce - cs;
  return total;
}

describe('WorkerAccumulator', () => {
  it('counts busy as the union, idle as the gaps, per worker', () => {
    const w = run([
      t(1, 0, 2 * S),
      t(1, 1 * S, 3 * S), // overlaps the first
      t(1, 5 * S, 6 * S), // 2 s idle before it
      t(2, 0, 1 * S),
      t(1, null, null), // counted, not timed
    ]);
    expect(w.workersResult()).toEqual([
      { name: 'worker-1', tests: 4, busy: 4, idle: 2, start: isoFromMicros(0), end: isoFromMicros(6 * S) },
      { name: 'worker-2', tests: 1, busy: 1, idle: 0, start: isoFromMicros(0), end: isoFromMicros(1 * S) },
    ]);
    expect(w.makespan()).toBe(6);
  });

  it('names the long pole: the last worker, how long it ran alone, its tests after the others ended', () => {
    const w = run([
      t(0, 0, 1 * S, 'a'),
      t(1, 0, 2 * S, 'b'),
      t(0, 1 * S, 3 * S, 'c'), // ends after worker-1's last end (2 s)
      t(0, 3 * S, 7 * S, 'd'),
    ]);
    expect(w.longPole()).toEqual({
      worker: 'worker-0',
      after: 5,
      tests: [
        { name: 'c', index: 2, start: isoFromMicros(1 * S), end: isoFromMicros(3 * S) },
        { name: 'd', index: 3, start: isoFromMicros(3 * S), end: isoFromMicros(7 * S) },
      ],
    });
  });

  it('drops long-pole candidates once another worker outlasts them', () => {
    const w = run([t(0, 0, 5 * S, 'early'), t(1, 0, 6 * S, 'late'), t(0, 6 * S, 7 * S, 'last')]);
    expect(w.longPole()?.tests.map((x) => x.name)).toEqual(['last']);
    expect(w.longPole()?.after).toBe(1);
  });

  it('has no long pole with one worker, and nothing without workers', () => {
    expect(run([t(0, 0, S)]).longPole()).toBeNull();
    const none = run([t(null, 0, S)]);
    expect(none.workersResult()).toEqual([]);
    expect(none.longPole()).toBeNull();
    expect(none.makespan()).toBe(1);
    expect(run([]).makespan()).toBeNull();
  });

  it('ignores a test that ends before it starts for busy time, but not for the span', () => {
    const [r] = run([t(3, 2 * S, 1 * S), t(3, 4 * S, 5 * S)]).workersResult();
    expect(r).toMatchObject({ busy: 1, start: isoFromMicros(2 * S), end: isoFromMicros(5 * S), idle: 2 });
  });

  it('agrees with a sort-and-merge union for tests in rough completion order', () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 500 }));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (raw, jitter) => {
        // Sorted by end, then a few neighbours swapped: the order a worker's tests are reported in.
        const xs = raw.map(([s, d]) => [s, s + d] as [number, number]).sort((a, b) => a[1] - b[1]);
        for (let i = jitter; i + 1 < xs.length; i += 5)
          xs.splice(i, 2, xs[i + 1] as [number, number], xs[i] as [number, number]);
        const w = run(xs.map(([s, e]) => t(7, s, e)));
        const res = w.workersResult();
        if (xs.length === 0) {
          expect(res).toEqual([]);
          return;
        }
        expect(res[0]?.busy).toBeCloseTo(unionUs(xs) / S, 9);
        const span = Math.max(...xs.map((x) => x[1])) - Math.min(...xs.map((x) => x[0]));
        expect(res[0]?.idle).toBeCloseTo((span - unionUs(xs)) / S, 9);
      }),
    );
  });

  it('keeps few intervals open however many tests a worker runs', () => {
    const w = new WorkerAccumulator();
    // 100,000 tests with gaps: every one a separate interval.
    for (let i = 0; i < 100_000; i++) w.add(t(1, i * 10, i * 10 + 5), i);
    const open = (w as unknown as { workers: Map<number, { open: number[] }> }).workers.get(1)?.open;
    expect(open?.length).toBeLessThanOrEqual(64);
    expect(w.workersResult()[0]).toMatchObject({ tests: 100_000, busy: 0.5, idle: (999_995 - 500_000) / S });
  });
});

describe('the long pole of a long run', () => {
  it('lists at most LONG_POLE_TESTS tests, the latest', () => {
    const w = new WorkerAccumulator();
    w.add(t(1, 0, 1), 0);
    for (let i = 1; i <= 50_000; i++) w.add(t(0, i * 10, i * 10 + 5, `t${i}`), i);
    const pole = w.longPole();
    expect(pole?.tests).toHaveLength(LONG_POLE_TESTS);
    expect(pole?.tests.at(-1)?.name).toBe('t50000');
  });
});
