// The overview strip: the whole run's bars in miniature with the window's brush; dragging it moves or redraws the window.
import { batchRow, newCounts } from './batch';
import type { TimelineActions, TimelineContext } from './context';
import { capture } from './dom';
import { GUTTER_CSS_PX, OVERVIEW_CSS_PX } from './geometry';
import type { BarBuckets } from './paint';
import { cssPxToMs, msToCssPx, panWindow, type TimeScale, type TimeWindow } from './scale';

/** How near a brush edge (css px) a press grabs that edge. */
const EDGE_CSS_PX = 6;
/** A drag shorter than this (css px) in the overview is a click. */
const CLICK_SLOP_CSS_PX = 3;

interface Brush {
  mode: 'move' | 'left' | 'right' | 'create';
  startXCssPx: number;
  startMs: number;
  win: TimeWindow;
}

export class Overview {
  private readonly t: TimelineContext;
  private readonly actions: TimelineActions;
  private readonly buckets: BarBuckets;
  private readonly ctx: CanvasRenderingContext2D | null;
  /** The bars change only with the filter, the size or the theme: drawn once into an offscreen canvas. */
  private readonly base = document.createElement('canvas');
  private dirty = true;
  private brush: Brush | null = null;

  constructor(t: TimelineContext, actions: TimelineActions, buckets: BarBuckets) {
    this.t = t;
    this.actions = actions;
    this.buckets = buckets;
    const overview = t.dom.overview;
    this.ctx = overview.getContext('2d');
    overview.addEventListener('pointerdown', (e) => this.onBrushDown(e));
    overview.addEventListener('pointermove', (e) => this.onBrushMove(e));
    overview.addEventListener('pointerup', (e) => this.onBrushUp(e));
    overview.addEventListener('pointercancel', () => (this.brush = null));
  }

  /** The bars are redrawn on the next frame. */
  markDirty(): void {
    this.dirty = true;
  }

  private scale(): TimeScale {
    return this.t.geometry.scale(this.t.state.bounds);
  }

  private drawBase(): void {
    const { state, geometry, dom } = this.t;
    const { layout, bounds } = state;
    const dpr = geometry.dpr;
    this.base.width = dom.overview.width;
    this.base.height = dom.overview.height;
    const ctx = this.base.getContext('2d');
    if (!ctx) return;
    const w = geometry.plotWidthCssPx();
    const rowDevicePx = Math.max(
      1,
      Math.floor(((OVERVIEW_CSS_PX - 4) * dpr) / Math.max(1, layout.rows.length)),
    );
    this.buckets.clear();
    const input = {
      t0Ms: bounds.t0Ms,
      t1Ms: bounds.t1Ms,
      x0DevicePx: GUTTER_CSS_PX * dpr,
      devicePxPerMs: (w * dpr) / (bounds.t1Ms - bounds.t0Ms),
      xMinDevicePx: GUTTER_CSS_PX * dpr,
      xMaxDevicePx: (GUTTER_CSS_PX + w) * dpr,
      status: state.tests.status,
      open: layout.open,
      mask: state.mask,
    };
    const counts = newCounts();
    for (let r = 0; r < layout.rows.length; r++) {
      const row = layout.rows[r];
      if (row)
        batchRow(
          row,
          2 * dpr + r * rowDevicePx,
          input,
          this.buckets.lists,
          counts,
          state.summaries[r] ?? null,
        );
    }
    this.buckets.paint(ctx, this.t.theme, dpr, rowDevicePx);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = this.t.theme.current.muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillText('overview', 6, OVERVIEW_CSS_PX / 2);
    this.dirty = false;
  }

