// The timeline: one canvas lane per worker, zoom/pan/brush, hover and selection, search and status filter, load lanes.
// This file only wires the parts. controller.ts owns them and the changes that touch several; state.ts holds what
// they share (TimelineState), geometry.ts where things are (css px). Drawing: test-rows.ts (with axis.ts, paint.ts,
// theme.ts), overview.ts, load.ts (over ../lanes). Input: interactions.ts, hover.ts, controls.ts, panel.ts.
// Pure and unit-tested: state, geometry, scale, layout, batch, search.
import './timeline.css';
import type { TimelineDebug, TimelineHandle, TimelineOptions } from './api';
import { TimelineController } from './controller';
import { timelineDebug } from './debug';

export type { TimelineDebug, TimelineHandle, TimelineOptions } from './api';

export function mountTimeline(host: HTMLElement, opts: TimelineOptions): TimelineHandle {
  const mountAtMs = performance.now();
  let mountMs = 0;
  const controller = new TimelineController(host, opts);
  const debug: TimelineDebug = timelineDebug(controller, mountAtMs, () => mountMs);
  window.__stackvizTimeline = debug;
  controller.start();
  mountMs = performance.now() - mountAtMs;
  return {
    update: (state) => controller.update(state),
    destroy(): void {
      controller.destroy();
      if (window.__stackvizTimeline === debug) delete window.__stackvizTimeline;
      host.replaceChildren();
    },
  };
}
