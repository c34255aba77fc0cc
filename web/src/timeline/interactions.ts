// Input on the timeline's body and page: drag to pan, pinch and wheel to zoom, click to select, keys to zoom, pan and step.
import type { TimelineActions, TimelineContext } from './context';
import { capture } from './dom';
import { GUTTER_CSS_PX } from './geometry';
import type { Hover } from './hover';
import { cssPxToMs, panWindow, zoomWindow, type TimeWindow } from './scale';

interface PointCssPx {
  x: number;
  y: number;
}

/** A press that moves further than this (css px) is a drag, not a click. */
const CLICK_SLOP_CSS_PX = 4;

export class Interactions {
  private readonly t: TimelineContext;
  private readonly actions: TimelineActions;
  private readonly hover: Hover;
  /** Hover after the next draw (the wheel sends many events per frame). */
  private readonly deferHover: (p: PointCssPx) => void;
  private readonly pointers = new Map<number, PointCssPx>();
  private dragStart: { x: number; y: number; win: TimeWindow; moved: boolean } | null = null;
  private pinch: { distCssPx: number; midMs: number; win: TimeWindow } | null = null;
  /**
   * The body's position, cached: reading it per event would force a layout after every frame's text updates.
   * Refreshed when the page scrolls or resizes, and when the pointer enters.
   */
  private bodyRect: { left: number; top: number } | null = null;
  readonly forgetRect = (): void => {
    this.bodyRect = null;
  };
  private readonly onKeyListener = (e: KeyboardEvent): void => this.onKey(e);

  constructor(
    t: TimelineContext,
    actions: TimelineActions,
    hover: Hover,
    deferHover: (p: PointCssPx) => void,
  ) {
    this.t = t;
    this.actions = actions;
    this.hover = hover;
    this.deferHover = deferHover;
    const body = t.dom.body;
    body.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    body.addEventListener('pointermove', (e) => this.onPointerMove(e));
    body.addEventListener('pointerup', (e) => this.onPointerUp(e));
    body.addEventListener('pointercancel', (e) => this.onPointerUp(e));
    body.addEventListener('pointerleave', () => {
      if (this.pointers.size > 0) return;
      hover.setCursor(null);
      hover.hideTooltip();
      hover.setHovered(-1);
    });
    body.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    document.addEventListener('keydown', this.onKeyListener);
    window.addEventListener('scroll', this.forgetRect, { passive: true, capture: true });
    window.addEventListener('resize', this.forgetRect, { passive: true });
    body.addEventListener('pointerenter', this.forgetRect);
  }

  destroy(): void {
    window.removeEventListener('scroll', this.forgetRect, { capture: true });
    window.removeEventListener('resize', this.forgetRect);
    document.removeEventListener('keydown', this.onKeyListener);
  }

