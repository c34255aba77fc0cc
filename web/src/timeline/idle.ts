// Idle gaps: per worker lane, the stretches between its first start and last end where none of its tests ran
// (the complement of the union of their intervals, as the stats' `workers[].idle` counts them), and which of them a
// window shows. Pure: built once per run, looked up per frame by binary search.
import type { TimelineLayout } from './layout';

/** Per lane: gap starts and ends (UTC ms), sorted and disjoint; empty for the lane of tests without a worker. */
export type IdleGaps = readonly { readonly startMs: Float64Array; readonly endMs: Float64Array }[];

export function buildIdleGaps(layout: TimelineLayout): IdleGaps {
  return layout.lanes.map((lane) => {
    const starts: number[] = [];
    const ends: number[] = [];
    if (lane.worker >= 0) {
      // `order` is by start: one pass merges the intervals and notes the holes between them.
      let coveredTo = -Infinity;
      for (const i of lane.order) {
        const s = layout.startMs[i] ?? NaN;
        const e = layout.endMs[i] ?? NaN;
        if (Number.isNaN(s) || Number.isNaN(e)) continue;
        if (s > coveredTo && coveredTo !== -Infinity) {
          starts.push(coveredTo);
          ends.push(s);
        }
        if (e > coveredTo) coveredTo = e;
      }
    }
    return { startMs: Float64Array.from(starts), endMs: Float64Array.from(ends) };
  });
}

/** Index of the first gap of a lane that ends after `ms`. */
export function firstGapAfter(endMs: Float64Array, ms: number): number {
  let lo = 0;
  let hi = endMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((endMs[mid] ?? 0) <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The gaps of a lane a window shows, as [x0, x1) pixel spans merged where they touch: a gap narrower than a pixel
 * is left out (zoomed out, a busy worker's gaps are slivers). `toPx` maps ms to pixels.
 */
export function visibleGaps(
  gaps: { readonly startMs: Float64Array; readonly endMs: Float64Array },
  t0Ms: number,
  t1Ms: number,
  toPx: (ms: number) => number,
): number[] {
  const out: number[] = [];
  for (let k = firstGapAfter(gaps.endMs, t0Ms); k < gaps.startMs.length; k++) {
    const s = gaps.startMs[k] as number;
    if (s >= t1Ms) break;
    const x0 = toPx(Math.max(s, t0Ms));
    const x1 = toPx(Math.min(gaps.endMs[k] as number, t1Ms));
    if (x1 - x0 < 1) continue;
    const last = out.length - 1;
    if (last > 0 && x0 <= (out[last] as number)) out[last] = x1;
    else out.push(x0, x1);
  }
  return out;
}
