// The timeline route: loads tests (and dstat), keeps the view state in the hash; the drawing is the timeline module's.
import { errorBox, type AppContext, type Page } from '../app/page';
import { h, replace } from '../app/dom';
import { formatCount } from '../app/format';
import { loadDstat, loadTestFacts, loadTimelineTests } from '../data/loader';
import type { DstatLog } from '../../../src/formats/dstat/index';
import type { RunModel, TimelineTests } from '../model/types';
import { formatHash, runHash, testHash, type Route, type TimelineViewState } from '../state/url';
import { mountTimeline, type TimelineHandle } from '../timeline/index';
import { historyBadges } from '../history/history-view';
import { runHistory } from '../history/load';

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

/** The original front-end's `?test=<name>` names a test; the first test of that name is selected. */
function resolveState(route: TimelineRoute, tests: TimelineTests): TimelineViewState {
  const state = { ...route.state };
  if (route.testName !== null) state.selected = tests.name.indexOf(route.testName);
  if (state.selected >= tests.count) state.selected = -1;
  return state;
}

/** Why there is nothing to draw (no tests, or none with a timestamp), or null when there is. */
function emptyReason(tests: TimelineTests): string | null {
  if (tests.count === 0) return 'This run holds no tests: its stream carried no test results.';
  for (let i = 0; i < tests.count; i++)
    if (Number.isFinite(tests.startMs[i]) || Number.isFinite(tests.endMs[i])) return null;
  return `None of this run's ${formatCount(tests.count)} tests carries a timestamp, so there is nothing to place in time. The run page lists them.`;
}

export function renderTimelinePage(ctx: AppContext, run: RunModel, route: TimelineRoute): Page {
  void ctx;
  const el = h('div', { class: 'timeline-page' }, h('p', { class: 'loading' }, 'Loading tests…'));
  const writer = hashWriter(run.key);
  let alive = true;
  let handle: TimelineHandle | null = null;
  let state: TimelineViewState = route.state;
  let tests: TimelineTests | null = null;

  void (async () => {
    try {
      // Both at once; a dstat log that cannot be read costs the load lanes only, never the timeline.
      const dstatPromise = loadDstat(run).then(
        (log) => ({ log, error: null }),
        (e: unknown) => ({ log: null, error: e instanceof Error ? e.message : String(e) }),
      );
      // History badges for the selection panel (`--history`); a history that cannot be read costs them only.
      const historyPromise = runHistory(run).catch(() => null);
      tests = await loadTimelineTests(run);
      const hist = await historyPromise;
      const dstat: { log: DstatLog | null; error: string | null } = await dstatPromise;
      if (!alive) return;
      const empty = emptyReason(tests);
      if (empty !== null) {
        replace(
          el,
          h(
            'div',
            { class: 'empty-state' },
            h('h2', null, 'No timeline for this run'),
            h('p', null, empty),
            h('p', null, h('a', { href: runHash(run.key) }, 'Back to the run')),
          ),
        );
        return;
      }
      state = resolveState(route, tests);
      if (route.testName !== null) writer.write(state);
      const mount = h('div', { class: 'timeline-mount' });
      replace(
        el,
        dstat.error === null
          ? null
          : h('p', { class: 'error-inline' }, `Load lanes unavailable: ${dstat.error}`),
        mount,
      );
      handle = mountTimeline(mount, {
        run,
        tests,
        testFacts: (i) => loadTestFacts(run, i),
        dstat: dstat.log,
        state,
        onStateChange(patch) {
          state = { ...state, ...patch };
          // Only the hash follows: the timeline already shows what it reported.
          writer.write(state);
        },
        onOpenTest(index) {
          location.hash = testHash(run.key, index);
        },
        ...(hist === null
          ? {}
          : {
              testBadges: (index: number) => historyBadges(hist.byName.get(tests?.name[index] ?? '')),
            }),
      });
    } catch (e) {
      if (alive)
        replace(el, errorBox('Cannot show the timeline', e instanceof Error ? e.message : String(e)));
    }
  })();

  return {
    el,
    // A hash typed or pasted by the user on the same run: the timeline follows it without being rebuilt.
    update(next) {
      if (next.page !== 'timeline' || next.runKey !== route.runKey || handle === null || tests === null)
        return false;
      state = resolveState(next, tests);
      handle.update(state);
      return true;
    },
    destroy() {
      alive = false;
      writer.cancel();
      handle?.destroy();
    },
  };
}
