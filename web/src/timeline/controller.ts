// Owns the timeline's parts and the changes that touch several of them: window, selection, filter, size, frames.
import type { TimelineViewState } from '../state/url';
import type { TimelineOptions } from './api';
import type { TimelineActions, TimelineContext } from './context';
import { Controls } from './controls';
import { buildDom } from './dom';
import { OVERVIEW_CSS_PX, TimelineGeometry } from './geometry';
import { Hover } from './hover';
import { Interactions } from './interactions';
import { LoadView } from './load';
import { Overview } from './overview';
import { BarBuckets } from './paint';
import { SelectionPanel } from './panel';
import { clampWindow, type TimeWindow } from './scale';
import { TimelineState, sameSet } from './state';
import { TestRows } from './test-rows';
import { ThemeWatcher } from './theme';

/** A window change is reported (to the URL) once the window has rested this long. */
const WINDOW_REPORT_DELAY_MS = 120;
/** Draw times kept for the debug hook. */
const FRAME_HISTORY = 240;

function sizeCanvas(c: HTMLCanvasElement, wCssPx: number, hCssPx: number, dpr: number): void {
  const w = Math.max(1, Math.round(wCssPx * dpr));
  const h = Math.max(1, Math.round(hCssPx * dpr));
  if (c.width !== w) c.width = w;
  if (c.height !== h) c.height = h;
  c.style.width = `${wCssPx}px`;
  c.style.height = `${hCssPx}px`;
}

export class TimelineController implements TimelineActions {
  readonly t: TimelineContext;
  readonly loadView: LoadView;
  private readonly opts: TimelineOptions;
  readonly testRows: TestRows;
  readonly overview: Overview;
  private readonly hover: Hover;
  private readonly interactions: Interactions;
  private readonly panel: SelectionPanel;
  private readonly controls: Controls;
  private readonly resizeObserver: ResizeObserver;

  private destroyed = false;
  private frame = 0;
  private windowTimer: ReturnType<typeof setTimeout> | null = null;
  /** Where the wheel left the pointer: hovered after the next draw. */
  private pendingHover: { x: number; y: number } | null = null;
  frames = 0;
  readonly frameMs: number[] = [];
  firstDrawAtMs: number | null = null;

  constructor(host: HTMLElement, opts: TimelineOptions) {
    this.opts = opts;
    const state = new TimelineState(opts.tests, opts.state, opts.dstat);
    const geometry = new TimelineGeometry(state.layout, state.load ? state.load.lanes.length : 0);
    const dom = buildDom(state);
    host.replaceChildren(dom.root);
    const theme = new ThemeWatcher(dom.root, () => this.requestDraw());
    const t: TimelineContext = { state, geometry, dom, theme };
    this.t = t;
    const buckets = new BarBuckets();
    this.testRows = new TestRows(t, buckets);
    this.overview = new Overview(t, this, buckets);
    this.hover = new Hover(t, () => this.requestDraw());
    this.controls = new Controls(t, this, (patch) => opts.onStateChange(patch));
    this.loadView = new LoadView(t, (shift) => {
      opts.onStateChange({ dstatShiftMin: shift });
      this.loadView.renderNote();
      this.requestDraw();
    });
    this.panel = new SelectionPanel(
      t,
      this,
      (i) => opts.onOpenTest(i),
      (i) => opts.testFacts(i),
      opts.testBadges?.bind(opts),
    );
    this.interactions = new Interactions(t, this, this.hover, (p) => (this.pendingHover = p));
    this.resizeObserver = new ResizeObserver(() => {
      this.interactions.forgetRect();
      this.resize();
    });
    this.resizeObserver.observe(dom.body);
  }

  /** The first render: filter, panel, dstat note, sizes (which asks for the first frame). */
  start(): void {
    this.applyFilter();
    this.panel.renderPanel();
    this.loadView.renderNote();
    this.resize();
  }

  requestDraw(): void {
    if (this.frame !== 0 || this.destroyed) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const { geometry } = this.t;
    if (this.destroyed || geometry.widthCssPx <= 0) return;
    const began = performance.now();
    if (this.t.theme.refreshIfChanged()) this.overview.markDirty();
    this.testRows.draw();
    this.loadView.draw();
    this.overview.draw();
    const took = performance.now() - began;
    this.frames++;
    if (this.firstDrawAtMs === null) {
      this.firstDrawAtMs = performance.now();
      performance.mark('stackviz:timeline-drawn');
    }
    this.frameMs.push(took);
    if (this.frameMs.length > FRAME_HISTORY) this.frameMs.shift();
    this.controls.renderWindow(this.frames);
    if (this.pendingHover !== null) {
      const p = this.pendingHover;
      this.pendingHover = null;
      this.hover.hoverAt(p.x, p.y);
    }
  }