  private local(e: PointerEvent | WheelEvent | MouseEvent): PointCssPx {
    if (this.bodyRect === null) {
      const b = this.t.dom.body.getBoundingClientRect();
      this.bodyRect = { left: b.left, top: b.top };
    }
    const r = this.bodyRect;
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    const { state, geometry, dom } = this.t;
    capture(dom.body, e.pointerId);
    const p = this.local(e);
    this.pointers.set(e.pointerId, p);
    if (this.pointers.size === 1) {
      this.dragStart = { x: p.x, y: p.y, win: state.win, moved: false };
    } else if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      if (a && b) {
        this.pinch = {
          distCssPx: Math.max(1, Math.abs(a.x - b.x)),
          midMs: cssPxToMs(geometry.scale(state.win), (a.x + b.x) / 2),
          win: state.win,
        };
        this.dragStart = null;
      }
    }
    dom.root.focus({ preventScroll: true });
  }

  private onPointerMove(e: PointerEvent): void {
    const { state, geometry } = this.t;
    const p = this.local(e);
    if (this.pointers.has(e.pointerId)) this.pointers.set(e.pointerId, p);
    const pinch = this.pinch;
    if (pinch && this.pointers.size >= 2) {
      const [a, b] = [...this.pointers.values()];
      if (a && b) {
        const distCssPx = Math.max(1, Math.abs(a.x - b.x));
        const factor = pinch.distCssPx / distCssPx;
        const zoomed = zoomWindow(pinch.win, pinch.midMs, factor, state.bounds);
        // Then pan so the pinch's anchor stays under the fingers' midpoint.
        const midMsNow = cssPxToMs(geometry.scale(zoomed), (a.x + b.x) / 2);
        this.actions.setWindow(panWindow(zoomed, pinch.midMs - midMsNow, state.bounds));
      }
      return;
    }
    const drag = this.dragStart;
    if (drag && this.pointers.has(e.pointerId)) {
      const dx = p.x - drag.x;
      if (!drag.moved && Math.abs(dx) + Math.abs(p.y - drag.y) > CLICK_SLOP_CSS_PX) drag.moved = true;
      if (drag.moved) {
        const msPerCssPx = (drag.win.t1Ms - drag.win.t0Ms) / geometry.plotWidthCssPx();
        this.actions.setWindow(panWindow(drag.win, -dx * msPerCssPx, state.bounds));
        this.hover.hideTooltip();
        this.hover.setCursor(p.x);
        return;
      }
    }
    this.hover.hoverAt(p.x, p.y);
  }

  private onPointerUp(e: PointerEvent): void {
    const { state, geometry } = this.t;
    const p = this.local(e);
    const wasClick = this.dragStart !== null && !this.dragStart.moved && this.pointers.size === 1;
    this.pointers.delete(e.pointerId);
    if (this.pointers.size < 2) this.pinch = null;
    if (this.pointers.size === 0) {
      if (wasClick) {
        this.hover.hoverAt(p.x, p.y);
        if (p.y < geometry.testsHeightCssPx) this.actions.select(state.hovered, true, false);
      }
      this.dragStart = null;
    } else if (this.pointers.size === 1) {
      const [rest] = [...this.pointers.values()];
      if (rest) this.dragStart = { x: rest.x, y: rest.y, win: state.win, moved: true };
    }
  }

  private onWheel(e: WheelEvent): void {
    const { state, geometry } = this.t;
    const p = this.local(e);
    if (p.x < GUTTER_CSS_PX) return;
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    const win = state.win;
    const span = win.t1Ms - win.t0Ms;
    if (Math.abs(dx) > Math.abs(dy) || e.shiftKey) {
      this.actions.setWindow(
        panWindow(win, ((e.shiftKey ? dy : dx) / geometry.plotWidthCssPx()) * span, state.bounds),
      );
    } else {
      const factor = Math.exp(Math.max(-2, Math.min(2, dy * 0.0025)));
      this.actions.setWindow(zoomWindow(win, cssPxToMs(geometry.scale(win), p.x), factor, state.bounds));
    }
    // Hover is recomputed once per frame after the draw, not per wheel event (a trackpad sends many per frame).
    this.deferHover(p);
  }

  private onKey(e: KeyboardEvent): void {
    const { state, dom } = this.t;
    // Keys work wherever the focus is on the page, except in a text field or a list box (whose keys are
    // its own), so the user need not click the canvas first.
    const target = e.target as HTMLElement | null;
    if (e.defaultPrevented || !dom.root.isConnected) return;
    if (target && target !== dom.root && target.closest('input, textarea, select, [contenteditable]')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const { win, bounds } = state;
    const centre = (win.t0Ms + win.t1Ms) / 2;
    const span = win.t1Ms - win.t0Ms;
    switch (e.key) {
      case '+':
      case '=':
        this.actions.setWindow(zoomWindow(win, centre, 0.5, bounds));
        break;
      case '-':
      case '_':
        this.actions.setWindow(zoomWindow(win, centre, 2, bounds));
        break;
      case '0':
        this.actions.setWindow(bounds);
        break;
      case 'ArrowLeft':
        if (state.view.selected >= 0) this.step(-1);
        else this.actions.setWindow(panWindow(win, -span * 0.1, bounds));
        break;
      case 'ArrowRight':
        if (state.view.selected >= 0) this.step(1);
        else this.actions.setWindow(panWindow(win, span * 0.1, bounds));
        break;
      case 'Escape':
        this.actions.select(-1);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** ←/→ with a selection: the previous or next test of the same worker. */
  private step(delta: number): void {
    const next = this.t.state.stepTarget(delta);
    if (next !== null) this.actions.select(next, true, true);
  }
}
