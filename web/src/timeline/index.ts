// The timeline: one canvas lane per worker, zoom/pan/brush, hover and selection, search and status filter, load lanes.
import './timeline.css';
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import { STATUS_LABEL, STATUS_ON_FILL, prefersDark, statusAt, statusFillByCode } from '../app/status-colors';
import { formatDuration, formatUtc, formatCount } from '../app/format';
import type { RunModel, TestTable } from '../model/types';
import type { TimelineViewState } from '../state/url';
import {
  BUCKETS,
  RectList,
  batchRow,
  bucketPaintRank,
  newCounts,
  summariseRow,
  type BatchCounts,
  type RowSummary,
} from './batch';
import { buildLayout, hitTestRow, type TimelineLayout } from './layout';
import {
  clampWindow,
  cssPxToMs,
  formatClockTick,
  formatElapsed,
  msToCssPx,
  panWindow,
  tickStepMs,
  ticks,
  zoomWindow,
  type TimeScale,
  type TimeWindow,
} from './scale';
import { filterTests, type FilterResult } from './search';
import { drawLoadLanes, prepareLoad, readoutLines, valuesAt, type PreparedLoad } from '../lanes/load-lanes';
import type { LoadLog } from '../lanes/series';

export interface TimelineOptions {
  run: RunModel;
  tests: TestTable;
  dstat: LoadLog | null;
  state: TimelineViewState;
  onStateChange(patch: Partial<TimelineViewState>): void;
  onOpenTest(index: number): void;
}

export interface TimelineHandle {
  update(state: TimelineViewState): void;
  destroy(): void;
}

/** Read-only view of what was last drawn, for browser tests and the benchmark (`window.__stackvizTimeline`). */
export interface TimelineDebug {
  readonly t0Ms: number;
  readonly t1Ms: number;
  readonly runStartMs: number;
  readonly runEndMs: number;
  readonly selected: number;
  readonly hovered: number;
  readonly drawnByStatus: Readonly<Record<ExportStatus, number>>;
  readonly dimmed: number;
  readonly rects: number;
  readonly matches: number;
  readonly queryError: string | null;
  readonly frames: number;
  /** performance.now() (ms since navigation) when mountTimeline was called, and how long it took (layout, filter, DOM). */
  readonly mountAtMs: number;
  readonly mountMs: number;
  /** performance.now() (ms since navigation) when the first frame was drawn; also a `stackviz:timeline-drawn` mark. */
  readonly firstDrawAtMs: number | null;
  /** Draw times (ms) of the last frames, newest last. */
  readonly frameMs: readonly number[];
  readonly lanes: number;
  readonly rows: number;
  readonly loadLanes: readonly string[];
  readonly dstatShiftMin: number;
  readonly dstatOverlapsRun: boolean | null;
  /** Every load series' value at an instant (UTC ms, shift applied), or null outside the log. */
  valueAt(ms: number): Record<string, number> | null;
  /** Viewport coordinates of a test's bar (its middle, clamped to the visible part), null when off screen. */
  testClientPoint(index: number): { x: number; y: number } | null;
  /** Viewport x of an instant, and the viewport y of the load lanes' middle. */
  msToClientX(ms: number): number;
  loadLanesClientY(): number | null;
}

declare global {
  interface Window {
    __stackvizTimeline?: TimelineDebug;
  }
}

const GUTTER_CSS_PX = 104;
const AXIS_CSS_PX = 34;
const ROW_CSS_PX = 14;
const LANE_GAP_CSS_PX = 6;
const LOAD_LANE_CSS_PX = 52;
const LOAD_GAP_CSS_PX = 6;
const OVERVIEW_CSS_PX = 44;
const MATCH_ROW_CSS_PX = 22;
const DIM_ALPHA = 0.16;
const WINDOW_REPORT_DELAY_MS = 120;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== '') e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function sameSet(a: ReadonlySet<ExportStatus>, b: ReadonlySet<ExportStatus>): boolean {
  if (a.size !== b.size) return false;
  for (const s of a) if (!b.has(s)) return false;
  return true;
}

interface Theme {
  dark: boolean;
  fills: readonly string[];
  text: string;
  muted: string;
  grid: string;
  laneBg: string;
  accent: string;
  hover: string;
}

function readTheme(root: HTMLElement): Theme {
  const dark = prefersDark();
  const css = getComputedStyle(root);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    dark,
    fills: statusFillByCode(dark),
    text: v('--text', dark ? '#e6e9ed' : '#1b1f24'),
    muted: v('--muted', dark ? '#9aa4b0' : '#5b6470'),
    grid: dark ? 'rgba(255,255,255,0.08)' : 'rgba(0,0,0,0.07)',
    laneBg: dark ? 'rgba(255,255,255,0.03)' : 'rgba(0,0,0,0.025)',
    accent: dark ? '#FFD54A' : '#1A1A1A',
    hover: dark ? '#FFFFFF' : '#0B5CAD',
  };
}

/** Hatch pattern for tests with no end: the status colour faded, with stripes. */
/** Pointer capture keeps a drag going outside the element; a pointer the browser does not know cannot be captured. */
function capture(target: Element, pointerId: number): void {
  try {
    target.setPointerCapture(pointerId);
  } catch {
    // Synthetic or already released pointer: the drag still works while over the element.
  }
}

function hatchPattern(ctx: CanvasRenderingContext2D, color: string, dpr: number): CanvasPattern | string {
  const size = Math.max(6, Math.round(6 * dpr));
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d');
  if (!g) return color;
  g.fillStyle = color;
  g.globalAlpha = 0.35;
  g.fillRect(0, 0, size, size);
  g.globalAlpha = 1;
  g.strokeStyle = color;
  g.lineWidth = Math.max(1, dpr * 1.5);
  g.beginPath();
  g.moveTo(0, size);
  g.lineTo(size, 0);
  g.moveTo(-size / 2, size / 2);
  g.lineTo(size / 2, -size / 2);
  g.moveTo(size / 2, size + size / 2);
  g.lineTo(size + size / 2, size / 2);
  g.stroke();
  return ctx.createPattern(c, 'repeat') ?? color;
}

