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

/**
 * Statuses a reader looks for (failures, unexpected successes, tests left running): drawn at least
 * `BatchInput.alarmMinDevicePx` wide, so a 20 ms failure in a 2-hour run is not a one-pixel sliver.
 */
export const ALARM: Uint8Array = Uint8Array.from(EXPORT_STATUSES, (s) =>
  s === 'fail' || s === 'uxsuccess' || s === 'inprogress' ? 1 : 0,
);
/** Minimum width of an alarm status's bar, css px. */
export const ALARM_MIN_CSS_PX = 3;

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
  /** Minimum width (device px) of a bar of an ALARM status that is not dimmed; 0 or absent = 1 px. */
  readonly alarmMinDevicePx?: number;
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

/** Block size of RowSummary.blockMaxRank. */
const BLOCK = 32;
const STATUS_COUNT = EXPORT_STATUSES.length;

/** Paint rank → bucket key (ranks are distinct per key). */
const KEY_OF_RANK: Int16Array = (() => {
  const t = new Int16Array(256).fill(-1);
  for (let key = 0; key < BUCKETS; key++) t[bucketPaintRank(key)] = key;
  return t;
})();

/**
 * Per-row summary that lets a dense row be drawn in time proportional to its width in pixels: prefix counts
 * (per status, and of dimmed tests) answer "how many tests in [from, to)" without visiting them, and the
 * maximum paint rank per block of 32 tests answers "which colour wins this pixel" in O(32 + n/32).
 * Built from the filter, so rebuilt when the filter changes.
 */
export interface RowSummary {
  readonly statusPrefix: Int32Array;
  readonly dimmedPrefix: Int32Array;
  readonly rank: Uint8Array;
  readonly blockMaxRank: Uint8Array;
}

export function summariseRow(
  row: LaneRow,
  status: Uint8Array,
  open: Uint8Array,
  mask: Uint8Array | null,
): RowSummary {
  const n = row.index.length;
  const statusPrefix = new Int32Array((n + 1) * STATUS_COUNT);
  const dimmedPrefix = new Int32Array(n + 1);
  const rank = new Uint8Array(n);
  const blockMaxRank = new Uint8Array(Math.ceil(n / BLOCK));
  for (let p = 0; p < n; p++) {
    const t = row.index[p] ?? 0;
    const code = status[t] ?? 0;
    const dimmed = mask !== null && mask[t] === 0;
    const base = p * STATUS_COUNT;
    for (let c = 0; c < STATUS_COUNT; c++)
      statusPrefix[base + STATUS_COUNT + c] = statusPrefix[base + c] ?? 0;
    statusPrefix[base + STATUS_COUNT + code] = (statusPrefix[base + STATUS_COUNT + code] ?? 0) + 1;
    dimmedPrefix[p + 1] = (dimmedPrefix[p] ?? 0) + (dimmed ? 1 : 0);
    const r = bucketPaintRank(bucketKey(code, dimmed, open[t] === 1));
    rank[p] = r;
    const b = (p / BLOCK) | 0;
    if (r > (blockMaxRank[b] ?? 0)) blockMaxRank[b] = r;
  }
  return { statusPrefix, dimmedPrefix, rank, blockMaxRank };
}

function maxRank(sum: RowSummary, from: number, to: number): number {
  let m = 0;
  let i = from;
  while (i < to && i % BLOCK !== 0) m = Math.max(m, sum.rank[i++] ?? 0);
  while (i + BLOCK <= to) {
    m = Math.max(m, sum.blockMaxRank[i / BLOCK] ?? 0);
    i += BLOCK;
  }
  while (i < to) m = Math.max(m, sum.rank[i++] ?? 0);
  return m;
}