  private resize(): void {
    const { geometry, dom, state } = this.t;
    const w = Math.floor(dom.body.clientWidth);
    const newDpr = window.devicePixelRatio || 1;
    if (w === geometry.widthCssPx && newDpr === geometry.dpr) return;
    geometry.widthCssPx = w;
    geometry.dpr = newDpr;
    this.t.theme.forgetPatterns();
    sizeCanvas(dom.testCanvas, w, geometry.testsHeightCssPx, newDpr);
    if (state.load) sizeCanvas(dom.loadCanvas, w, geometry.loadHeightCssPx, newDpr);
    sizeCanvas(dom.overview, w, OVERVIEW_CSS_PX, newDpr);
    dom.cursor.style.height = `${geometry.testsHeightCssPx + geometry.loadHeightCssPx}px`;
    this.overview.markDirty();
    this.requestDraw();
  }

  open(index: number): void {
    this.flushWindow();
    this.opts.onOpenTest(index);
  }

  flushWindow(): void {
    if (this.windowTimer === null) return;
    clearTimeout(this.windowTimer);
    this.windowTimer = null;
    const view = this.t.state.view;
    this.opts.onStateChange({ t0Ms: view.t0Ms, t1Ms: view.t1Ms });
  }

  setWindow(w: TimeWindow, notify = true): void {
    const state = this.t.state;
    const next = clampWindow(w, state.bounds);
    if (next.t0Ms === state.win.t0Ms && next.t1Ms === state.win.t1Ms) return;
    state.win = next;
    this.hover.hideTooltip();
    if (notify) {
      const whole = state.isWhole(next);
      state.view = { ...state.view, t0Ms: whole ? null : next.t0Ms, t1Ms: whole ? null : next.t1Ms };
      // Reported once the window rests: writing the URL on every frame of a zoom costs more than drawing it.
      if (this.windowTimer !== null) clearTimeout(this.windowTimer);
      this.windowTimer = setTimeout(() => this.flushWindow(), WINDOW_REPORT_DELAY_MS);
    }
    this.requestDraw();
  }

  select(index: number, notify = true, reveal = false): void {
    const state = this.t.state;
    const i = index >= 0 && index < state.tests.count ? index : -1;
    if (i !== state.view.selected) {
      state.view = { ...state.view, selected: i };
      if (notify) this.opts.onStateChange({ selected: i });
    }
    if (reveal && i >= 0) this.revealTest(i);
    this.panel.renderPanel();
    this.requestDraw();
  }

  /** Pans so the test is in view, and scrolls the page so its bar is on screen too. */
  private revealTest(i: number): void {
    const { state, geometry, dom } = this.t;
    const w = state.revealWindow(i);
    if (w === null) return;
    this.setWindow(w);
    const row = state.layout.rowOf[i] ?? -1;
    if (row >= 0 && typeof dom.testCanvas.scrollIntoView === 'function') {
      const r = dom.testCanvas.getBoundingClientRect();
      const y = r.top + geometry.rowTopCssPx(row);
      if (y < 0 || y > window.innerHeight) window.scrollBy({ top: y - window.innerHeight / 2 });
    }
  }

  applyFilter(): void {
    this.t.state.refilter();
    this.controls.renderFilter();
    this.overview.markDirty();
    this.panel.resetMatches();
    this.requestDraw();
  }

  /** The URL changed (Back, Forward, a link): follow it without reporting it back. */
  update(next: TimelineViewState): void {
    const state = this.t.state;
    // The URL now says where to look: a window change not yet reported is superseded.
    if (this.windowTimer !== null) clearTimeout(this.windowTimer);
    this.windowTimer = null;
    const prev = state.view;
    state.view = { ...next, statuses: new Set(next.statuses) };
    const nextWin = state.windowFromView(state.view);
    if (nextWin.t0Ms !== state.win.t0Ms || nextWin.t1Ms !== state.win.t1Ms) {
      state.win = nextWin;
      this.requestDraw();
    }
    const view = state.view;
    if (prev.query !== view.query || prev.regex !== view.regex || !sameSet(prev.statuses, view.statuses)) {
      this.controls.showQuery();
      this.applyFilter();
    }
    if (prev.selected !== view.selected) {
      this.panel.renderPanel();
      this.requestDraw();
    }
    if (prev.dstatShiftMin !== view.dstatShiftMin) {
      this.loadView.showShift();
      this.loadView.renderNote();
      this.requestDraw();
    }
  }

  destroy(): void {
    // A window change not yet reported is dropped: the page is going away, its URL is no longer ours to write.
    if (this.windowTimer !== null) clearTimeout(this.windowTimer);
    this.destroyed = true;
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    this.controls.destroy();
    this.resizeObserver.disconnect();
    this.t.theme.destroy();
    this.interactions.destroy();
  }
}
