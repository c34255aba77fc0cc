// Turns the visible tests of each row into few rectangles: sub-pixel tests merge into per-pixel runs, batched by colour.
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import type { LaneRow } from './layout';
import { visibleRange } from './layout';

/**
 * Which status wins a pixel shared by several tests: the rarer and more alarming on top, so one failure among
 * a thousand successes squeezed into one pixel still shows.
 */
const PRIORITY: Readonly<Record<ExportStatus, number>> = {
  success: 0,
  skip: 1,
  exists: 2,
  unknown: 3,
  xfail: 4,
  inprogress: 5,
  uxsuccess: 6,
  fail: 7,
};
export const STATUS_PRIORITY: readonly number[] = EXPORT_STATUSES.map((s) => PRIORITY[s]);

/** Bucket key = status code × 4 + dimmed × 2 + open. */
export const BUCKETS = EXPORT_STATUSES.length * 4;
export function bucketKey(code: number, dimmed: boolean, open: boolean): number {
  return code * 4 + (dimmed ? 2 : 0) + (open ? 1 : 0);
}
/** Paint order: dimmed below full strength, then by status priority. */
export function bucketPaintRank(key: number): number {
  const code = key >> 2;
  const dimmed = (key & 2) !== 0;
  return (dimmed ? 0 : 100) + (STATUS_PRIORITY[code] ?? 0) * 2 + (key & 1);
}

/** Growable (x, y, w) device-px triples of one colour bucket. */
export class RectList {
  data = new Float32Array(3 * 256);
  length = 0;
  push(x: number, y: number, w: number): void {
    if (this.length * 3 + 3 > this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const o = this.length * 3;
    this.data[o] = x;
    this.data[o + 1] = y;
    this.data[o + 2] = w;
    this.length++;
  }
  clear(): void {
    this.length = 0;
  }
}

/** Width (device px) from which a test is drawn on its own with a one-pixel gap after it. */
export const WIDE = 4;

export interface BatchInput {
  readonly t0Ms: number;
  readonly t1Ms: number;
  /** Device px of t0Ms, and device px per ms. */
  readonly x0DevicePx: number;
  readonly devicePxPerMs: number;
  /** Drawing area in device px; rectangles are clipped to it (a 1-day test zoomed to 1 µs stays finite). */
  readonly xMinDevicePx: number;
  readonly xMaxDevicePx: number;
  readonly status: Uint8Array;
  readonly open: Uint8Array;
  /** null = nothing dimmed. */
  readonly mask: Uint8Array | null;
}

export interface BatchCounts {
  /** Tests in the window per status code (whether merged into a neighbour's run or not). */
  readonly drawnByCode: Int32Array;
  dimmed: number;
  rects: number;
}

export function newCounts(): BatchCounts {
  return { drawnByCode: new Int32Array(EXPORT_STATUSES.length), dimmed: 0, rects: 0 };
}

/**
 * Appends one row's visible tests to the buckets. Every test gets at least one device pixel; a test that falls
 * entirely inside the current run and does not outrank it adds nothing, so the rectangles per row are bounded
 * by its width in pixels, not by its number of tests.
 */
export function batchRow(
  row: LaneRow,
  yDevicePx: number,
  inp: BatchInput,
  buckets: readonly RectList[],
  counts: BatchCounts,
): void {
  const [from, to] = visibleRange(row, inp.t0Ms, inp.t1Ms);
  const k = inp.devicePxPerMs;
  const lo = inp.xMinDevicePx - 1;
  const hi = inp.xMaxDevicePx + 1;
  let curKey = -1;
  let curX0 = 0;
  let curX1 = 0;
  let curRank = -1;
  // A test at least WIDE device px wide is drawn alone, one pixel short, so neighbours stay apart;
  // narrower tests merge with a neighbour of the same colour (at that size a gap would be all there is).
  let curWide = false;
  const flush = (): void => {
    if (curKey < 0) return;
    buckets[curKey]?.push(curX0, yDevicePx, curX1 - curX0 - (curWide ? 1 : 0));
    counts.rects++;
  };
  for (let p = from; p < to; p++) {
    const t = row.index[p] ?? 0;
    const code = inp.status[t] ?? 0;
    const dimmed = inp.mask !== null && inp.mask[t] === 0;
    counts.drawnByCode[code] = (counts.drawnByCode[code] ?? 0) + 1;
    if (dimmed) counts.dimmed++;
    let xa = Math.floor(inp.x0DevicePx + ((row.startMs[p] ?? 0) - inp.t0Ms) * k);
    let xb = Math.round(inp.x0DevicePx + ((row.endMs[p] ?? 0) - inp.t0Ms) * k);
    if (xa < lo) xa = lo;
    if (xb > hi) xb = hi;
    if (xb < xa + 1) xb = xa + 1;
    const key = bucketKey(code, dimmed, inp.open[t] === 1);
    const wide = xb - xa >= WIDE;
    if (!wide && !curWide && key === curKey && xa <= curX1) {
      if (xb > curX1) curX1 = xb;
      continue;
    }
    const rank = bucketPaintRank(key);
    if (curKey >= 0 && xb <= curX1 && rank <= curRank) continue;
    flush();
    curKey = key;
    curX0 = xa;
    curX1 = xb;
    curRank = rank;
    curWide = wide;
  }
  flush();
}
