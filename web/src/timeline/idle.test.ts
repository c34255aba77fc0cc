// Idle gaps: the holes in each worker's union of test intervals, and the pixel spans a window draws.
import { describe, expect, it } from 'vitest';
import { buildIdleGaps, visibleGaps } from './idle';
import { buildLayout } from './layout';
import { makeTable } from './test-table.fixture';

const gapsOf = (g: { startMs: Float64Array; endMs: Float64Array } | undefined): number[][] =>
  Array.from(g?.startMs ?? [], (s, k) => [s, g?.endMs[k] ?? NaN]);

describe('buildIdleGaps', () => {
  it('finds the holes between a worker’s merged intervals, none for the no-worker lane', () => {
    const layout = buildLayout(
      makeTable([
        { name: 'a', worker: 0, start: 0, end: 2 },
        { name: 'b', worker: 0, start: 1, end: 3 }, // overlaps a
        { name: 'c', worker: 0, start: 5, end: 6 }, // 2 s idle before it
        { name: 'd', worker: 0, start: 6, end: 7 }, // touches c: no gap
        { name: 'e', worker: 0, start: 9, end: 10 },
        { name: 'f', worker: 1, start: 0, end: 10 },
        { name: 'g', start: 0, end: 1 },
        { name: 'h', start: 4, end: 5 },
        { name: 'unplaced', worker: 0, start: null, end: null },
      ]),
    );
    const idle = buildIdleGaps(layout);
    expect(gapsOf(idle[0])).toEqual([
      [3000, 5000],
      [7000, 9000],
    ]);
    expect(gapsOf(idle[1])).toEqual([]);
    expect(gapsOf(idle[2])).toEqual([]);
  });
});

describe('visibleGaps', () => {
  const gaps = {
    startMs: Float64Array.from([0, 10, 10.5, 20, 40]),
    endMs: Float64Array.from([5, 10.4, 15, 30, 50]),
  };
  it('clips to the window, drops sub-pixel gaps, merges touching spans', () => {
    // 1 px per ms: [0,5) is cut at 2; 10..10.4 is under a pixel; 40.. is past the window.
    expect(visibleGaps(gaps, 2, 35, (ms) => ms)).toEqual([2, 5, 10.5, 15, 20, 30]);
    // 0.1 px per ms: everything is under a pixel but [20, 30) and [40, 50).
    expect(visibleGaps(gaps, 0, 100, (ms) => ms / 10)).toEqual([2, 3, 4, 5]);
    expect(visibleGaps(gaps, 60, 70, (ms) => ms)).toEqual([]);
  });
});
