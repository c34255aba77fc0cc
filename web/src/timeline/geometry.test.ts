// Row geometry: lane tops, row tops and the row under a y are inverses; the plot's width and scale.
import { describe, expect, it } from 'vitest';
import { buildLayout } from './layout';
import { AXIS_CSS_PX, GUTTER_CSS_PX, LANE_GAP_CSS_PX, ROW_CSS_PX, TimelineGeometry } from './geometry';
import { makeTable } from './test-table.fixture';

const layout = buildLayout(
  makeTable([
    { name: 'a', worker: 0, start: 0, end: 10 },
    { name: 'b', worker: 0, start: 2, end: 3 }, // overlaps a: second row of lane 0
    { name: 'c', worker: 1, start: 0, end: 1 },
  ]),
);

describe('TimelineGeometry', () => {
  const g = new TimelineGeometry(layout, 2);

  it('stacks lanes under the axis with a gap between them', () => {
    expect(g.laneTopsCssPx).toEqual([AXIS_CSS_PX, AXIS_CSS_PX + 2 * ROW_CSS_PX + LANE_GAP_CSS_PX]);
    expect(g.testsHeightCssPx).toBe(AXIS_CSS_PX + 3 * ROW_CSS_PX + 2 * LANE_GAP_CSS_PX);
    expect(g.loadHeightCssPx).toBe(2 * 58);
  });

  it('finds the row under every y of a row, and none in the axis or a gap', () => {
    for (let row = 0; row < layout.rows.length; row++) {
      const top = g.rowTopCssPx(row);
      expect(g.rowAtCssY(top)).toBe(row);
      expect(g.rowAtCssY(top + ROW_CSS_PX - 0.01)).toBe(row);
    }
    expect(g.rowAtCssY(0)).toBe(-1);
    expect(g.rowAtCssY(AXIS_CSS_PX + 2 * ROW_CSS_PX + 1)).toBe(-1);
    expect(g.rowAtCssY(1e6)).toBe(-1);
  });

  it('maps a window onto the plot right of the gutter, never narrower than 10 px', () => {
    const w = new TimelineGeometry(layout, 0);
    expect(w.plotWidthCssPx()).toBe(10);
    w.widthCssPx = 1000;
    expect(w.scale({ t0Ms: 1, t1Ms: 2 })).toEqual({
      t0Ms: 1,
      t1Ms: 2,
      x0CssPx: GUTTER_CSS_PX,
      widthCssPx: 1000 - GUTTER_CSS_PX - 8,
    });
    expect(w.onPlot(GUTTER_CSS_PX)).toBe(true);
    expect(w.onPlot(GUTTER_CSS_PX - 1)).toBe(false);
    expect(w.onPlot(1000 - 8)).toBe(true);
    expect(w.onPlot(1000 - 7)).toBe(false);
  });
});
