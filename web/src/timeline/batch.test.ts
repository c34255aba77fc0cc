// Per-pixel batching: every test gets a pixel, sub-pixel tests merge, fail outranks success in a shared pixel.
import { describe, expect, it } from 'vitest';
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import { BUCKETS, RectList, batchRow, bucketKey, bucketPaintRank, newCounts, summariseRow } from './batch';
import { buildLayout } from './layout';
import { makeTable, type FixtureTest } from './test-table.fixture';

function run(
  list: FixtureTest[],
  t0Ms: number,
  t1Ms: number,
  widthDevicePx: number,
  mask: Uint8Array | null = null,
  alarmMinDevicePx = 0,
) {
  const t = makeTable(list);
  const l = buildLayout(t);
  const buckets = Array.from({ length: BUCKETS }, () => new RectList());
  const counts = newCounts();
  for (const row of l.rows) {
    batchRow(
      row,
      0,
      {
        t0Ms,
        t1Ms,
        x0DevicePx: 0,
        devicePxPerMs: widthDevicePx / (t1Ms - t0Ms),
        xMinDevicePx: 0,
        xMaxDevicePx: widthDevicePx,
        status: t.status,
        open: l.open,
        mask,
        alarmMinDevicePx,
      },
      buckets,
      counts,
    );
  }
  const rects = (status: string, dimmed = false): number[][] => {
    const b = buckets[bucketKey(EXPORT_STATUSES.indexOf(status as never), dimmed, false)];
    const out: number[][] = [];
    if (!b) return out;
    for (let i = 0; i < b.length; i++) out.push([b.data[i * 3] ?? 0, b.data[i * 3 + 2] ?? 0]);
    return out;
  };
  return { counts, rects };
}

describe('batchRow', () => {
  it('keeps failures, unexpected successes and hung tests at least the minimum width, passes not', () => {
    const list: FixtureTest[] = [
      { name: 'p', worker: 0, start: 0, end: 10 },
      { name: 'f', worker: 0, start: 10, end: 10.002, status: 'fail' },
      { name: 'u', worker: 0, start: 20, end: 20.001, status: 'uxsuccess' },
      { name: 'q', worker: 0, start: 30, end: 30.001 },
      // At the plot's right edge: widened to the left, still inside the plot.
      { name: 'f2', worker: 0, start: 99.999, end: 100, status: 'fail' },
    ];
    const { rects } = run(list, 0, 100_000, 1000, null, 3);
    expect(rects('fail')).toEqual([
      [100, 3],
      [998, 3],
    ]);
    expect(rects('uxsuccess')).toEqual([[200, 3]]);
    expect(rects('success').find(([x]) => x === 300)).toEqual([300, 1]);
    const dimmed = run(list, 0, 100_000, 1000, new Uint8Array(list.length), 3);
    expect(dimmed.rects('fail', true).every(([, w]) => (w ?? 0) <= 1)).toBe(true);
  });

  it('merges 10,000 sub-pixel tests into runs bounded by the width in pixels', () => {
    const list = Array.from({ length: 10_000 }, (_, i) => ({
      name: `t${i}`,
      worker: 0,
      start: i * 0.01,
      end: i * 0.01 + 0.005,
    }));
    const { counts, rects } = run(list, 0, 100_000, 200);
    expect(counts.drawnByCode[0]).toBe(10_000);
    expect(counts.rects).toBeLessThanOrEqual(200);
    const total = rects('success').reduce((a, [, w]) => a + (w ?? 0), 0);
    expect(total).toBeGreaterThanOrEqual(200);
  });

  it('gives a zero-duration test at least one pixel', () => {
    const { rects } = run([{ name: 'z', worker: 0, start: 50, end: 50 }], 0, 100_000, 1000);
    expect(rects('success')).toEqual([[500, 1]]);
  });

  it('keeps wide neighbours of one colour apart and merges narrow ones', () => {
    const wide = run(
      [
        { name: 'a', worker: 0, start: 0, end: 10 },
        { name: 'b', worker: 0, start: 10, end: 20 },
      ],
      0,
      20_000,
      200,
    );
    expect(wide.rects('success')).toEqual([
      [0, 99],
      [100, 99],
    ]);
    const narrow = run(
      [
        { name: 'a', worker: 0, start: 0, end: 1 },
        { name: 'b', worker: 0, start: 1, end: 2 },
      ],
      0,
      20_000,
      40,
    );
    expect(narrow.rects('success')).toEqual([[0, 4]]);
  });

  it('shows a failure squeezed among successes in the same pixel', () => {
    const list: FixtureTest[] = Array.from({ length: 100 }, (_, i) => ({
      name: `t${i}`,
      worker: 0,
      start: i * 0.001,
      end: i * 0.001 + 0.0005,
    }));
    const failed = list[50];
    if (failed) failed.status = 'fail';
    const { rects } = run(list, 0, 1000, 1000);
    expect(rects('fail').length).toBe(1);
    expect(rects('fail')[0]?.[1]).toBe(1);
  });

  it('puts dimmed tests in their own buckets and counts them', () => {
    const list = [
      { name: 'a', worker: 0, start: 0, end: 10 },
      { name: 'b', worker: 0, start: 20, end: 30 },
    ];
    const { counts, rects } = run(list, 0, 40_000, 400, Uint8Array.from([1, 0]));
    expect(counts.dimmed).toBe(1);
    expect(rects('success')).toEqual([[0, 99]]);
    expect(rects('success', true)).toEqual([[200, 99]]);
  });

  it('skips tests outside the window and clips long ones', () => {
    const list = [
      { name: 'before', worker: 0, start: 0, end: 1 },
      { name: 'long', worker: 0, start: 2, end: 100_000 },
    ];
    const { counts, rects } = run(list, 5000, 6000, 100);
    expect(counts.drawnByCode[0]).toBe(1);
    expect(rects('success')).toEqual([[-1, 101]]);
  });
});

