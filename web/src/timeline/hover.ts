// Hovering: the cursor line, which test is under the pointer, and the tooltip (a test, an instant, or the load's values).
import { STATUS_LABEL, statusAt } from '../app/status-colors';
import { formatDuration, formatUtc } from '../app/format';
import { readoutLines, valuesAt } from '../lanes/load-lanes';
import type { TimelineContext } from './context';
import { el } from './dom';
import { hitTestRow, type LaneRow } from './layout';
import { cssPxToMs, formatElapsed } from './scale';

interface TipLine {
  strong?: boolean;
  text: string;
}

const EMPTY_ROW: LaneRow = {
  index: new Int32Array(0),
  startMs: new Float64Array(0),
  endMs: new Float64Array(0),
  maxEndMs: new Float64Array(0),
};

/** A hit within this many css px of a bar counts as on it. */
const HIT_SLOP_CSS_PX = 3;

/** Sets one axis of an absolutely placed box 14 px after `atCssPx` in the first half of the span, before it in the second. */
function placeAlong(
  style: CSSStyleDeclaration,
  atCssPx: number,
  spanCssPx: number,
  start: 'left' | 'top',
  end: 'right' | 'bottom',
): void {
  if (atCssPx < spanCssPx / 2) {
    style[start] = `${atCssPx + 14}px`;
    style[end] = 'auto';
  } else {
    style[start] = 'auto';
    style[end] = `${Math.max(0, spanCssPx - atCssPx + 14)}px`;
  }
}

export class Hover {
  private readonly t: TimelineContext;
  private readonly requestDraw: () => void;

  constructor(t: TimelineContext, requestDraw: () => void) {
    this.t = t;
    this.requestDraw = requestDraw;
  }

  hideTooltip(): void {
    this.t.dom.tooltip.style.display = 'none';
  }

  private showTooltip(lines: readonly TipLine[], xCssPx: number, yCssPx: number): void {
    const { tooltip } = this.t.dom;
    const { widthCssPx, testsHeightCssPx, loadHeightCssPx } = this.t.geometry;
    tooltip.replaceChildren(...lines.map((l) => el('div', l.strong === true ? 'tl-tip-strong' : '', l.text)));
    tooltip.style.display = 'block';
    // Right of the cursor in the left half, left of it in the right half, and likewise below it in the upper half,
    // above it in the lower: placed without measuring the tooltip, so hovering never forces a layout, and the
    // body's edge never clips it.
    placeAlong(tooltip.style, xCssPx, widthCssPx, 'left', 'right');
    placeAlong(tooltip.style, yCssPx, testsHeightCssPx + loadHeightCssPx, 'top', 'bottom');
  }

  /** Moves the cursor line to a css x in the body (null hides it) and records the instant under it. */
  setCursor(xCssPx: number | null): void {
    const { state, geometry, dom } = this.t;
    if (xCssPx === null || !geometry.onPlot(xCssPx)) {
      dom.cursor.style.display = 'none';
      state.cursorMs = null;
      return;
    }
    dom.cursor.style.display = 'block';
    dom.cursor.style.left = `${Math.round(xCssPx)}px`;
    state.cursorMs = cssPxToMs(geometry.scale(state.win), xCssPx);
  }

  setHovered(i: number): void {
    const state = this.t.state;
    if (i === state.hovered) return;
    state.hovered = i;
    this.t.dom.body.style.cursor = i >= 0 ? 'pointer' : 'default';
    this.requestDraw();
  }

  /** The pointer is at (x, y) css px in the body: updates the cursor, the hovered test and the tooltip. */
  hoverAt(xCssPx: number, yCssPx: number): void {
    const { state, geometry } = this.t;
    const { tests, layout, load, win } = state;
    this.setCursor(xCssPx);
    const cursorMs = state.cursorMs;
    if (cursorMs === null) {
      this.setHovered(-1);
      this.hideTooltip();
      return;
    }
    if (yCssPx < geometry.testsHeightCssPx) {
      const row = geometry.rowAtCssY(yCssPx);
      const msPerCssPx = (win.t1Ms - win.t0Ms) / geometry.plotWidthCssPx();
      const hit =
        row >= 0 ? hitTestRow(layout.rows[row] ?? EMPTY_ROW, cursorMs, msPerCssPx * HIT_SLOP_CSS_PX) : -1;
      this.setHovered(hit);
      if (hit >= 0) {
        const status = statusAt(tests.status[hit] ?? 0);
        const w = tests.worker[hit] ?? -1;
        this.showTooltip(
          [
            { strong: true, text: tests.name[hit] ?? '' },
            {
              text: `${STATUS_LABEL[status]} · ${layout.open[hit] === 1 ? 'no end' : formatDuration(tests.durationS[hit] ?? NaN)} · ${w < 0 ? 'no worker' : `worker ${w}`}`,
            },
          ],
          xCssPx,
          yCssPx,
        );
      } else {
        this.showTooltip(
          [{ text: `${formatUtc(cursorMs)} (${formatElapsed(cursorMs - state.runStartMs, 1)})` }],
          xCssPx,
          yCssPx,
        );
      }
      return;
    }
    this.setHovered(-1);
    if (load) {
      const values = valuesAt(load, cursorMs, state.dstatShiftMs);
      const lines: TipLine[] = [{ strong: true, text: formatUtc(cursorMs) }];
      if (values === null) lines.push({ text: 'no dstat sample here' });
      else for (const l of readoutLines(load, values)) lines.push({ text: `${l.title}: ${l.text}` });
      this.showTooltip(lines, xCssPx, yCssPx);
    }
  }
}