export function mountTimeline(host: HTMLElement, opts: TimelineOptions): TimelineHandle {
  const mountAtMs = performance.now();
  let mountMs = 0;
  const tests = opts.tests;
  const layout: TimelineLayout = buildLayout(tests);
  const hasTime = Number.isFinite(layout.runStartMs);
  const runStart = hasTime ? layout.runStartMs : 0;
  const runEnd = hasTime ? Math.max(layout.runEndMs, runStart + 1) : 1000;
  const margin = (runEnd - runStart) * 0.02;
  const bounds: TimeWindow = { t0Ms: runStart - margin, t1Ms: runEnd + margin };
  const load: PreparedLoad | null =
    opts.dstat && opts.dstat.timeMs.length > 0 ? prepareLoad(opts.dstat) : null;

  let state: TimelineViewState = { ...opts.state, statuses: new Set(opts.state.statuses) };
  let win: TimeWindow = windowFromState(state);
  let filter: FilterResult = filterTests(tests, state.query, state.regex, state.statuses);
  /** Per-row summaries for the current filter: they keep a frame's cost to the pixels when rows are dense. */
  let summaries: RowSummary[] = [];
  let hovered = -1;
  let destroyed = false;
  let frame = 0;
  let overviewDirty = true;
  let lastCounts: BatchCounts = newCounts();
  const frameMs: number[] = [];
  let frames = 0;
  let firstDrawAtMs: number | null = null;
  let cursorMs: number | null = null;

  function windowFromState(s: TimelineViewState): TimeWindow {
    if (s.t0Ms !== null && s.t1Ms !== null && s.t1Ms > s.t0Ms) {
      return clampWindow({ t0Ms: s.t0Ms, t1Ms: s.t1Ms }, bounds);
    }
    return bounds;
  }

  // ---------- DOM ----------
  const root = el('div', 'tl');
  root.tabIndex = 0;
  root.setAttribute('role', 'application');
  root.setAttribute('aria-label', 'Test timeline: +/- zoom, 0 whole run, arrows pan or step, Escape clears');

  const toolbar = el('div', 'tl-toolbar');
  const search = el('input', 'tl-search');
  search.type = 'search';
  search.placeholder = 'Search test names';
  search.setAttribute('aria-label', 'Search test names');
  search.value = state.query;
  const regexLabel = el('label', 'tl-regex');
  const regexBox = el('input', '');
  regexBox.type = 'checkbox';
  regexBox.checked = state.regex;
  regexLabel.append(regexBox, document.createTextNode(' regex'));
  const queryError = el('span', 'tl-query-error');
  queryError.setAttribute('role', 'status');
  const statusBar = el('div', 'tl-statuses');
  statusBar.setAttribute('aria-label', 'Status filter and legend');
  const statusButtons = new Map<ExportStatus, { button: HTMLButtonElement; count: HTMLSpanElement }>();
  for (const s of EXPORT_STATUSES) {
    const b = el('button', 'tl-status');
    b.type = 'button';
    b.dataset['status'] = s;
    const sw = el('span', 'tl-swatch');
    const count = el('span', 'tl-count');
    b.append(sw, el('span', 'tl-status-label', STATUS_LABEL[s]), count);
    b.title = `Show or dim ${STATUS_LABEL[s]} tests (double-click: only these)`;
    statusButtons.set(s, { button: b, count });
    statusBar.append(b);
  }
  const hatchNote = el('span', 'tl-legend-note', 'hatched: no end (still running when the stream stopped)');
  const zoomBox = el('div', 'tl-zoom');
  const zoomOut = el('button', 'tl-btn', '−');
  const zoomReset = el('button', 'tl-btn', 'Whole run');
  const zoomIn = el('button', 'tl-btn', '+');
  zoomOut.title = 'Zoom out (-)';
  zoomIn.title = 'Zoom in (+)';
  zoomReset.title = 'Show the whole run (0)';
  zoomBox.append(zoomOut, zoomReset, zoomIn);
  const windowText = el('span', 'tl-window');
  toolbar.append(search, regexLabel, queryError, zoomBox, windowText);

  const overview = el('canvas', 'tl-overview');
  overview.setAttribute('aria-label', 'Overview of the whole run; drag to choose the window');

  const body = el('div', 'tl-body');
  const testCanvas = el('canvas', 'tl-tests');
  const loadCanvas = el('canvas', 'tl-load');
  const cursor = el('div', 'tl-cursor');
  const tooltip = el('div', 'tl-tooltip');
  tooltip.setAttribute('role', 'tooltip');
  body.append(testCanvas);
  if (load) body.append(loadCanvas);
  body.append(cursor, tooltip);

  const dstatBar = el('div', 'tl-dstat');
  const shiftInput = el('input', 'tl-shift');
  shiftInput.type = 'number';
  shiftInput.step = '1';
  shiftInput.value = String(state.dstatShiftMin);
  shiftInput.setAttribute('aria-label', 'dstat time shift in minutes');
  const shiftLabel = el('label', 'tl-shift-label');
  shiftLabel.append(document.createTextNode('dstat time shift (min) '), shiftInput);
  const dstatNote = el('span', 'tl-dstat-note');
  dstatNote.setAttribute('role', 'status');
  if (load) dstatBar.append(shiftLabel, dstatNote);
  else dstatBar.append(el('span', 'tl-muted', 'No dstat log for this run.'));

  const bottom = el('div', 'tl-bottom');
  const panel = el('section', 'tl-panel');
  panel.setAttribute('aria-label', 'Selected test');
  const matchesBox = el('section', 'tl-matches');
  const matchesHead = el('div', 'tl-matches-head');
  const matchesList = el('div', 'tl-matches-list');
  const matchesSpacer = el('div', 'tl-matches-spacer');
  const matchesRows = el('div', 'tl-matches-rows');
  matchesList.append(matchesSpacer, matchesRows);
  matchesBox.append(matchesHead, matchesList);
  bottom.append(panel, matchesBox);

  const notes = el('div', 'tl-notes');
  if (layout.unplaced > 0) {
    notes.append(
      el(
        'p',
        'tl-muted',
        `${formatCount(layout.unplaced)} tests have no timestamps and cannot be drawn (they are in the search list).`,
      ),
    );
  }
  const legendRow = el('div', 'tl-legend');
  legendRow.append(statusBar, hatchNote);
  root.append(toolbar, legendRow, notes, overview, body, dstatBar, bottom);
  host.replaceChildren(root);

  const testCtx = testCanvas.getContext('2d');
  const loadCtx = loadCanvas.getContext('2d');
  const overviewCtx = overview.getContext('2d');
  let theme = readTheme(root);
  let patterns = new Map<string, CanvasPattern | string>();
  const buckets: RectList[] = Array.from({ length: BUCKETS }, () => new RectList());
  const paintOrder = Array.from({ length: BUCKETS }, (_, k) => k).sort(
    (a, b) => bucketPaintRank(a) - bucketPaintRank(b),
  );

  // ---------- geometry ----------
  let widthCssPx = 0;
  let dpr = 1;
  const laneTops: number[] = [];
  let testsHeightCssPx = AXIS_CSS_PX;
  {
    let y = AXIS_CSS_PX;
    for (const lane of layout.lanes) {
      laneTops.push(y);
      y += lane.rowCount * ROW_CSS_PX + LANE_GAP_CSS_PX;
    }
    testsHeightCssPx = Math.max(y, AXIS_CSS_PX + 40);
  }
  const loadHeightCssPx = load ? load.lanes.length * (LOAD_LANE_CSS_PX + LOAD_GAP_CSS_PX) : 0;

  function rowTopCssPx(row: number): number {
    const lane = layout.rowLane[row] ?? 0;
    const l = layout.lanes[lane];
    return (laneTops[lane] ?? 0) + (row - (l?.firstRow ?? 0)) * ROW_CSS_PX;
  }
  function rowAtCssY(y: number): number {
    for (let li = 0; li < layout.lanes.length; li++) {
      const l = layout.lanes[li];
      const top = laneTops[li] ?? 0;
      if (!l) continue;
      if (y >= top && y < top + l.rowCount * ROW_CSS_PX)
        return l.firstRow + Math.floor((y - top) / ROW_CSS_PX);
    }
    return -1;
  }
  function plotWidth(): number {
    return Math.max(10, widthCssPx - GUTTER_CSS_PX - 8);
  }
  function scale(): TimeScale {
    return { ...win, x0CssPx: GUTTER_CSS_PX, widthCssPx: plotWidth() };
  }

  function sizeCanvas(c: HTMLCanvasElement, wCss: number, hCss: number): void {
    const w = Math.max(1, Math.round(wCss * dpr));
    const h = Math.max(1, Math.round(hCss * dpr));
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    c.style.width = `${wCss}px`;
    c.style.height = `${hCss}px`;
  }

  function resize(): void {
    const w = Math.floor(body.clientWidth);
    const newDpr = window.devicePixelRatio || 1;
    if (w === widthCssPx && newDpr === dpr) return;
    widthCssPx = w;
    dpr = newDpr;
    patterns = new Map();
    sizeCanvas(testCanvas, widthCssPx, testsHeightCssPx);
    if (load) sizeCanvas(loadCanvas, widthCssPx, loadHeightCssPx);
    sizeCanvas(overview, widthCssPx, OVERVIEW_CSS_PX);
    cursor.style.height = `${testsHeightCssPx + loadHeightCssPx}px`;
    overviewDirty = true;
    requestDraw();
  }

  // ---------- drawing ----------
  function requestDraw(): void {
    if (frame !== 0 || destroyed) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  }

  function fillFor(key: number, ctx: CanvasRenderingContext2D): CanvasPattern | string {
    const color = theme.fills[key >> 2] ?? '#888';
    if ((key & 1) === 0) return color;
    let p = patterns.get(color);
    if (p === undefined) patterns.set(color, (p = hatchPattern(ctx, color, dpr)));
    return p;
  }

  function paintBuckets(ctx: CanvasRenderingContext2D, barDevicePx: number): void {
    for (const key of paintOrder) {
      const list = buckets[key];
      if (!list || list.length === 0) continue;
      ctx.fillStyle = fillFor(key, ctx);
      ctx.globalAlpha = (key & 2) !== 0 ? DIM_ALPHA : 1;
      const d = list.data;
      for (let i = 0; i < list.length; i++)
        ctx.fillRect(d[i * 3] ?? 0, d[i * 3 + 1] ?? 0, d[i * 3 + 2] ?? 0, barDevicePx);
    }
    ctx.globalAlpha = 1;
  }

  function drawAxis(ctx: CanvasRenderingContext2D, s: TimeScale, heightCssPx: number): void {
    const span = s.t1Ms - s.t0Ms;
    const clockStep = tickStepMs(span, s.widthCssPx, 90);
    const elapsedStep = tickStepMs(span, s.widthCssPx, 90);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    ctx.lineWidth = 1;
    for (const t of ticks(s, clockStep, 0)) {
      const x = Math.round(msToCssPx(s, t)) + 0.5;
      ctx.strokeStyle = theme.grid;
      ctx.beginPath();
      ctx.moveTo(x, 14);
      ctx.lineTo(x, heightCssPx);
      ctx.stroke();
      ctx.fillStyle = theme.text;
      ctx.fillText(formatClockTick(t, clockStep), x, 2);
    }
    ctx.fillStyle = theme.muted;
    for (const t of ticks(s, elapsedStep, runStart)) {
      const x = Math.round(msToCssPx(s, t)) + 0.5;
      ctx.fillRect(x - 0.5, AXIS_CSS_PX - 5, 1, 5);
      ctx.fillText(formatElapsed(t - runStart, elapsedStep), x, 17);
    }
    ctx.textAlign = 'left';
    ctx.fillStyle = theme.muted;
    ctx.fillText('UTC', 6, 2);
    ctx.fillText('since start', 6, 17);
  }

  function drawTests(): void {
    if (!testCtx) return;
    const ctx = testCtx;
    const s = scale();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, testCanvas.width, testCanvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    layout.lanes.forEach((lane, li) => {
      if (li % 2 === 0) {
        ctx.fillStyle = theme.laneBg;
        ctx.fillRect(0, laneTops[li] ?? 0, widthCssPx, lane.rowCount * ROW_CSS_PX);
      }
    });
    ctx.save();
    ctx.beginPath();
    ctx.rect(s.x0CssPx, 0, s.widthCssPx, testsHeightCssPx);
    ctx.clip();
    drawAxis(ctx, s, testsHeightCssPx);
    ctx.restore();

    for (const b of buckets) b.clear();
    const counts = newCounts();
    const input = {
      t0Ms: win.t0Ms,
      t1Ms: win.t1Ms,
      x0DevicePx: s.x0CssPx * dpr,
      devicePxPerMs: (s.widthCssPx * dpr) / (win.t1Ms - win.t0Ms),
      xMinDevicePx: s.x0CssPx * dpr,
      xMaxDevicePx: (s.x0CssPx + s.widthCssPx) * dpr,
      status: tests.status,
      open: layout.open,
      mask: filter.all ? null : filter.mask,
    };
    for (let r = 0; r < layout.rows.length; r++) {
      const row = layout.rows[r];
      if (row)
        batchRow(row, Math.round((rowTopCssPx(r) + 1) * dpr), input, buckets, counts, summaries[r] ?? null);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(s.x0CssPx * dpr, 0, s.widthCssPx * dpr, testsHeightCssPx * dpr);
    ctx.clip();
    paintBuckets(ctx, Math.max(1, Math.round((ROW_CSS_PX - 2) * dpr)));
    ctx.restore();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    outline(ctx, s, hovered, theme.hover, 1.5);
    outline(ctx, s, state.selected, theme.accent, 2);
    // Lane labels in the gutter.
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    layout.lanes.forEach((lane, li) => {
      ctx.fillStyle = theme.text;
      ctx.fillText(lane.label, 6, (laneTops[li] ?? 0) + 1, GUTTER_CSS_PX - 10);
      if (lane.rowCount > 1) {
        ctx.fillStyle = theme.muted;
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(`${lane.rowCount} rows (overlaps)`, 6, (laneTops[li] ?? 0) + 14, GUTTER_CSS_PX - 10);
        ctx.font = '12px system-ui, sans-serif';
      }
    });
    if (!hasTime) {
      ctx.fillStyle = theme.muted;
      ctx.fillText('No test in this run has a timestamp.', GUTTER_CSS_PX, AXIS_CSS_PX + 8);
    }
    lastCounts = counts;
  }

  function outline(
    ctx: CanvasRenderingContext2D,
    s: TimeScale,
    index: number,
    color: string,
    lineWidth: number,
  ): void {
    if (index < 0 || index >= tests.count) return;
    const row = layout.rowOf[index] ?? -1;
    if (row < 0) return;
    const x0 = msToCssPx(s, layout.startMs[index] ?? 0);
    const x1 = Math.max(x0 + 1, msToCssPx(s, layout.endMs[index] ?? 0));
    const left = Math.max(s.x0CssPx - 2, x0);
    const right = Math.min(s.x0CssPx + s.widthCssPx + 2, x1);
    if (right < s.x0CssPx - 2 || left > s.x0CssPx + s.widthCssPx + 2) return;
    const y = rowTopCssPx(row);
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.strokeRect(left - 1, y, right - left + 2, ROW_CSS_PX);
  }

  function drawLoad(): void {
    if (!load || !loadCtx) return;
    const ctx = loadCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, loadCanvas.width, loadCanvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawLoadLanes(
      ctx,
      load,
      {
        x0CssPx: GUTTER_CSS_PX,
        widthCssPx: plotWidth(),
        laneHeightCssPx: LOAD_LANE_CSS_PX,
        laneGapCssPx: LOAD_GAP_CSS_PX,
        dpr,
      },
      win.t0Ms,
      win.t1Ms,
      state.dstatShiftMin * 60_000,
      { text: theme.text, muted: theme.muted, grid: theme.grid },
    );
  }

  // The overview's bars change only with the filter or the size: drawn once into an offscreen canvas.
  const overviewBase = document.createElement('canvas');
  function drawOverviewBase(): void {
    overviewBase.width = overview.width;
    overviewBase.height = overview.height;
    const ctx = overviewBase.getContext('2d');
    if (!ctx) return;
    const w = plotWidth();
    const rowDevicePx = Math.max(
      1,
      Math.floor(((OVERVIEW_CSS_PX - 4) * dpr) / Math.max(1, layout.rows.length)),
    );
    for (const b of buckets) b.clear();
    const input = {
      t0Ms: bounds.t0Ms,
      t1Ms: bounds.t1Ms,
      x0DevicePx: GUTTER_CSS_PX * dpr,
      devicePxPerMs: (w * dpr) / (bounds.t1Ms - bounds.t0Ms),
      xMinDevicePx: GUTTER_CSS_PX * dpr,
      xMaxDevicePx: (GUTTER_CSS_PX + w) * dpr,
      status: tests.status,
      open: layout.open,
      mask: filter.all ? null : filter.mask,
    };
    const counts = newCounts();
    for (let r = 0; r < layout.rows.length; r++) {
      const row = layout.rows[r];
      if (row) batchRow(row, 2 * dpr + r * rowDevicePx, input, buckets, counts, summaries[r] ?? null);
    }
    paintBuckets(ctx, rowDevicePx);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = theme.muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillText('overview', 6, OVERVIEW_CSS_PX / 2);
    overviewDirty = false;
  }

  function overviewScale(): TimeScale {
    return { ...bounds, x0CssPx: GUTTER_CSS_PX, widthCssPx: plotWidth() };
  }

  function drawOverview(): void {
    if (!overviewCtx) return;
    if (overviewDirty) drawOverviewBase();
    const ctx = overviewCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, overview.width, overview.height);
    ctx.drawImage(overviewBase, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const os = overviewScale();
    const x0 = msToCssPx(os, win.t0Ms);
    const x1 = Math.max(x0 + 2, msToCssPx(os, win.t1Ms));
    ctx.fillStyle = theme.dark ? 'rgba(0,0,0,0.45)' : 'rgba(255,255,255,0.6)';
    ctx.fillRect(os.x0CssPx, 0, Math.max(0, x0 - os.x0CssPx), OVERVIEW_CSS_PX);
    ctx.fillRect(x1, 0, Math.max(0, os.x0CssPx + os.widthCssPx - x1), OVERVIEW_CSS_PX);
    ctx.strokeStyle = theme.hover;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x0, 1, x1 - x0, OVERVIEW_CSS_PX - 2);
    ctx.fillStyle = theme.hover;
    ctx.fillRect(x0 - 2, OVERVIEW_CSS_PX / 2 - 8, 4, 16);
    ctx.fillRect(x1 - 2, OVERVIEW_CSS_PX / 2 - 8, 4, 16);
  }

  let pendingHover: { x: number; y: number } | null = null;
  function draw(): void {
    if (destroyed || widthCssPx <= 0) return;
    const began = performance.now();
    theme = readThemeIfChanged();
    drawTests();
    drawLoad();
    drawOverview();
    const took = performance.now() - began;
    frames++;
    if (firstDrawAtMs === null) {
      firstDrawAtMs = performance.now();
      performance.mark('stackviz:timeline-drawn');
    }
    frameMs.push(took);
    if (frameMs.length > 240) frameMs.shift();
    updateDataset();
    if (pendingHover !== null) {
      const p = pendingHover;
      pendingHover = null;
      hoverAt(p.x, p.y);
    }
  }

  // The OS theme is watched, not polled: matchMedia per frame costs more than the bars.
  let themeChanged = false;
  const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const onTheme = (): void => {
    themeChanged = true;
    requestDraw();
  };
  darkQuery?.addEventListener('change', onTheme);
  function readThemeIfChanged(): Theme {
    if (!themeChanged) return theme;
    themeChanged = false;
    patterns = new Map();
    overviewDirty = true;
    return readTheme(root);
  }

  function updateDataset(): void {
    root.dataset['t0'] = String(win.t0Ms);
    root.dataset['t1'] = String(win.t1Ms);
    root.dataset['selected'] = String(state.selected);
    root.dataset['dimmed'] = String(lastCounts.dimmed);
    root.dataset['frames'] = String(frames);
    windowText.textContent = `${formatUtc(win.t0Ms)} – ${formatUtc(win.t1Ms).replace(/^\S+ /, '')} (${formatDuration((win.t1Ms - win.t0Ms) / 1000)})`;
  }

  // ---------- state changes ----------
  function isWhole(w: TimeWindow): boolean {
    return Math.abs(w.t0Ms - bounds.t0Ms) < 1e-6 && Math.abs(w.t1Ms - bounds.t1Ms) < 1e-6;
  }

  let windowTimer: ReturnType<typeof setTimeout> | null = null;
  function flushWindow(): void {
    if (windowTimer === null) return;
    clearTimeout(windowTimer);
    windowTimer = null;
    opts.onStateChange({ t0Ms: state.t0Ms, t1Ms: state.t1Ms });
  }

  function setWindow(w: TimeWindow, notify = true): void {
    const next = clampWindow(w, bounds);
    if (next.t0Ms === win.t0Ms && next.t1Ms === win.t1Ms) return;
    win = next;
    hideTooltip();
    if (notify) {
      const whole = isWhole(win);
      state = { ...state, t0Ms: whole ? null : win.t0Ms, t1Ms: whole ? null : win.t1Ms };
      // Reported once the window rests: writing the URL on every frame of a zoom costs more than drawing it.
      if (windowTimer !== null) clearTimeout(windowTimer);
      windowTimer = setTimeout(flushWindow, WINDOW_REPORT_DELAY_MS);
    }
    requestDraw();
  }

  function select(index: number, notify = true, reveal = false): void {
    const i = index >= 0 && index < tests.count ? index : -1;
    if (i !== state.selected) {
      state = { ...state, selected: i };
      if (notify) opts.onStateChange({ selected: i });
    }
    if (reveal && i >= 0) revealTest(i);
    renderPanel();
    requestDraw();
  }

  /** Pans (never zooms out unless the test is wider than the window) so the test is in view. */
  function revealTest(i: number): void {
    const s = layout.startMs[i] ?? NaN;
    const e = layout.endMs[i] ?? NaN;
    if (Number.isNaN(s)) return;
    const span = win.t1Ms - win.t0Ms;
    const pad = span * 0.05;
    if (s >= win.t0Ms + pad && e <= win.t1Ms - pad) return;
    if (e - s > span * 0.9) setWindow({ t0Ms: s - span * 0.05, t1Ms: s + span * 0.95 });
    else setWindow({ t0Ms: (s + e) / 2 - span / 2, t1Ms: (s + e) / 2 + span / 2 });
    // Keep the selected bar on screen in the page too.
    const row = layout.rowOf[i] ?? -1;
    if (row >= 0 && typeof testCanvas.scrollIntoView === 'function') {
      const r = testCanvas.getBoundingClientRect();
      const y = r.top + rowTopCssPx(row);
      if (y < 0 || y > window.innerHeight) window.scrollBy({ top: y - window.innerHeight / 2 });
    }
  }

  function applyFilter(): void {
    filter = filterTests(tests, state.query, state.regex, state.statuses);
    const mask = filter.all ? null : filter.mask;
    summaries = layout.rows.map((row) => summariseRow(row, tests.status, layout.open, mask));
    queryError.textContent = filter.error === null ? '' : `invalid regular expression: ${filter.error}`;
    search.classList.toggle('tl-invalid', filter.error !== null);
    for (const s of EXPORT_STATUSES) {
      const entry = statusButtons.get(s);
      if (!entry) continue;
      const on = state.statuses.has(s);
      entry.button.setAttribute('aria-pressed', on ? 'true' : 'false');
      entry.button.classList.toggle('tl-off', !on);
      entry.count.textContent = formatCount(filter.nameMatchesByStatus[s]);
      const sw = entry.button.querySelector<HTMLElement>('.tl-swatch');
      if (sw) sw.style.background = theme.fills[EXPORT_STATUSES.indexOf(s)] ?? '#888';
    }
    overviewDirty = true;
    matchesRows.replaceChildren();
    matchesList.scrollTop = 0;
    renderMatches();
    requestDraw();
  }

  // ---------- panel and matches ----------
  function renderPanel(): void {
    const i = state.selected;
    panel.replaceChildren();
    if (i < 0) {
      panel.append(
        el('h3', 'tl-panel-title', 'No test selected'),
        el(
          'p',
          'tl-muted',
          'Click a test to see its summary; ←/→ then step through its worker’s tests, Escape clears.',
        ),
      );
      return;
    }
    const status = statusAt(tests.status[i] ?? 0);
    const title = el('h3', 'tl-panel-title', tests.name[i] ?? '');
    const badge = el('span', 'tl-badge', STATUS_LABEL[status]);
    badge.style.background = theme.fills[tests.status[i] ?? 0] ?? '#888';
    badge.style.color = STATUS_ON_FILL[status];
    badge.dataset['status'] = status;
    const dl = el('dl', 'tl-facts');
    const fact = (k: string, v: string): void => {
      dl.append(el('dt', '', k), el('dd', '', v));
    };
    const w = tests.worker[i] ?? -1;
    fact('status', STATUS_LABEL[status]);
    fact('worker', w < 0 ? 'none' : String(w));
    fact('start', formatUtc(tests.startMs[i] ?? NaN));
    fact(
      'end',
      layout.open[i] === 1
        ? 'no end (in progress when the stream stopped)'
        : formatUtc(tests.endMs[i] ?? NaN),
    );
    fact('duration', formatDuration(tests.durationS[i] ?? NaN));
    const s = tests.startMs[i] ?? NaN;
    if (Number.isFinite(s)) fact('since run start', formatDuration((s - runStart) / 1000));
    fact('tags', (tests.tags[i] ?? []).join(', ') || '–');
    const attrs = tests.attributes[i] ?? [];
    if (attrs.length > 0) fact('attributes', attrs.join(', '));
    if (tests.id[i] !== tests.name[i]) fact('id', tests.id[i] ?? '');
    const open = el('button', 'tl-btn tl-open', 'Open details');
    open.type = 'button';
    open.addEventListener('click', () => {
      flushWindow(); // so Back returns to this window
      opts.onOpenTest(i);
    });
    const head = el('div', 'tl-panel-head');
    head.append(badge, title);
    panel.append(head, dl, open);
  }

  let matchesOrder: Int32Array = new Int32Array(0);
  function renderMatches(): void {
    const active = !filter.all;
    matchesOrder = filter.matches;
    if (!active) {
      matchesHead.textContent = `${formatCount(tests.count)} tests. Search or toggle statuses to list matches.`;
      matchesSpacer.style.height = '0px';
      matchesRows.replaceChildren();
      return;
    }
    matchesHead.textContent = `${formatCount(matchesOrder.length)} of ${formatCount(tests.count)} tests match`;
    matchesSpacer.style.height = `${matchesOrder.length * MATCH_ROW_CSS_PX}px`;
    renderMatchRows();
  }

  /** Virtualised: only the rows in view (plus a few) exist in the DOM. */
  function renderMatchRows(): void {
    const n = matchesOrder.length;
    const top = matchesList.scrollTop;
    const height = matchesList.clientHeight || 240;
    const first = Math.max(0, Math.floor(top / MATCH_ROW_CSS_PX) - 4);
    const last = Math.min(n, Math.ceil((top + height) / MATCH_ROW_CSS_PX) + 4);
    matchesRows.style.transform = `translateY(${first * MATCH_ROW_CSS_PX}px)`;
    const rows: HTMLElement[] = [];
    for (let k = first; k < last; k++) {
      const i = matchesOrder[k] ?? 0;
      const b = el('button', 'tl-match');
      b.type = 'button';
      b.dataset['index'] = String(i);
      const sw = el('span', 'tl-swatch');
      sw.style.background = theme.fills[tests.status[i] ?? 0] ?? '#888';
      b.append(
        sw,
        el('span', 'tl-match-name', tests.name[i] ?? ''),
        el('span', 'tl-muted', formatDuration(tests.durationS[i] ?? NaN)),
      );
      if (i === state.selected) b.classList.add('tl-current');
      rows.push(b);
    }
    matchesRows.replaceChildren(...rows);
  }

  // ---------- tooltip and cursor ----------
  function hideTooltip(): void {
    tooltip.style.display = 'none';
  }
  function showTooltip(lines: { strong?: boolean; text: string }[], xCss: number, yCss: number): void {
    tooltip.replaceChildren(...lines.map((l) => el('div', l.strong === true ? 'tl-tip-strong' : '', l.text)));
    tooltip.style.display = 'block';
    // Right of the cursor in the left half, left of it in the right half: placed without measuring the tooltip,
    // so hovering never forces a layout.
    if (xCss < widthCssPx / 2) {
      tooltip.style.left = `${xCss + 14}px`;
      tooltip.style.right = 'auto';
    } else {
      tooltip.style.left = 'auto';
      tooltip.style.right = `${Math.max(0, widthCssPx - xCss + 14)}px`;
    }
    // Likewise below the cursor in the upper half and above it in the lower half, so the body's edge never clips it.
    const bodyHeightCssPx = testsHeightCssPx + loadHeightCssPx;
    if (yCss < bodyHeightCssPx / 2) {
      tooltip.style.top = `${yCss + 14}px`;
      tooltip.style.bottom = 'auto';
    } else {
      tooltip.style.top = 'auto';
      tooltip.style.bottom = `${Math.max(0, bodyHeightCssPx - yCss + 14)}px`;
    }
  }
  function setCursor(xCss: number | null): void {
    if (xCss === null || xCss < GUTTER_CSS_PX || xCss > GUTTER_CSS_PX + plotWidth()) {
      cursor.style.display = 'none';
      cursorMs = null;
      return;
    }
    cursor.style.display = 'block';
    cursor.style.left = `${Math.round(xCss)}px`;
    cursorMs = cssPxToMs(scale(), xCss);
  }

  function hoverAt(xCss: number, yCss: number): void {
    setCursor(xCss);
    if (cursorMs === null) {
      setHovered(-1);
      hideTooltip();
      return;
    }
    const shiftMs = state.dstatShiftMin * 60_000;
    if (yCss < testsHeightCssPx) {
      const row = rowAtCssY(yCss);
      const msPerCssPx = (win.t1Ms - win.t0Ms) / plotWidth();
      const hit = row >= 0 ? hitTestRow(layout.rows[row] ?? emptyRow, cursorMs, msPerCssPx * 3) : -1;
      setHovered(hit);
      if (hit >= 0) {
        const status = statusAt(tests.status[hit] ?? 0);
        const w = tests.worker[hit] ?? -1;
        showTooltip(
          [
            { strong: true, text: tests.name[hit] ?? '' },
            {
              text: `${STATUS_LABEL[status]} · ${layout.open[hit] === 1 ? 'no end' : formatDuration(tests.durationS[hit] ?? NaN)} · ${w < 0 ? 'no worker' : `worker ${w}`}`,
            },
          ],
          xCss,
          yCss,
        );
      } else {
        showTooltip(
          [{ text: `${formatUtc(cursorMs)} (${formatElapsed(cursorMs - runStart, 1)})` }],
          xCss,
          yCss,
        );
      }
      return;
    }
    setHovered(-1);
    if (load) {
      const values = valuesAt(load, cursorMs, shiftMs);
      const lines: { strong?: boolean; text: string }[] = [{ strong: true, text: formatUtc(cursorMs) }];
      if (values === null) lines.push({ text: 'no dstat sample here' });
      else for (const l of readoutLines(load, values)) lines.push({ text: `${l.title}: ${l.text}` });
      showTooltip(lines, xCss, yCss);
    }
  }
  const emptyRow = {
    index: new Int32Array(0),
    startMs: new Float64Array(0),
    endMs: new Float64Array(0),
    maxEndMs: new Float64Array(0),
  };

  function setHovered(i: number): void {
    if (i === hovered) return;
    hovered = i;
    body.style.cursor = i >= 0 ? 'pointer' : 'default';
    requestDraw();
  }

  // ---------- pointer: drag to pan, pinch to zoom, click to select ----------
  const pointers = new Map<number, { x: number; y: number }>();
  let dragStart: { x: number; y: number; win: TimeWindow; moved: boolean } | null = null;
  let pinch: { dist: number; midMs: number; win: TimeWindow } | null = null;

  // The body's position, cached: reading it per event would force a layout after every frame's text updates.
  // Refreshed when the page scrolls or resizes, and when the pointer enters.
  let bodyRect: { left: number; top: number } | null = null;
  const forgetRect = (): void => {
    bodyRect = null;
  };
  function local(e: PointerEvent | WheelEvent | MouseEvent): { x: number; y: number } {
    if (bodyRect === null) {
      const b = body.getBoundingClientRect();
      bodyRect = { left: b.left, top: b.top };
    }
    const r = bodyRect;
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  function onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    capture(body, e.pointerId);
    const p = local(e);
    pointers.set(e.pointerId, p);
    if (pointers.size === 1) {
      dragStart = { x: p.x, y: p.y, win, moved: false };
    } else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      if (a && b) {
        pinch = { dist: Math.max(1, Math.abs(a.x - b.x)), midMs: cssPxToMs(scale(), (a.x + b.x) / 2), win };
        dragStart = null;
      }
    }
    root.focus({ preventScroll: true });
  }

  function onPointerMove(e: PointerEvent): void {
    const p = local(e);
    if (pointers.has(e.pointerId)) pointers.set(e.pointerId, p);
    if (pinch && pointers.size >= 2) {
      const [a, b] = [...pointers.values()];
      if (a && b) {
        const dist = Math.max(1, Math.abs(a.x - b.x));
        const factor = pinch.dist / dist;
        const zoomed = zoomWindow(pinch.win, pinch.midMs, factor, bounds);
        // Then pan so the pinch's anchor stays under the fingers' midpoint.
        const midMsNow = cssPxToMs(
          { ...zoomed, x0CssPx: GUTTER_CSS_PX, widthCssPx: plotWidth() },
          (a.x + b.x) / 2,
        );
        setWindow(panWindow(zoomed, pinch.midMs - midMsNow, bounds));
      }
      return;
    }
    if (dragStart && pointers.has(e.pointerId)) {
      const dx = p.x - dragStart.x;
      if (!dragStart.moved && Math.abs(dx) + Math.abs(p.y - dragStart.y) > 4) dragStart.moved = true;
      if (dragStart.moved) {
        const msPerPx = (dragStart.win.t1Ms - dragStart.win.t0Ms) / plotWidth();
        setWindow(panWindow(dragStart.win, -dx * msPerPx, bounds));
        hideTooltip();
        setCursor(p.x);
        return;
      }
    }
    hoverAt(p.x, p.y);
  }

  function onPointerUp(e: PointerEvent): void {
    const p = local(e);
    const wasClick = dragStart !== null && !dragStart.moved && pointers.size === 1;
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size === 0) {
      if (wasClick) {
        hoverAt(p.x, p.y);
        if (p.y < testsHeightCssPx) select(hovered, true, false);
      }
      dragStart = null;
    } else if (pointers.size === 1) {
      const [rest] = [...pointers.values()];
      if (rest) dragStart = { x: rest.x, y: rest.y, win, moved: true };
    }
  }

  function onWheel(e: WheelEvent): void {
    const p = local(e);
    if (p.x < GUTTER_CSS_PX) return;
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    const span = win.t1Ms - win.t0Ms;
    if (Math.abs(dx) > Math.abs(dy) || e.shiftKey) {
      setWindow(panWindow(win, ((e.shiftKey ? dy : dx) / plotWidth()) * span, bounds));
    } else {
      const factor = Math.exp(Math.max(-2, Math.min(2, dy * 0.0025)));
      setWindow(zoomWindow(win, cssPxToMs(scale(), p.x), factor, bounds));
    }
    // Hover is recomputed once per frame after the draw, not per wheel event (a trackpad sends many per frame).
    pendingHover = p;
  }

  // ---------- overview brush ----------
  let brush: {
    mode: 'move' | 'left' | 'right' | 'create';
    startX: number;
    startMs: number;
    win: TimeWindow;
  } | null = null;
  function overviewLocal(e: PointerEvent): number {
    return e.clientX - overview.getBoundingClientRect().left;
  }
  function onBrushDown(e: PointerEvent): void {
    capture(overview, e.pointerId);
    const x = overviewLocal(e);
    const os = overviewScale();
    const bx0 = msToCssPx(os, win.t0Ms);
    const bx1 = msToCssPx(os, win.t1Ms);
    const ms = cssPxToMs(os, x);
    const edge = 6;
    const mode =
      Math.abs(x - bx0) <= edge
        ? 'left'
        : Math.abs(x - bx1) <= edge
          ? 'right'
          : x > bx0 && x < bx1 && !isWhole(win)
            ? 'move'
            : 'create';
    // (A brush over the whole run has nothing to move: dragging in it draws a new one.)
    brush = { mode, startX: x, startMs: ms, win };
  }
  function onBrushMove(e: PointerEvent): void {
    const x = overviewLocal(e);
    const os = overviewScale();
    const ms = cssPxToMs(os, x);
    if (!brush) {
      const bx0 = msToCssPx(os, win.t0Ms);
      const bx1 = msToCssPx(os, win.t1Ms);
      overview.style.cursor =
        Math.abs(x - bx0) <= 6 || Math.abs(x - bx1) <= 6
          ? 'ew-resize'
          : x > bx0 && x < bx1
            ? 'grab'
            : 'crosshair';
      return;
    }
    const minSpan = 1e-3;
    switch (brush.mode) {
      case 'move':
        setWindow(panWindow(brush.win, ms - brush.startMs, bounds));
        break;
      case 'left':
        setWindow({ t0Ms: Math.min(ms, brush.win.t1Ms - minSpan), t1Ms: brush.win.t1Ms });
        break;
      case 'right':
        setWindow({ t0Ms: brush.win.t0Ms, t1Ms: Math.max(ms, brush.win.t0Ms + minSpan) });
        break;
      case 'create':
        if (Math.abs(x - brush.startX) > 3)
          setWindow({ t0Ms: Math.min(ms, brush.startMs), t1Ms: Math.max(ms, brush.startMs) });
        break;
    }
  }
  function onBrushUp(e: PointerEvent): void {
    if (brush && brush.mode === 'create' && Math.abs(overviewLocal(e) - brush.startX) <= 3) {
      // A click outside the brush centres the window there.
      const span = win.t1Ms - win.t0Ms;
      setWindow({ t0Ms: brush.startMs - span / 2, t1Ms: brush.startMs + span / 2 });
    }
    brush = null;
  }

  // ---------- keyboard ----------
  function step(delta: number): void {
    const i = state.selected;
    const lane = layout.lanes[layout.laneOf[i] ?? -1];
    if (!lane) return;
    const pos = (layout.posInLane[i] ?? 0) + delta;
    if (pos < 0 || pos >= lane.order.length) return;
    select(lane.order[pos] ?? -1, true, true);
  }
  function onKey(e: KeyboardEvent): void {
    // Keys work wherever the focus is on the page, except in a text field or a list box (whose keys are
    // its own), so the user need not click the canvas first.
    const target = e.target as HTMLElement | null;
    if (e.defaultPrevented || !root.isConnected) return;
    if (target && target !== root && target.closest('input, textarea, select, [contenteditable]')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const centre = (win.t0Ms + win.t1Ms) / 2;
    const span = win.t1Ms - win.t0Ms;
    switch (e.key) {
      case '+':
      case '=':
        setWindow(zoomWindow(win, centre, 0.5, bounds));
        break;
      case '-':
      case '_':
        setWindow(zoomWindow(win, centre, 2, bounds));
        break;
      case '0':
        setWindow(bounds);
        break;
      case 'ArrowLeft':
        if (state.selected >= 0) step(-1);
        else setWindow(panWindow(win, -span * 0.1, bounds));
        break;
      case 'ArrowRight':
        if (state.selected >= 0) step(1);
        else setWindow(panWindow(win, span * 0.1, bounds));
        break;
      case 'Escape':
        select(-1);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  // ---------- wiring ----------
  let searchTimer: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener('input', () => {
    if (searchTimer !== null) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      searchTimer = null;
      if (search.value === state.query) return;
      state = { ...state, query: search.value };
      opts.onStateChange({ query: state.query });
      applyFilter();
    }, 150);
  });
  regexBox.addEventListener('change', () => {
    state = { ...state, regex: regexBox.checked };
    opts.onStateChange({ regex: state.regex });
    applyFilter();
  });
  for (const [s, { button }] of statusButtons) {
    button.addEventListener('click', (e) => {
      const next = new Set(state.statuses);
      if (e.detail >= 2) return; // the dblclick handler decides
      if (next.has(s)) next.delete(s);
      else next.add(s);
      state = { ...state, statuses: next };
      opts.onStateChange({ statuses: next });
      applyFilter();
    });
    button.addEventListener('dblclick', () => {
      const all =
        EXPORT_STATUSES.every((x) => state.statuses.has(x)) ||
        (state.statuses.size === 1 && state.statuses.has(s));
      const next = new Set<ExportStatus>(all && state.statuses.size === 1 ? EXPORT_STATUSES : [s]);
      state = { ...state, statuses: next };
      opts.onStateChange({ statuses: next });
      applyFilter();
    });
  }
  zoomIn.addEventListener('click', () => setWindow(zoomWindow(win, (win.t0Ms + win.t1Ms) / 2, 0.5, bounds)));
  zoomOut.addEventListener('click', () => setWindow(zoomWindow(win, (win.t0Ms + win.t1Ms) / 2, 2, bounds)));
  zoomReset.addEventListener('click', () => setWindow(bounds));
  shiftInput.addEventListener('change', () => {
    const v = Number(shiftInput.value);
    const shift = Number.isFinite(v) ? v : 0;
    state = { ...state, dstatShiftMin: shift };
    opts.onStateChange({ dstatShiftMin: shift });
    renderDstatNote();
    requestDraw();
  });
  matchesList.addEventListener('scroll', () => renderMatchRows(), { passive: true });
  matchesRows.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>('.tl-match');
    if (!b) return;
    select(Number(b.dataset['index']), true, true);
    renderMatchRows();
  });
  body.addEventListener('pointerdown', onPointerDown);
  body.addEventListener('pointermove', onPointerMove);
  body.addEventListener('pointerup', onPointerUp);
  body.addEventListener('pointercancel', onPointerUp);
  body.addEventListener('pointerleave', () => {
    if (pointers.size > 0) return;
    setCursor(null);
    hideTooltip();
    setHovered(-1);
  });
  body.addEventListener('wheel', onWheel, { passive: false });
  overview.addEventListener('pointerdown', onBrushDown);
  overview.addEventListener('pointermove', onBrushMove);
  overview.addEventListener('pointerup', onBrushUp);
  overview.addEventListener('pointercancel', () => (brush = null));
  document.addEventListener('keydown', onKey);
  const ro = new ResizeObserver(() => {
    forgetRect();
    resize();
  });
  window.addEventListener('scroll', forgetRect, { passive: true, capture: true });
  window.addEventListener('resize', forgetRect, { passive: true });
  body.addEventListener('pointerenter', forgetRect);
  ro.observe(body);

  function dstatOverlaps(): boolean | null {
    if (!load || !hasTime) return null;
    const shiftMs = state.dstatShiftMin * 60_000;
    return load.startMs + shiftMs <= runEnd && load.endMs + shiftMs >= runStart;
  }
  function renderDstatNote(): void {
    if (!load) return;
    const parts: string[] = [];
    if (!load.log.timeBasis.certain) {
      parts.push(
        `The dstat log's time zone is a guess (${load.log.timeBasis.source ?? 'no date metadata'}): if the load does not line up with the tests, shift it.`,
      );
    }
    if (dstatOverlaps() === false) {
      parts.push(
        `The dstat log (${formatUtc(load.startMs + state.dstatShiftMin * 60_000, false)} – ${formatUtc(load.endMs + state.dstatShiftMin * 60_000, false)}) does not overlap the run (${formatUtc(runStart, false)} – ${formatUtc(runEnd, false)}).`,
      );
    }
    dstatNote.textContent = parts.join(' ');
    dstatNote.classList.toggle('tl-warn', parts.length > 0);
  }

  // ---------- debug hook ----------
  const debug: TimelineDebug = {
    get t0Ms() {
      return win.t0Ms;
    },
    get t1Ms() {
      return win.t1Ms;
    },
    runStartMs: runStart,
    runEndMs: runEnd,
    get selected() {
      return state.selected;
    },
    get hovered() {
      return hovered;
    },
    get drawnByStatus() {
      return Object.fromEntries(EXPORT_STATUSES.map((s, k) => [s, lastCounts.drawnByCode[k] ?? 0])) as Record<
        ExportStatus,
        number
      >;
    },
    get dimmed() {
      return lastCounts.dimmed;
    },
    get rects() {
      return lastCounts.rects;
    },
    get matches() {
      return filter.all ? tests.count : filter.matches.length;
    },
    get queryError() {
      return filter.error;
    },
    get frames() {
      return frames;
    },
    mountAtMs,
    get mountMs() {
      return mountMs;
    },
    get firstDrawAtMs() {
      return firstDrawAtMs;
    },
    get frameMs() {
      return frameMs.slice();
    },
    lanes: layout.lanes.length,
    rows: layout.rows.length,
    loadLanes: load ? load.lanes.map((l) => l.def.id) : [],
    get dstatShiftMin() {
      return state.dstatShiftMin;
    },
    get dstatOverlapsRun() {
      return dstatOverlaps();
    },
    valueAt(ms: number) {
      return load ? valuesAt(load, ms, state.dstatShiftMin * 60_000) : null;
    },
    testClientPoint(index: number) {
      const row = layout.rowOf[index] ?? -1;
      if (row < 0) return null;
      const s = scale();
      const x0 = Math.max(s.x0CssPx, msToCssPx(s, layout.startMs[index] ?? 0));
      const x1 = Math.min(s.x0CssPx + s.widthCssPx, Math.max(msToCssPx(s, layout.endMs[index] ?? 0), x0 + 1));
      if (x1 < x0) return null;
      const r = testCanvas.getBoundingClientRect();
      return { x: r.left + (x0 + x1) / 2, y: r.top + rowTopCssPx(row) + ROW_CSS_PX / 2 };
    },
    msToClientX(ms: number) {
      return testCanvas.getBoundingClientRect().left + msToCssPx(scale(), ms);
    },
    loadLanesClientY() {
      if (!load) return null;
      const r = loadCanvas.getBoundingClientRect();
      return r.top + LOAD_LANE_CSS_PX / 2;
    },
  };
  window.__stackvizTimeline = debug;

  // ---------- start ----------
  applyFilter();
  renderPanel();
  renderDstatNote();
  resize();
  mountMs = performance.now() - mountAtMs;

  return {
    update(next: TimelineViewState): void {
      // The URL now says where to look: a window change not yet reported is superseded.
      if (windowTimer !== null) clearTimeout(windowTimer);
      windowTimer = null;
      const prev = state;
      state = { ...next, statuses: new Set(next.statuses) };
      const nextWin = windowFromState(state);
      if (nextWin.t0Ms !== win.t0Ms || nextWin.t1Ms !== win.t1Ms) {
        win = nextWin;
        requestDraw();
      }
      if (
        prev.query !== state.query ||
        prev.regex !== state.regex ||
        !sameSet(prev.statuses, state.statuses)
      ) {
        if (search.value !== state.query) search.value = state.query;
        regexBox.checked = state.regex;
        applyFilter();
      }
      if (prev.selected !== state.selected) {
        renderPanel();
        requestDraw();
      }
      if (prev.dstatShiftMin !== state.dstatShiftMin) {
        shiftInput.value = String(state.dstatShiftMin);
        renderDstatNote();
        requestDraw();
      }
    },
    destroy(): void {
      // A window change not yet reported is dropped: the page is going away, its URL is no longer ours to write.
      if (windowTimer !== null) clearTimeout(windowTimer);
      destroyed = true;
      if (frame !== 0) cancelAnimationFrame(frame);
      if (searchTimer !== null) clearTimeout(searchTimer);
      ro.disconnect();
      darkQuery?.removeEventListener('change', onTheme);
      window.removeEventListener('scroll', forgetRect, { capture: true });
      window.removeEventListener('resize', forgetRect);
      document.removeEventListener('keydown', onKey);
      if (window.__stackvizTimeline === debug) delete window.__stackvizTimeline;
      host.replaceChildren();
    },
  };
}
