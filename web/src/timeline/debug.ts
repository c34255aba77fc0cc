// The debug hook (`window.__stackvizTimeline`): a read-only view of what was last drawn, for browser tests and the benchmark.
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import { valuesAt } from '../lanes/load-lanes';
import type { TimelineDebug } from './api';
import type { TimelineController } from './controller';
import { ROW_CSS_PX } from './geometry';
import { msToCssPx } from './scale';

export function timelineDebug(
  c: TimelineController,
  mountAtMs: number,
  mountMs: () => number,
): TimelineDebug {
  const { state, geometry, dom } = c.t;
  const { layout, load, tests } = state;
  return {
    get t0Ms() {
      return state.win.t0Ms;
    },
    get t1Ms() {
      return state.win.t1Ms;
    },
    runStartMs: state.runStartMs,
    runEndMs: state.runEndMs,
    get selected() {
      return state.view.selected;
    },
    get hovered() {
      return state.hovered;
    },
    get drawnByStatus() {
      const drawn = state.lastCounts.drawnByCode;
      return Object.fromEntries(EXPORT_STATUSES.map((s, k) => [s, drawn[k] ?? 0])) as Record<
        ExportStatus,
        number
      >;
    },
    get dimmed() {
      return state.lastCounts.dimmed;
    },
    get rects() {
      return state.lastCounts.rects;
    },
    get matches() {
      return state.filter.all ? tests.count : state.filter.matches.length;
    },
    get queryError() {
      return state.filter.error;
    },
    get frames() {
      return c.frames;
    },
    mountAtMs,
    get mountMs() {
      return mountMs();
    },
    get firstDrawAtMs() {
      return c.firstDrawAtMs;
    },
    get frameMs() {
      return c.frameMs.slice();
    },
    get axisLabels() {
      return c.testRows.axisLabels.slice();
    },
    get plotCssPx() {
      const s = geometry.scale(state.win);
      return { x0: s.x0CssPx, x1: s.x0CssPx + s.widthCssPx };
    },
    get loadScales() {
      return c.loadView.scales.slice();
    },
    get overviewMarks() {
      return c.overview.marks;
    },
    lanes: layout.lanes.length,
    rows: layout.rows.length,
    get idleGapsDrawn() {
      return state.lastIdleGaps;
    },
    // Built when asked: a pair per gap is 100,000 arrays at 100,000 tests, before the first frame otherwise.
    get idleGaps() {
      return layout.lanes.map((lane, li) => {
        const g = state.idle[li];
        const gaps: [number, number][] = [];
        for (let k = 0; k < (g?.startMs.length ?? 0); k++) gaps.push([g?.startMs[k] ?? 0, g?.endMs[k] ?? 0]);
        return { worker: lane.worker, gaps };
      });
    },
    loadLanes: load ? load.lanes.map((l) => l.def.id) : [],
    get dstatShiftMin() {
      return state.view.dstatShiftMin;
    },
    get dstatOverlapsRun() {
      return state.dstatOverlaps();
    },
    valueAt(ms: number) {
      return load ? valuesAt(load, ms, state.dstatShiftMs) : null;
    },
    testClientPoint(index: number) {
      const row = layout.rowOf[index] ?? -1;
      if (row < 0) return null;
      const s = geometry.scale(state.win);
      const x0CssPx = Math.max(s.x0CssPx, msToCssPx(s, layout.startMs[index] ?? 0));
      const x1CssPx = Math.min(
        s.x0CssPx + s.widthCssPx,
        Math.max(msToCssPx(s, layout.endMs[index] ?? 0), x0CssPx + 1),
      );
      if (x1CssPx < x0CssPx) return null;
      const r = dom.testCanvas.getBoundingClientRect();
      return { x: r.left + (x0CssPx + x1CssPx) / 2, y: r.top + geometry.rowTopCssPx(row) + ROW_CSS_PX / 2 };
    },
    msToClientX(ms: number) {
      return dom.testCanvas.getBoundingClientRect().left + msToCssPx(geometry.scale(state.win), ms);
    },
    loadLanesClientY() {
      return c.loadView.lanesClientY();
    },
  };
}
