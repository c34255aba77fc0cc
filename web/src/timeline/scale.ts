// Time ↔ pixel mapping for the timeline, window zoom/pan arithmetic and axis ticks (pure, unit-tested).

/** A visible time window (UTC ms). */
export interface TimeWindow {
  readonly t0Ms: number;
  readonly t1Ms: number;
}

/** Maps the window onto a horizontal strip of css px starting at x0CssPx. */
export interface TimeScale extends TimeWindow {
  readonly x0CssPx: number;
  readonly widthCssPx: number;
}

export function msToCssPx(s: TimeScale, ms: number): number {
  return s.x0CssPx + ((ms - s.t0Ms) / (s.t1Ms - s.t0Ms)) * s.widthCssPx;
}

export function cssPxToMs(s: TimeScale, cssPx: number): number {
  return s.t0Ms + ((cssPx - s.x0CssPx) / s.widthCssPx) * (s.t1Ms - s.t0Ms);
}

/** Below this span a window is not zoomed further: subunit's resolution is 1 µs, a pixel of 10 µs is plenty. */
export const MIN_SPAN_MS = 0.5;

/**
 * Keeps a window inside the bounds (the run plus a margin) and at least MIN_SPAN_MS wide; a window wider than
 * the bounds becomes the bounds. Panning into an edge keeps the span instead of shrinking it.
 */
export function clampWindow(w: TimeWindow, bounds: TimeWindow): TimeWindow {
  const boundSpan = bounds.t1Ms - bounds.t0Ms;
  let span = Math.max(MIN_SPAN_MS, w.t1Ms - w.t0Ms);
  if (!(span < boundSpan)) return { t0Ms: bounds.t0Ms, t1Ms: bounds.t1Ms };
  let t0 = w.t0Ms;
  if (!Number.isFinite(t0)) t0 = bounds.t0Ms;
  if (t0 < bounds.t0Ms) t0 = bounds.t0Ms;
  if (t0 + span > bounds.t1Ms) t0 = bounds.t1Ms - span;
  span = Math.min(span, boundSpan);
  return { t0Ms: t0, t1Ms: t0 + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping `atMs` at the same screen position. */
export function zoomWindow(w: TimeWindow, atMs: number, factor: number, bounds: TimeWindow): TimeWindow {
  const t0 = atMs - (atMs - w.t0Ms) * factor;
  const t1 = atMs + (w.t1Ms - atMs) * factor;
  if (t1 - t0 < MIN_SPAN_MS) {
    // Keep the anchor's relative position while holding the minimum span.
    const f = (atMs - w.t0Ms) / (w.t1Ms - w.t0Ms);
    return clampWindow({ t0Ms: atMs - f * MIN_SPAN_MS, t1Ms: atMs + (1 - f) * MIN_SPAN_MS }, bounds);
  }
  return clampWindow({ t0Ms: t0, t1Ms: t1 }, bounds);
}

export function panWindow(w: TimeWindow, deltaMs: number, bounds: TimeWindow): TimeWindow {
  return clampWindow({ t0Ms: w.t0Ms + deltaMs, t1Ms: w.t1Ms + deltaMs }, bounds);
}

/** Tick steps in ms: 1-2-5 below a second, then clock-friendly steps (15 s, 30 s, 15 min, 6 h...). */
const STEPS_MS: readonly number[] = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
  10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** The smallest step whose ticks are at least minSpacingCssPx apart. */
export function tickStepMs(spanMs: number, widthCssPx: number, minSpacingCssPx: number): number {
  const minStep = (spanMs / Math.max(1, widthCssPx)) * minSpacingCssPx;
  for (const s of STEPS_MS) if (s >= minStep) return s;
  const day = 86_400_000;
  return Math.ceil(minStep / day) * day;
}

/** Tick positions: multiples of stepMs counted from originMs (0 = UTC clock ticks, run start = elapsed ticks). */
export function ticks(w: TimeWindow, stepMs: number, originMs: number): number[] {
  const out: number[] = [];
  const first = Math.ceil((w.t0Ms - originMs) / stepMs);
  const last = Math.floor((w.t1Ms - originMs) / stepMs);
  // A guard against degenerate input: an axis never needs more than a few hundred ticks.
  if (!(last - first < 10_000)) return out;
  for (let k = first; k <= last; k++) out.push(originMs + k * stepMs);
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** UTC clock label with just the precision the step needs: `14:36`, `14:36:25`, `14:36:25.250`. */
export function formatClockTick(ms: number, stepMs: number): string {
  const d = new Date(Math.floor(ms));
  const hm = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}`;
  if (stepMs >= 60_000 && d.getUTCSeconds() === 0) return hm;
  const hms = `${hm}:${pad(d.getUTCSeconds(), 2)}`;
  if (stepMs >= 1000) return hms;
  const frac = ms - Math.floor(ms / 1000) * 1000;
  const digits = stepMs >= 1 ? 3 : stepMs >= 0.01 ? 5 : 6;
  const fracText = (frac / 1000).toFixed(digits).slice(1);
  return `${hms}${fracText}`;
}

/** Elapsed time label: `+0`, `+1.5 s`, `+2 min 30 s`, `+1 h 05 min`, `+250 ms`. */
export function formatElapsed(ms: number, stepMs: number): string {
  const sign = ms < 0 ? '−' : '+';
  const a = Math.abs(ms);
  if (a < 0.0005) return '+0';
  if (a < 1000 || stepMs < 1) {
    const digits = stepMs >= 1 ? 0 : stepMs >= 0.1 ? 1 : stepMs >= 0.01 ? 2 : 3;
    if (a < 1000) return `${sign}${a.toFixed(digits)} ms`;
  }
  if (a < 60_000) {
    const digits = stepMs >= 1000 ? 0 : stepMs >= 100 ? 1 : stepMs >= 10 ? 2 : 3;
    return `${sign}${(a / 1000).toFixed(digits)} s`;
  }
  const totalS = Math.round(a / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${sign}${h} h ${pad(m, 2)} min`;
  return s === 0 ? `${sign}${m} min` : `${sign}${m} min ${pad(s, 2)} s`;
}