  draw(): void {
    if (!this.ctx) return;
    if (this.dirty) this.drawBase();
    const ctx = this.ctx;
    const { state, geometry, dom } = this.t;
    const theme = this.t.theme.current;
    const dpr = geometry.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, dom.overview.width, dom.overview.height);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const os = this.scale();
    const x0CssPx = msToCssPx(os, state.win.t0Ms);
    const x1CssPx = Math.max(x0CssPx + 2, msToCssPx(os, state.win.t1Ms));
    ctx.fillStyle = theme.dark ? 'rgba(0,0,0,0.45)' : 'rgba(255,255,255,0.6)';
    ctx.fillRect(os.x0CssPx, 0, Math.max(0, x0CssPx - os.x0CssPx), OVERVIEW_CSS_PX);
    ctx.fillRect(x1CssPx, 0, Math.max(0, os.x0CssPx + os.widthCssPx - x1CssPx), OVERVIEW_CSS_PX);
    ctx.strokeStyle = theme.hover;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x0CssPx, 1, x1CssPx - x0CssPx, OVERVIEW_CSS_PX - 2);
    ctx.fillStyle = theme.hover;
    ctx.fillRect(x0CssPx - 2, OVERVIEW_CSS_PX / 2 - 8, 4, 16);
    ctx.fillRect(x1CssPx - 2, OVERVIEW_CSS_PX / 2 - 8, 4, 16);
  }

  private localXCssPx(e: PointerEvent): number {
    return e.clientX - this.t.dom.overview.getBoundingClientRect().left;
  }

  private onBrushDown(e: PointerEvent): void {
    const { state, dom } = this.t;
    capture(dom.overview, e.pointerId);
    const x = this.localXCssPx(e);
    const os = this.scale();
    const bx0 = msToCssPx(os, state.win.t0Ms);
    const bx1 = msToCssPx(os, state.win.t1Ms);
    const ms = cssPxToMs(os, x);
    const mode =
      Math.abs(x - bx0) <= EDGE_CSS_PX
        ? 'left'
        : Math.abs(x - bx1) <= EDGE_CSS_PX
          ? 'right'
          : x > bx0 && x < bx1 && !state.isWhole(state.win)
            ? 'move'
            : 'create';
    // (A brush over the whole run has nothing to move: dragging in it draws a new one.)
    this.brush = { mode, startXCssPx: x, startMs: ms, win: state.win };
  }

  private onBrushMove(e: PointerEvent): void {
    const { state, dom } = this.t;
    const x = this.localXCssPx(e);
    const os = this.scale();
    const ms = cssPxToMs(os, x);
    const brush = this.brush;
    if (!brush) {
      const bx0 = msToCssPx(os, state.win.t0Ms);
      const bx1 = msToCssPx(os, state.win.t1Ms);
      dom.overview.style.cursor =
        Math.abs(x - bx0) <= EDGE_CSS_PX || Math.abs(x - bx1) <= EDGE_CSS_PX
          ? 'ew-resize'
          : x > bx0 && x < bx1
            ? 'grab'
            : 'crosshair';
      return;
    }
    const minSpanMs = 1e-3;
    const setWindow = (w: TimeWindow): void => this.actions.setWindow(w);
    switch (brush.mode) {
      case 'move':
        setWindow(panWindow(brush.win, ms - brush.startMs, state.bounds));
        break;
      case 'left':
        setWindow({ t0Ms: Math.min(ms, brush.win.t1Ms - minSpanMs), t1Ms: brush.win.t1Ms });
        break;
      case 'right':
        setWindow({ t0Ms: brush.win.t0Ms, t1Ms: Math.max(ms, brush.win.t0Ms + minSpanMs) });
        break;
      case 'create':
        if (Math.abs(x - brush.startXCssPx) > CLICK_SLOP_CSS_PX)
          setWindow({ t0Ms: Math.min(ms, brush.startMs), t1Ms: Math.max(ms, brush.startMs) });
        break;
    }
  }

  private onBrushUp(e: PointerEvent): void {
    const brush = this.brush;
    if (
      brush &&
      brush.mode === 'create' &&
      Math.abs(this.localXCssPx(e) - brush.startXCssPx) <= CLICK_SLOP_CSS_PX
    ) {
      // A click outside the brush centres the window there.
      const win = this.t.state.win;
      const span = win.t1Ms - win.t0Ms;
      this.actions.setWindow({ t0Ms: brush.startMs - span / 2, t1Ms: brush.startMs + span / 2 });
    }
    this.brush = null;
  }
}