/** First position ≥ from whose start is ≥ ms. */
function firstStartAtOrAfter(row: LaneRow, ms: number, from: number, to: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((row.startMs[mid] ?? 0) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Appends one row's visible tests to the buckets. Every test gets at least one device pixel; a test that falls
 * entirely inside the current run and does not outrank it adds nothing, so the rectangles per row are bounded
 * by its width in pixels, not by its number of tests. With a summary, a row with more visible tests than
 * pixels is walked pixel by pixel: the tests that start within one pixel are jumped over by binary search
 * and their winning colour read from the summary, so the cost follows the pixels, not the tests.
 */
export function batchRow(
  row: LaneRow,
  yDevicePx: number,
  inp: BatchInput,
  buckets: readonly RectList[],
  counts: BatchCounts,
  summary: RowSummary | null = null,
): void {
  const [from, to] = visibleRange(row, inp.t0Ms, inp.t1Ms);
  const k = inp.devicePxPerMs;
  const lo = inp.xMinDevicePx - 1;
  const hi = inp.xMaxDevicePx + 1;
  const dense = summary !== null && to - from > 2 * (hi - lo);
  if (summary !== null) {
    for (let c = 0; c < STATUS_COUNT; c++) {
      counts.drawnByCode[c] =
        (counts.drawnByCode[c] ?? 0) +
        (summary.statusPrefix[to * STATUS_COUNT + c] ?? 0) -
        (summary.statusPrefix[from * STATUS_COUNT + c] ?? 0);
    }
    counts.dimmed += (summary.dimmedPrefix[to] ?? 0) - (summary.dimmedPrefix[from] ?? 0);
  }
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
  const minAlarm = inp.alarmMinDevicePx ?? 0;
  const add = (xa: number, xb: number, key: number): void => {
    if (minAlarm > 0 && xb - xa < minAlarm && (key & 2) === 0 && ALARM[key >> 2] === 1) {
      // Widened to the right, or to the left at the plot's right edge (a test hung at the run's end).
      xb = xa + minAlarm;
      if (xb > hi) {
        xb = hi;
        xa = Math.max(lo, hi - minAlarm);
      }
    }
    const wide = xb - xa >= WIDE;
    if (!wide && !curWide && key === curKey && xa <= curX1) {
      if (xb > curX1) curX1 = xb;
      return;
    }
    const rank = bucketPaintRank(key);
    if (curKey >= 0 && xb <= curX1 && rank <= curRank) return;
    flush();
    curKey = key;
    curX0 = xa;
    curX1 = xb;
    curRank = rank;
    curWide = wide;
  };
  for (let p = from; p < to; p++) {
    const t = row.index[p] ?? 0;
    let xa = Math.floor(inp.x0DevicePx + ((row.startMs[p] ?? 0) - inp.t0Ms) * k);
    if (dense && summary !== null && xa >= lo) {
      // Tests starting in this pixel: all but the last end inside it (a row's tests do not overlap).
      const boundaryMs = inp.t0Ms + (xa + 1 - inp.x0DevicePx) / k;
      const q = Math.min(to, firstStartAtOrAfter(row, boundaryMs, p + 1, to));
      if (q - p > 1) {
        add(xa, xa + 1, KEY_OF_RANK[maxRank(summary, p, q - 1)] ?? 0);
        p = q - 2; // the loop's p++ visits q - 1, which may reach past this pixel
        continue;
      }
    }
    const code = inp.status[t] ?? 0;
    const dimmed = inp.mask !== null && inp.mask[t] === 0;
    if (summary === null) {
      counts.drawnByCode[code] = (counts.drawnByCode[code] ?? 0) + 1;
      if (dimmed) counts.dimmed++;
    }
    let xb = Math.round(inp.x0DevicePx + ((row.endMs[p] ?? 0) - inp.t0Ms) * k);
    if (xa < lo) xa = lo;
    if (xb > hi) xb = hi;
    if (xb < xa + 1) xb = xa + 1;
    add(xa, xb, bucketKey(code, dimmed, inp.open[t] === 1));
  }
  flush();
}