describe('dense rows with a summary', () => {
  /** Paints the buckets into one key per pixel, in paint order, like the canvas does. */
  function paint(buckets: RectList[], width: number): Int16Array {
    const px = new Int16Array(width + 4).fill(-1);
    const order = Array.from({ length: BUCKETS }, (_, k) => k).sort(
      (a, b) => bucketPaintRank(a) - bucketPaintRank(b),
    );
    for (const key of order) {
      const b = buckets[key];
      if (!b) continue;
      for (let i = 0; i < b.length; i++) {
        const x = b.data[i * 3] ?? 0;
        const w = b.data[i * 3 + 2] ?? 0;
        for (let j = Math.max(-1, x); j < x + w && j <= width + 2; j++) px[j + 1] = key;
      }
    }
    return px;
  }

  it('draws the same pixels and counts as visiting every test, with far fewer steps', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const list: FixtureTest[] = [];
    let t = 0;
    const statuses = ['success', 'success', 'success', 'skip', 'fail', 'xfail', 'inprogress'] as const;
    for (let i = 0; i < 20_000; i++) {
      const d = rnd() < 0.02 ? rnd() * 200 : rnd() * 0.5;
      list.push({
        name: `t${i}`,
        worker: 0,
        start: t,
        end: t + d,
        status: statuses[Math.floor(rnd() * statuses.length)],
      });
      t += d + rnd() * 0.2;
    }
    const table = makeTable(list);
    const l = buildLayout(table);
    const mask = Uint8Array.from({ length: table.count }, () => (rnd() < 0.7 ? 1 : 0));
    const width = 500;
    for (const [t0, t1] of [
      [0, t * 1000],
      [t * 250, t * 400],
      [t * 10, t * 10 + 2000],
    ] as const) {
      const input = {
        t0Ms: t0,
        t1Ms: t1,
        x0DevicePx: 0,
        devicePxPerMs: width / (t1 - t0),
        xMinDevicePx: 0,
        xMaxDevicePx: width,
        status: table.status,
        open: l.open,
        mask,
      };
      const plain = Array.from({ length: BUCKETS }, () => new RectList());
      const fast = Array.from({ length: BUCKETS }, () => new RectList());
      const c1 = newCounts();
      const c2 = newCounts();
      for (const row of l.rows) {
        batchRow(row, 0, input, plain, c1);
        batchRow(row, 0, input, fast, c2, summariseRow(row, table.status, l.open, mask));
      }
      expect(Array.from(c2.drawnByCode)).toEqual(Array.from(c1.drawnByCode));
      expect(c2.dimmed).toBe(c1.dimmed);
      expect(Array.from(paint(fast, width))).toEqual(Array.from(paint(plain, width)));
    }
  });
});
