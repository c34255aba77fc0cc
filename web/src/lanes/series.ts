// Load-lane data: the subset of the dstat reader's DstatLog the lanes use, per-pixel min/max buckets, values at an instant.

/**
 * What the lanes read from `DstatLog` (src/formats/dstat): declared structurally here so the timeline does not
 * depend on the reader's internals; a DstatLog is assignable to it.
 */
export interface LoadLog {
  readonly timeMs: Float64Array;
  readonly series: Readonly<Partial<Record<string, Float64Array>>>;
  readonly timeBasis: { readonly certain: boolean; readonly source?: string; readonly zone?: string | null };
  readonly producer?: string;
  readonly host?: string | null;
}

/** Per pixel column: first, min, max and last value of the samples in it (NaN when the column has none). */
export interface Columns {
  readonly first: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly last: Float64Array;
  /** Column of the sample just before the window and just after (for lines that enter and leave the view). */
  readonly before: { x: number; v: number } | null;
  readonly after: { x: number; v: number } | null;
  /** Samples in the window: more than about one per column means the lane is drawn as per-column bars. */
  readonly count: number;
}

/** First index with timeMs[i] >= ms. */
export function lowerBound(timeMs: Float64Array, ms: number): number {
  let lo = 0;
  let hi = timeMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((timeMs[mid] ?? 0) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Buckets the samples in [t0Ms, t1Ms] into `width` pixel columns (times shifted by shiftMs). Only the samples in
 * the window are visited (found by binary search), so zoomed in it costs the visible rows, and zoomed out the
 * output is `width` columns however many rows the log has. NaN samples are skipped.
 */
export function bucketColumns(
  timeMs: Float64Array,
  values: Float64Array,
  shiftMs: number,
  t0Ms: number,
  t1Ms: number,
  width: number,
): Columns {
  const w = Math.max(1, Math.floor(width));
  const first = new Float64Array(w).fill(NaN);
  const min = new Float64Array(w).fill(NaN);
  const max = new Float64Array(w).fill(NaN);
  const last = new Float64Array(w).fill(NaN);
  const from = lowerBound(timeMs, t0Ms - shiftMs);
  const to = lowerBound(timeMs, t1Ms - shiftMs + 1e-9);
  const perMs = w / (t1Ms - t0Ms);
  for (let i = from; i < to; i++) {
    const v = values[i] ?? NaN;
    if (Number.isNaN(v)) continue;
    let x = Math.floor(((timeMs[i] ?? 0) + shiftMs - t0Ms) * perMs);
    if (x >= w) x = w - 1;
    if (x < 0) x = 0;
    if (Number.isNaN(first[x] ?? NaN)) {
      first[x] = v;
      min[x] = v;
      max[x] = v;
    } else {
      if (v < (min[x] ?? v)) min[x] = v;
      if (v > (max[x] ?? v)) max[x] = v;
    }
    last[x] = v;
  }
  const edge = (i: number): { x: number; v: number } | null => {
    const v = values[i];
    const t = timeMs[i];
    if (v === undefined || t === undefined || Number.isNaN(v)) return null;
    return { x: (t + shiftMs - t0Ms) * perMs, v };
  };
  return {
    first,
    min,
    max,
    last,
    before: from > 0 ? edge(from - 1) : null,
    after: to < timeMs.length ? edge(to) : null,
    count: to - from,
  };
}

/**
 * The row nearest to ms (times shifted by shiftMs), or -1 when ms is further than maxGapMs from every row
 * (hovering outside the log shows no values rather than the edge's).
 */
export function nearestRow(timeMs: Float64Array, ms: number, shiftMs: number, maxGapMs: number): number {
  if (timeMs.length === 0) return -1;
  const t = ms - shiftMs;
  const i = lowerBound(timeMs, t);
  let best = -1;
  let bestD = Infinity;
  for (const j of [i - 1, i]) {
    const tj = timeMs[j];
    if (tj === undefined) continue;
    const d = Math.abs(tj - t);
    if (d < bestD) {
      best = j;
      bestD = d;
    }
  }
  return bestD <= maxGapMs ? best : -1;
}

/** Typical sampling interval (median of the first gaps), used as the hover tolerance. */
export function typicalIntervalMs(timeMs: Float64Array): number {
  const gaps: number[] = [];
  for (let i = 1; i < timeMs.length && gaps.length < 200; i++) {
    const d = (timeMs[i] ?? 0) - (timeMs[i - 1] ?? 0);
    if (d > 0) gaps.push(d);
  }
  if (gaps.length === 0) return 1000;
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1] ?? 1000;
}

/** Largest finite value of a series (the lane's scale: fixed for the whole log, so panning does not rescale). */
export function seriesMax(values: Float64Array): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(v: number): string {
  if (!Number.isFinite(v)) return '–';
  let x = Math.abs(v);
  let u = 0;
  while (x >= 1024 && u < BYTE_UNITS.length - 1) {
    x /= 1024;
    u++;
  }
  return `${v < 0 ? '−' : ''}${x.toFixed(u === 0 || x >= 100 ? 0 : 1)} ${BYTE_UNITS[u] ?? 'B'}`;
}
