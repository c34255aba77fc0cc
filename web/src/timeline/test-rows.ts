// Drawing the test rows: lane backgrounds, the axis, every bar batched by fill, hover and selection outlines, lane labels.
import { batchRow, newCounts } from './batch';
import { drawAxis } from './axis';
import type { TimelineContext } from './context';
import { visibleGaps } from './idle';
import { AXIS_CSS_PX, GUTTER_CSS_PX, ROW_CSS_PX } from './geometry';
import type { BarBuckets } from './paint';
import { msToCssPx, type TimeScale } from './scale';

export class TestRows {
  private readonly t: TimelineContext;
  private readonly buckets: BarBuckets;
  private readonly ctx: CanvasRenderingContext2D | null;

  constructor(t: TimelineContext, buckets: BarBuckets) {
    this.t = t;
    this.buckets = buckets;
    this.ctx = t.dom.testCanvas.getContext('2d');
  }

  /** Draws the whole tests canvas for the current window, and records what was drawn in state.lastCounts. */
  draw(): void {
    if (!this.ctx) return;
    const ctx = this.ctx;
    const { state, geometry, dom } = this.t;
    const theme = this.t.theme.current;
    const { layout, win } = state;
    const dpr = geometry.dpr;
    const s = geometry.scale(win);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, dom.testCanvas.width, dom.testCanvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    layout.lanes.forEach((lane, li) => {
      if (li % 2 === 0) {
        ctx.fillStyle = theme.laneBg;
        ctx.fillRect(0, geometry.laneTopsCssPx[li] ?? 0, geometry.widthCssPx, lane.rowCount * ROW_CSS_PX);
      }
    });
    // Idle gaps under the bars: where a worker ran nothing between its first start and last end.
    ctx.fillStyle = theme.idle;
    let idleGaps = 0;
    layout.lanes.forEach((lane, li) => {
      const gaps = state.idle[li];
      if (!gaps || gaps.startMs.length === 0) return;
      const spans = visibleGaps(gaps, win.t0Ms, win.t1Ms, (ms) => msToCssPx(s, ms));
      const top = geometry.laneTopsCssPx[li] ?? 0;
      for (let k = 0; k < spans.length; k += 2) {
        const x0 = spans[k] as number;
        ctx.fillRect(x0, top, (spans[k + 1] as number) - x0, lane.rowCount * ROW_CSS_PX);
      }
      idleGaps += spans.length / 2;
    });
    state.lastIdleGaps = idleGaps;
    ctx.save();
    ctx.beginPath();
    ctx.rect(s.x0CssPx, 0, s.widthCssPx, geometry.testsHeightCssPx);
    ctx.clip();
    drawAxis(ctx, s, geometry.testsHeightCssPx, state.runStartMs, theme);
    ctx.restore();

    this.buckets.clear();
    const counts = newCounts();
    const input = {
      t0Ms: win.t0Ms,
      t1Ms: win.t1Ms,
      x0DevicePx: s.x0CssPx * dpr,
      devicePxPerMs: (s.widthCssPx * dpr) / (win.t1Ms - win.t0Ms),
      xMinDevicePx: s.x0CssPx * dpr,
      xMaxDevicePx: (s.x0CssPx + s.widthCssPx) * dpr,
      status: state.tests.status,
      open: layout.open,
      mask: state.mask,
    };
    for (let r = 0; r < layout.rows.length; r++) {
      const row = layout.rows[r];
      if (row)
        batchRow(
          row,
          Math.round((geometry.rowTopCssPx(r) + 1) * dpr),
          input,
          this.buckets.lists,
          counts,
          state.summaries[r] ?? null,
        );
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(s.x0CssPx * dpr, 0, s.widthCssPx * dpr, geometry.testsHeightCssPx * dpr);
    ctx.clip();
    this.buckets.paint(ctx, this.t.theme, dpr, Math.max(1, Math.round((ROW_CSS_PX - 2) * dpr)));
    ctx.restore();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.outline(ctx, s, state.hovered, theme.hover, 1.5);
    this.outline(ctx, s, state.view.selected, theme.accent, 2);
    // Lane labels in the gutter.
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    layout.lanes.forEach((lane, li) => {
      const topCssPx = geometry.laneTopsCssPx[li] ?? 0;
      ctx.fillStyle = theme.text;
      ctx.fillText(lane.label, 6, topCssPx + 1, GUTTER_CSS_PX - 10);
      if (lane.rowCount > 1) {
        ctx.fillStyle = theme.muted;
        ctx.font = '10px system-ui, sans-serif';
        ctx.fillText(`${lane.rowCount} rows (overlaps)`, 6, topCssPx + 14, GUTTER_CSS_PX - 10);
        ctx.font = '12px system-ui, sans-serif';
      }
    });
    if (!state.hasTime) {
      ctx.fillStyle = theme.muted;
      ctx.fillText('No test in this run has a timestamp.', GUTTER_CSS_PX, AXIS_CSS_PX + 8);
    }
    state.lastCounts = counts;
  }

  private outline(
    ctx: CanvasRenderingContext2D,
    s: TimeScale,
    index: number,
    color: string,
    lineWidth: number,
  ): void {
    const { state, geometry } = this.t;
    const layout = state.layout;
    if (index < 0 || index >= state.tests.count) return;
    const row = layout.rowOf[index] ?? -1;
    if (row < 0) return;
    const x0CssPx = msToCssPx(s, layout.startMs[index] ?? 0);
    const x1CssPx = Math.max(x0CssPx + 1, msToCssPx(s, layout.endMs[index] ?? 0));
    const left = Math.max(s.x0CssPx - 2, x0CssPx);
    const right = Math.min(s.x0CssPx + s.widthCssPx + 2, x1CssPx);
    if (right < s.x0CssPx - 2 || left > s.x0CssPx + s.widthCssPx + 2) return;
    const y = geometry.rowTopCssPx(row);
    ctx.strokeStyle = color;
    ctx.lineWidth = lineWidth;
    ctx.strokeRect(left - 1, y, right - left + 2, ROW_CSS_PX);
  }
}
