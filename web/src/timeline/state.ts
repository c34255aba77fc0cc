// The timeline's state: the run's fixed facts (layout, time bounds, load) and what the user changes (window, filter, selection).
import type { TimelineTests } from '../model/types';
import type { TimelineViewState } from '../state/url';
import type { LoadLog } from '../lanes/series';
import { overlapsRun, prepareLoad, type PreparedLoad } from '../lanes/load-lanes';
import { newCounts, summariseRow, type BatchCounts, type RowSummary } from './batch';
import { buildIdleGaps, type IdleGaps } from './idle';
import { buildLayout, type TimelineLayout } from './layout';
import { clampWindow, type TimeWindow } from './scale';
import { filterTests, type FilterResult } from './search';

/** The run's time span (UTC ms) and the bounds a window may cover: the span plus 2% each side. */
export function runBounds(layout: TimelineLayout): {
  hasTime: boolean;
  runStartMs: number;
  runEndMs: number;
  bounds: TimeWindow;
} {
  const hasTime = Number.isFinite(layout.runStartMs);
  const runStartMs = hasTime ? layout.runStartMs : 0;
  const runEndMs = hasTime ? Math.max(layout.runEndMs, runStartMs + 1) : 1000;
  const margin = (runEndMs - runStartMs) * 0.02;
  return { hasTime, runStartMs, runEndMs, bounds: { t0Ms: runStartMs - margin, t1Ms: runEndMs + margin } };
}

export function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const s of a) if (!b.has(s)) return false;
  return true;
}

export class TimelineState {
  readonly tests: TimelineTests;
  readonly layout: TimelineLayout;
  readonly hasTime: boolean;
  readonly runStartMs: number;
  readonly runEndMs: number;
  readonly bounds: TimeWindow;
  readonly load: PreparedLoad | null;
  /** Per lane, the worker's idle gaps. */
  readonly idle: IdleGaps;
  /** Idle gaps the last frame drew (merged pixel spans). */
  lastIdleGaps = 0;

  /** What the URL holds (the window there is null for the whole run). */
  view: TimelineViewState;
  /** The window drawn, always inside `bounds`. */
  win: TimeWindow;
  filter: FilterResult;
  /** Per-row summaries for the current filter: they keep a frame's cost to the pixels when rows are dense. */
  summaries: RowSummary[] = [];
  hovered = -1;
  /** The instant under the pointer's cursor line, null when the pointer is off the plot. */
  cursorMs: number | null = null;
  /** What the last frame drew. */
  lastCounts: BatchCounts = newCounts();

  constructor(tests: TimelineTests, view: TimelineViewState, dstat: LoadLog | null) {
    this.tests = tests;
    this.layout = buildLayout(tests);
    this.idle = buildIdleGaps(this.layout);
    const b = runBounds(this.layout);
    this.hasTime = b.hasTime;
    this.runStartMs = b.runStartMs;
    this.runEndMs = b.runEndMs;
    this.bounds = b.bounds;
    this.load = dstat && dstat.timeMs.length > 0 ? prepareLoad(dstat) : null;
    this.view = { ...view, statuses: new Set(view.statuses) };
    this.win = this.windowFromView(this.view);
    this.filter = filterTests(tests, this.view.query, this.view.regex, this.view.statuses);
  }

  /** The window a view state asks for, clamped to the bounds; the whole run when it asks for none. */
  windowFromView(v: TimelineViewState): TimeWindow {
    if (v.t0Ms !== null && v.t1Ms !== null && v.t1Ms > v.t0Ms) {
      return clampWindow({ t0Ms: v.t0Ms, t1Ms: v.t1Ms }, this.bounds);
    }
    return this.bounds;
  }

  isWhole(w: TimeWindow): boolean {
    return Math.abs(w.t0Ms - this.bounds.t0Ms) < 1e-6 && Math.abs(w.t1Ms - this.bounds.t1Ms) < 1e-6;
  }

  /** Recomputes the filter and the row summaries from the view's query, regex and statuses. */
  refilter(): void {
    const { tests, layout } = this;
    this.filter = filterTests(tests, this.view.query, this.view.regex, this.view.statuses);
    const mask = this.filter.all ? null : this.filter.mask;
    this.summaries = layout.rows.map((row) => summariseRow(row, tests.status, layout.open, mask));
  }

  /** The dimming mask for drawing: null when every test matches. */
  get mask(): Uint8Array | null {
    return this.filter.all ? null : this.filter.mask;
  }

  get dstatShiftMs(): number {
    return this.view.dstatShiftMin * 60_000;
  }

  /**
   * The window that brings test i into view: panned (never zoomed out unless the test is wider than the window),
   * or null when it is in view already (5% in from each edge) or has no time.
   */
  revealWindow(i: number): TimeWindow | null {
    const s = this.layout.startMs[i] ?? NaN;
    const e = this.layout.endMs[i] ?? NaN;
    if (Number.isNaN(s)) return null;
    const win = this.win;
    const span = win.t1Ms - win.t0Ms;
    const pad = span * 0.05;
    if (s >= win.t0Ms + pad && e <= win.t1Ms - pad) return null;
    if (e - s > span * 0.9) return { t0Ms: s - span * 0.05, t1Ms: s + span * 0.95 };
    return { t0Ms: (s + e) / 2 - span / 2, t1Ms: (s + e) / 2 + span / 2 };
  }

  /** The test `delta` places from the selected one in its worker's order, or null past either end. */
  stepTarget(delta: number): number | null {
    const i = this.view.selected;
    const lane = this.layout.lanes[this.layout.laneOf[i] ?? -1];
    if (!lane) return null;
    const pos = (this.layout.posInLane[i] ?? 0) + delta;
    if (pos < 0 || pos >= lane.order.length) return null;
    return lane.order[pos] ?? -1;
  }

  /** Placed tests by start (then index), built on the first ↑/↓. */
  private byStart: Int32Array | null = null;

  /** The test `delta` places from the selected one in time over all workers, or null past either end. */
  stepInTime(delta: number): number | null {
    const order = this.timeOrder();
    const at = order.indexOf(this.view.selected);
    if (at < 0) return null;
    const next = order[at + delta];
    return next === undefined ? null : next;
  }

  /** The first placed test that starts in the window (or the first that overlaps it), -1 when none. */
  firstInWindow(): number {
    const order = this.timeOrder();
    const { t0Ms, t1Ms } = this.win;
    let fallback = -1;
    for (const i of order) {
      const s = this.layout.startMs[i] ?? NaN;
      const e = this.layout.endMs[i] ?? NaN;
      if (s >= t0Ms && s <= t1Ms) return i;
      if (fallback < 0 && s < t1Ms && e >= t0Ms) fallback = i;
    }
    return fallback;
  }

  private timeOrder(): Int32Array {
    if (this.byStart === null) {
      const start = this.layout.startMs;
      const placed: number[] = [];
      for (let i = 0; i < this.tests.count; i++) if (!Number.isNaN(start[i] ?? NaN)) placed.push(i);
      placed.sort((a, b) => (start[a] ?? 0) - (start[b] ?? 0) || a - b);
      this.byStart = Int32Array.from(placed);
    }
    return this.byStart;
  }

  /** Whether the shifted dstat log overlaps the run; null without a log or without timestamps. */
  dstatOverlaps(): boolean | null {
    const load = this.load;
    if (!load || !this.hasTime) return null;
    return overlapsRun(load, this.dstatShiftMs, this.runStartMs, this.runEndMs);
  }
}
