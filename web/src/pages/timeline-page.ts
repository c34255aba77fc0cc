// The timeline route: loads tests (and dstat), keeps the view state in the hash; the drawing is the timeline module's.
import type { AppContext, Page } from '../app/app';
import { errorBox } from '../app/app';
import { h, replace } from '../app/dom';
import { loadTests } from '../data/loader';
import type { RunModel } from '../model/types';
import { formatHash, type Route, type TimelineViewState } from '../state/url';

type TimelineRoute = Extract<Route, { page: 'timeline' }>;

/** history.replaceState at most once per frame: dragging produces many state patches per frame. */
export function hashWriter(runKey: string): { write(state: TimelineViewState): void; cancel(): void } {
  let pending: TimelineViewState | null = null;
  let frame = 0;
  return {
    write(state) {
      pending = state;
      if (frame !== 0) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (pending === null) return;
        history.replaceState(
          history.state,
          '',
          formatHash({ page: 'timeline', runKey, state: pending, testName: null }),
        );
        pending = null;
      });
    },
    cancel() {
      if (frame !== 0) cancelAnimationFrame(frame);
      frame = 0;
    },
  };
}

export function renderTimelinePage(ctx: AppContext, run: RunModel, route: TimelineRoute): Page {
  void ctx;
  const el = h('div', { class: 'timeline-page' }, h('p', { class: 'loading' }, 'Loading tests…'));
  let alive = true;
  void (async () => {
    try {
      const tests = await loadTests(run);
      if (!alive) return;
      // The original's `?test=<name>`: the first test of that name.
      const state = { ...route.state };
      if (route.testName !== null) state.selected = tests.name.indexOf(route.testName);
      replace(
        el,
        h(
          'p',
          { class: 'muted placeholder' },
          `Timeline of ${tests.count} tests: the timeline view is not built in yet.`,
        ),
      );
    } catch (e) {
      if (alive)
        replace(el, errorBox('Cannot show the timeline', e instanceof Error ? e.message : String(e)));
    }
  })();
  return {
    el,
    destroy() {
      alive = false;
    },
  };
}
