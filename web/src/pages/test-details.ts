// Test details: the test's facts, one tab per attachment (pythonlogging parsed, tracebacks monospace), navigation.
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import { errorBox, type AppContext, type Page } from '../app/page';
import { h, replace } from '../app/dom';
import { formatDuration, formatUtc } from '../app/format';
import { statusAt } from '../app/status-colors';
import { loadDetailsOf, loadTestFacts, loadTimelineTests } from '../data/loader';
import { renderLogView } from '../logs/log-view';
import { parsePythonLogging } from '../logs/pythonlogging';
import type { RunModel, TestFacts, TimelineTests } from '../model/types';
import { formatHash, testHash, timelineHash, type TestViewState } from '../state/url';
import { statusBadge } from '../app/badge';
import { testHistorySection } from '../history/history-view';
import { runHistory } from '../history/load';

/** The name the decoder gives the entries it makes for damaged packets. */
const PARSER_ERROR_NAME = 'subunit.parser';

/** `pkg.module.Class.test_method` → its parts (the original's names have no other structure to go by). */
export function splitTestName(name: string): { module: string; cls: string; method: string } {
  const parts = name.split('.');
  const method = parts.pop() ?? name;
  const cls = parts.pop() ?? '';
  return { module: parts.join('.'), cls, method };
}

/** The previous and next failing tests (by index) around `index`, -1 when none. */
export function neighbourFailures(
  tests: Pick<TimelineTests, 'count' | 'status'>,
  index: number,
): [number, number] {
  const fail = EXPORT_STATUSES.indexOf('fail');
  let prev = -1;
  let next = -1;
  for (let i = index - 1; i >= 0; i--)
    if (tests.status[i] === fail) {
      prev = i;
      break;
    }
  for (let i = index + 1; i < tests.count; i++)
    if (tests.status[i] === fail) {
      next = i;
      break;
    }
  return [prev, next];
}

