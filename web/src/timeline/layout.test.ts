// Lane assignment: one lane per worker, sub-rows for overlaps, effective intervals, window queries, hit testing.
import { describe, expect, it } from 'vitest';
import { buildLayout, hitTestRow, visibleRange } from './layout';
import { makeTable } from './test-table.fixture';

describe('buildLayout', () => {
  it('puts each worker in its own lane, ordered by worker number, no-worker lane last', () => {
    const t = makeTable([
      { name: 'a', worker: 2, start: 0, end: 1 },
      { name: 'b', start: 0, end: 1 },
      { name: 'c', worker: 0, start: 0, end: 1 },
      { name: 'd', worker: 2, start: 1, end: 2 },
    ]);
    const l = buildLayout(t);
    expect(l.lanes.map((x) => x.label)).toEqual(['worker 0', 'worker 2', 'no worker']);
    expect(Array.from(l.lanes[1]?.order ?? [])).toEqual([0, 3]);
    expect(l.laneOf[1]).toBe(2);
    expect(l.rows.length).toBe(3);
  });

  it('stacks overlapping tests of one worker in sub-rows, touching tests share a row', () => {
    const t = makeTable([
      { name: 'long', worker: 0, start: 0, end: 10 },
      { name: 'inside', worker: 0, start: 2, end: 3 },
      { name: 'inside2', worker: 0, start: 2.5, end: 4 },
      { name: 'after', worker: 0, start: 10, end: 11 },
      { name: 'later', worker: 0, start: 3, end: 5 },
    ]);
    const l = buildLayout(t);
    expect(l.lanes[0]?.rowCount).toBe(3);
    expect(l.rowOf[0]).toBe(0);
    expect(l.rowOf[1]).toBe(1);
    expect(l.rowOf[2]).toBe(2);
    expect(l.rowOf[4]).toBe(1); // starts at 3, when "inside" ended
    expect(l.rowOf[3]).toBe(0); // touches the end of "long"
    // Within a row nothing overlaps, so ends are sorted like starts.
    for (const row of l.rows) {
      for (let k = 1; k < row.index.length; k++) {
        expect(row.startMs[k] ?? 0).toBeGreaterThanOrEqual(row.endMs[k - 1] ?? 0);
      }
    }
  });

  it('keeps zero-duration, end-only, negative and open tests; counts tests with no time', () => {
    const t = makeTable([
      { name: 'zero', worker: 0, start: 5, end: 5 },
      { name: 'endOnly', worker: 0, start: null, end: 7 },
      { name: 'negative', worker: 0, start: 8, end: 6 },
      { name: 'open', status: 'inprogress', worker: 1, start: 2, end: null },
      { name: 'none', worker: 1, start: null, end: null },
      { name: 'last', worker: 1, start: 9, end: 20 },
    ]);
    const l = buildLayout(t);
    expect(l.runStartMs).toBe(2000);
    expect(l.runEndMs).toBe(20000);
    expect([l.startMs[0], l.endMs[0]]).toEqual([5000, 5000]);
    expect([l.startMs[1], l.endMs[1]]).toEqual([7000, 7000]);
    expect([l.startMs[2], l.endMs[2]]).toEqual([8000, 8000]);
    expect([l.startMs[3], l.endMs[3], l.open[3]]).toEqual([2000, 20000, 1]);
    expect(l.rowOf[4]).toBe(-1);
    expect(l.unplaced).toBe(1);
    // The open test runs to the end, so "last" overlaps it and gets a second row.
    expect(l.lanes[1]?.rowCount).toBe(2);
  });
});

describe('visibleRange and hitTestRow', () => {
  const t = makeTable(
    Array.from({ length: 100 }, (_, i) => ({ name: `t${i}`, worker: 0, start: i, end: i + 0.5 })),
  );
  const l = buildLayout(t);
  const row = l.rows[0];
  if (!row) throw new Error('no row');

  it('finds exactly the tests touching the window', () => {
    expect(visibleRange(row, 10_200, 12_100)).toEqual([10, 13]);
    expect(visibleRange(row, 10_600, 10_900)).toEqual([11, 11]); // the gap between two tests
    expect(visibleRange(row, -5000, 1e9)).toEqual([0, 100]);
  });

  it('hits the test under the point, or the nearest within the tolerance', () => {
    expect(hitTestRow(row, 42_250, 0)).toBe(42);
    expect(hitTestRow(row, 42_600, 50)).toBe(-1);
    expect(hitTestRow(row, 42_600, 150)).toBe(42);
    expect(hitTestRow(row, 42_900, 150)).toBe(43);
  });
});
