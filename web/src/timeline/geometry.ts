// Where things are on screen, in css px: the timeline's fixed sizes, each row's top, the plot's width and time scales.
import type { TimelineLayout } from './layout';
import type { TimeScale, TimeWindow } from './scale';

export const GUTTER_CSS_PX = 104;
export const AXIS_CSS_PX = 34;
export const ROW_CSS_PX = 14;
export const LANE_GAP_CSS_PX = 6;
export const LOAD_LANE_CSS_PX = 52;
export const LOAD_GAP_CSS_PX = 6;
export const OVERVIEW_CSS_PX = 44;
export const MATCH_ROW_CSS_PX = 22;

export class TimelineGeometry {
  /** The body's width, and device px per css px: both follow the resize observer. */
  widthCssPx = 0;
  dpr = 1;
  readonly laneTopsCssPx: readonly number[];
  readonly testsHeightCssPx: number;
  readonly loadHeightCssPx: number;
  private readonly layout: TimelineLayout;

  constructor(layout: TimelineLayout, loadLaneCount: number) {
    this.layout = layout;
    const tops: number[] = [];
    let y = AXIS_CSS_PX;
    for (const lane of layout.lanes) {
      tops.push(y);
      y += lane.rowCount * ROW_CSS_PX + LANE_GAP_CSS_PX;
    }
    this.laneTopsCssPx = tops;
    this.testsHeightCssPx = Math.max(y, AXIS_CSS_PX + 40);
    this.loadHeightCssPx = loadLaneCount * (LOAD_LANE_CSS_PX + LOAD_GAP_CSS_PX);
  }

  rowTopCssPx(row: number): number {
    const lane = this.layout.rowLane[row] ?? 0;
    const l = this.layout.lanes[lane];
    return (this.laneTopsCssPx[lane] ?? 0) + (row - (l?.firstRow ?? 0)) * ROW_CSS_PX;
  }

  /** The row under a y on the tests canvas, -1 in the axis or a gap between lanes. */
  rowAtCssY(yCssPx: number): number {
    const lanes = this.layout.lanes;
    for (let li = 0; li < lanes.length; li++) {
      const l = lanes[li];
      const top = this.laneTopsCssPx[li] ?? 0;
      if (!l) continue;
      if (yCssPx >= top && yCssPx < top + l.rowCount * ROW_CSS_PX)
        return l.firstRow + Math.floor((yCssPx - top) / ROW_CSS_PX);
    }
    return -1;
  }

  plotWidthCssPx(): number {
    return Math.max(10, this.widthCssPx - GUTTER_CSS_PX - 8);
  }

  /** A window mapped onto the plot, right of the gutter (the main view's window, or the overview's whole run). */
  scale(win: TimeWindow): TimeScale {
    return { t0Ms: win.t0Ms, t1Ms: win.t1Ms, x0CssPx: GUTTER_CSS_PX, widthCssPx: this.plotWidthCssPx() };
  }

  /** Whether a css x lies on the plot (the cursor line is drawn only there). */
  onPlot(xCssPx: number): boolean {
    return xCssPx >= GUTTER_CSS_PX && xCssPx <= GUTTER_CSS_PX + this.plotWidthCssPx();
  }
}
