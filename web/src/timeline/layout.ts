// Lane assignment: one lane per worker, overlapping tests stacked in sub-rows, each row sorted for binary search.
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import type { TimelineTests } from '../model/types';

const INPROGRESS = EXPORT_STATUSES.indexOf('inprogress');

/** One sub-row of a lane: tests that do not overlap, sorted by start, so their ends are sorted too. */
export interface LaneRow {
  /** Test indices into the TimelineTests. */
  readonly index: Int32Array;
  /** Effective start/end (UTC ms) used for drawing: see buildLayout. */
  readonly startMs: Float64Array;
  readonly endMs: Float64Array;
  /** Running maximum of endMs: equals endMs for rows built here, kept so binary search never depends on that. */
  readonly maxEndMs: Float64Array;
}

export interface Lane {
  /** Worker number, or -1 for the tests that carry no worker tag. */
  readonly worker: number;
  readonly label: string;
  /** Index of this lane's first row in TimelineLayout.rows. */
  readonly firstRow: number;
  readonly rowCount: number;
  /** All the lane's test indices by start (then end, then index): the order ←/→ walk. */
  readonly order: Int32Array;
}

export interface TimelineLayout {
  readonly lanes: readonly Lane[];
  readonly rows: readonly LaneRow[];
  /** Lane index of each row. */
  readonly rowLane: Int32Array;
  /** Per test: row index (-1 when the test has no time at all), position in its lane's `order`. */
  readonly rowOf: Int32Array;
  readonly posInLane: Int32Array;
  readonly laneOf: Int32Array;
  /** Per test: effective interval (NaN when unplaced) and 1 when it has no end (drawn to the run's end). */
  readonly startMs: Float64Array;
  readonly endMs: Float64Array;
  readonly open: Uint8Array;
  /** First start and last end over all tests (NaN when no test has a time). */
  readonly runStartMs: number;
  readonly runEndMs: number;
  /** Tests with neither start nor end: listed in the search, never drawn (there is nowhere to draw them). */
  readonly unplaced: number;
}

/**
 * Effective intervals: a test with only an end starts at its end; an end before the start (the stream said so)
 * becomes a zero-length test at its start; a test without an end — in progress when the stream stopped — runs to
 * the run's last timestamp, and `open` marks it for the hatched drawing.
 */