/** Attachment tab order: the traceback first for failures, then the log, then the rest by name. */
function tabOrder(names: string[]): string[] {
  const rank = (n: string): number =>
    n === 'traceback' ? 0 : n === 'reason' ? 1 : n === 'pythonlogging' ? 2 : 3;
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function attachmentBody(name: string, text: string, view: AttachmentsView): HTMLElement {
  if (name === 'pythonlogging')
    return renderLogView(text, { levels: view.state.levels, query: view.state.logQuery }, (s) =>
      view.onChange({ levels: s.levels, logQuery: s.query }),
    );
  return h('pre', { class: name === 'traceback' ? 'attachment traceback' : 'attachment' }, text);
}

/** The tab and log state to start from, and where changes go (the test page keeps them in the URL). */
export interface AttachmentsView {
  state: TestViewState;
  onChange(patch: Partial<TestViewState>): void;
}

const NO_VIEW: AttachmentsView = {
  state: { tab: null, levels: null, logQuery: '' },
  onChange: () => undefined,
};

export function renderAttachments(
  attachments: Map<string, string>,
  view: AttachmentsView = NO_VIEW,
): HTMLElement {
  const names = tabOrder([...attachments.keys()]);
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const buttons: HTMLButtonElement[] = [];
  const select = (i: number): void => {
    const name = names[i] ?? '';
    buttons.forEach((b, j) => {
      b.setAttribute('aria-selected', String(i === j));
      b.tabIndex = i === j ? 0 : -1;
    });
    replace(panel, attachmentBody(name, attachments.get(name) ?? '', view));
  };
  names.forEach((name, i) => {
    const text = attachments.get(name) ?? '';
    // A log counts its records (a record's traceback lines are part of it), other attachments their lines.
    const lines =
      text === '' ? 0 : name === 'pythonlogging' ? parsePythonLogging(text).length : text.split('\n').length;
    const b = h(
      'button',
      { type: 'button', role: 'tab', class: 'tab', 'data-attachment': name },
      name,
      ' ',
      h('span', { class: 'n' }, String(lines)),
    );
    b.addEventListener('click', () => {
      select(i);
      view.onChange({ tab: name });
    });
    buttons.push(b);
    tabs.appendChild(b);
  });
  // Arrow keys move between tabs, as in any tab list.
  tabs.addEventListener('keydown', (e) => {
    const at = buttons.findIndex((b) => b === document.activeElement);
    if (at < 0 || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
    const next = (at + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length;
    buttons[next]?.focus();
    select(next);
    view.onChange({ tab: names[next] ?? null });
    e.preventDefault();
  });
  if (names.length > 0) select(Math.max(0, names.indexOf(view.state.tab ?? '')));
  return h('div', { class: 'attachments' }, tabs, panel);
}

function factsList(run: RunModel, tests: TimelineTests, facts: TestFacts, i: number): HTMLElement {
  const name = tests.name[i] ?? '';
  const { module, cls, method } = splitTestName(name);
  const w = tests.worker[i] ?? -1;
  const rows: [string, Node | string][] = [['status', statusBadge(statusAt(tests.status[i] ?? 0))]];
  if (name === PARSER_ERROR_NAME)
    rows.push(['entry', 'subunit parser error: a damaged or cut-short part of the stream, not a test']);
  else rows.push(['method', method], ['class', cls || '–'], ['module', module || '–']);
  rows.push(
    ['worker', w >= 0 ? `worker-${w}` : 'none'],
    ['tags', facts.tags.join(', ') || '–'],
    ['attributes', facts.attributes.join(', ') || '–'],
    ['start', formatUtc(tests.startMs[i] ?? NaN)],
    ['end', formatUtc(tests.endMs[i] ?? NaN)],
    ['duration', formatDuration(tests.durationS[i])],
  );
  if (facts.id !== name) rows.push(['id', facts.id]);
  rows.push(['run', run.name]);
  return h(
    'dl',
    { class: 'facts test-facts' },
    ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', { 'data-field': k }, v)]),
  );
}

export function renderTestPage(
  ctx: AppContext,
  run: RunModel,
  index: number,
  initial: TestViewState | undefined,
): Page {
  void ctx;
  // The tab and log state follow the URL (replaceState: no history entry per keystroke).
  let state: TestViewState = initial ?? { tab: null, levels: null, logQuery: '' };
  const view: AttachmentsView = {
    state,
    onChange(patch) {
      state = { ...state, ...patch };
      history.replaceState(
        history.state,
        '',
        formatHash({ page: 'test', runKey: run.key, index, view: state }),
      );
    },
  };
  const el = h('div', { class: 'test-page' }, h('p', { class: 'loading' }, 'Loading test…'));
  let alive = true;
  void (async () => {
    try {
      // The timeline's columns (from its index when the export has one) and this test's own entry: a big
      // run's page does not wait for its whole raw file.
      const tests = await loadTimelineTests(run);
      if (!alive) return;
      if (index >= tests.count) {
        replace(
          el,
          errorBox('No such test', `Run “${run.name}” has ${tests.count} tests; there is no test ${index}.`),
        );
        return;
      }
      const facts = await loadTestFacts(run, index);
      if (!alive) return;
      const name = tests.name[index] ?? '';
      const [prev, next] = neighbourFailures(tests, index);
      const nav = h(
        'div',
        { class: 'test-nav' },
        h('a', { class: 'button', href: timelineHash(run.key, { selected: index }) }, 'Show on timeline'),
        prev >= 0
          ? h(
              'a',
              { class: 'button', href: testHash(run.key, prev), 'data-nav': 'prev-failure' },
              '← previous failure',
            )
          : null,
        next >= 0
          ? h(
              'a',
              { class: 'button', href: testHash(run.key, next), 'data-nav': 'next-failure' },
              'next failure →',
            )
          : null,
      );
      const attachSlot = h(
        'div',
        { class: 'attach-slot' },
        h('p', { class: 'loading' }, 'Loading attachments…'),
      );
      document.title = `${name} · ${run.name} · stackviz`;
      const historySlot = h('div', { class: 'history-slot' });
      replace(
        el,
        h('h1', { class: 'test-title' }, name),
        nav,
        factsList(run, tests, facts, index),
        historySlot,
        attachSlot,
      );
      // History (`--history`): badges, the outcome strip and the durations, beside the attachments' loading.
      runHistory(run).then(
        (hist) => {
          if (alive && hist !== null)
            replace(historySlot, testHistorySection(hist, name, historySlot.clientWidth));
        },
        (e: unknown) => {
          if (alive)
            replace(
              historySlot,
              h('p', { class: 'error-inline' }, e instanceof Error ? e.message : String(e)),
            );
        },
      );
      const attachments = await loadDetailsOf(run, facts);
      if (!alive) return;
      replace(
        attachSlot,
        attachments && attachments.size > 0
          ? renderAttachments(attachments, view)
          : h('p', { class: 'muted' }, 'This test has no attachments.'),
      );
    } catch (e) {
      if (alive) replace(el, errorBox('Cannot show this test', e instanceof Error ? e.message : String(e)));
    }
  })();
  return {
    el,
    destroy() {
      alive = false;
    },
  };
}