export function buildLayout(tests: TimelineTests): TimelineLayout {
  const n = tests.count;
  let runStart = Infinity;
  let runEnd = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = tests.startMs[i] ?? NaN;
    const e = tests.endMs[i] ?? NaN;
    if (s < runStart) runStart = s;
    if (e < runStart) runStart = e;
    if (s > runEnd) runEnd = s;
    if (e > runEnd) runEnd = e;
  }
  if (runStart === Infinity) {
    runStart = NaN;
    runEnd = NaN;
  }
  const startMs = new Float64Array(n);
  const endMs = new Float64Array(n);
  const open = new Uint8Array(n);
  let unplaced = 0;
  for (let i = 0; i < n; i++) {
    let s = tests.startMs[i] ?? NaN;
    let e = tests.endMs[i] ?? NaN;
    if (Number.isNaN(s) && Number.isNaN(e)) {
      startMs[i] = NaN;
      endMs[i] = NaN;
      unplaced++;
      continue;
    }
    if (Number.isNaN(s)) s = e;
    if (Number.isNaN(e)) {
      e = runEnd;
      open[i] = 1;
    } else if (tests.status[i] === INPROGRESS && e <= s) {
      // An in-progress test whose one timestamp is its start: it ran on until the stream stopped.
      e = runEnd;
      open[i] = 1;
    }
    if (e < s) e = s;
    startMs[i] = s;
    endMs[i] = e;
  }

  // Group by worker; the no-worker lane goes last.
  const byWorker = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(startMs[i] ?? NaN)) continue;
    const w = tests.worker[i] ?? -1;
    let list = byWorker.get(w);
    if (!list) byWorker.set(w, (list = []));
    list.push(i);
  }
  const workers = [...byWorker.keys()].sort((a, b) => (a < 0 ? 1 : b < 0 ? -1 : a - b));

  const lanes: Lane[] = [];
  const rows: LaneRow[] = [];
  const rowLaneList: number[] = [];
  const rowOf = new Int32Array(n).fill(-1);
  const posInLane = new Int32Array(n).fill(-1);
  const laneOf = new Int32Array(n).fill(-1);
  for (const w of workers) {
    const list = byWorker.get(w) ?? [];
    list.sort((a, b) => (startMs[a] ?? 0) - (startMs[b] ?? 0) || (endMs[a] ?? 0) - (endMs[b] ?? 0) || a - b);
    const order = Int32Array.from(list);
    // Greedy first-fit into sub-rows: a test goes in the first row whose last end is ≤ its start.
    const rowEnds: number[] = [];
    const rowMembers: number[][] = [];
    const laneIndex = lanes.length;
    for (let k = 0; k < order.length; k++) {
      const t = order[k] ?? 0;
      const s = startMs[t] ?? 0;
      let r = 0;
      while (r < rowEnds.length && (rowEnds[r] ?? 0) > s) r++;
      if (r === rowEnds.length) {
        rowEnds.push(-Infinity);
        rowMembers.push([]);
      }
      rowEnds[r] = endMs[t] ?? s;
      rowMembers[r]?.push(t);
      rowOf[t] = rows.length + r;
      posInLane[t] = k;
      laneOf[t] = laneIndex;
    }
    const firstRow = rows.length;
    for (const members of rowMembers) {
      const idx = Int32Array.from(members);
      const rs = new Float64Array(idx.length);
      const re = new Float64Array(idx.length);
      const mx = new Float64Array(idx.length);
      let m = -Infinity;
      for (let k = 0; k < idx.length; k++) {
        const t = idx[k] ?? 0;
        rs[k] = startMs[t] ?? 0;
        re[k] = endMs[t] ?? 0;
        m = Math.max(m, re[k] ?? 0);
        mx[k] = m;
      }
      rows.push({ index: idx, startMs: rs, endMs: re, maxEndMs: mx });
      rowLaneList.push(laneIndex);
    }
    lanes.push({
      worker: w,
      label: w < 0 ? 'no worker' : `worker ${w}`,
      firstRow,
      rowCount: rowMembers.length,
      order,
    });
  }
  return {
    lanes,
    rows,
    rowLane: Int32Array.from(rowLaneList),
    rowOf,
    posInLane,
    laneOf,
    startMs,
    endMs,
    open,
    runStartMs: runStart,
    runEndMs: runEnd,
    unplaced,
  };
}

/** First position in a row whose end reaches t0Ms. */
function lowerByEnd(row: LaneRow, t0Ms: number): number {
  let lo = 0;
  let hi = row.maxEndMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((row.maxEndMs[mid] ?? 0) < t0Ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position in a row whose start is after t1Ms. */
function upperByStart(row: LaneRow, t1Ms: number, from: number): number {
  let lo = from;
  let hi = row.startMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((row.startMs[mid] ?? 0) <= t1Ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Positions [from, to) of a row's tests that touch the window [t0Ms, t1Ms]: two binary searches. */
export function visibleRange(row: LaneRow, t0Ms: number, t1Ms: number): [number, number] {
  const from = lowerByEnd(row, t0Ms);
  return [from, upperByStart(row, t1Ms, from)];
}

/**
 * The test under `ms` in a row, or the nearest within toleranceMs (so a 0.1 px test can still be hovered);
 * -1 when none.
 */
export function hitTestRow(row: LaneRow, ms: number, toleranceMs: number): number {
  const [from, to] = visibleRange(row, ms - toleranceMs, ms + toleranceMs);
  let best = -1;
  let bestDist = Infinity;
  for (let k = from; k < to; k++) {
    const s = row.startMs[k] ?? 0;
    const e = row.endMs[k] ?? 0;
    const d = ms < s ? s - ms : ms > e ? ms - e : 0;
    if (d < bestDist || (d === 0 && bestDist === 0)) {
      // Inside several (touching) tests: the last one wins, which is the one drawn on top.
      best = row.index[k] ?? -1;
      bestDist = d;
    }
  }
  return bestDist <= toleranceMs ? best : -1;
}
