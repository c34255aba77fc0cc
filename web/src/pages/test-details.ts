// Test details: the test's facts, one tab per attachment (pythonlogging parsed, tracebacks monospace), navigation.
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import { errorBox, type AppContext, type Page } from '../app/page';
import { h, replace } from '../app/dom';
import { formatDuration, formatUtc } from '../app/format';
import { statusAt } from '../app/status-colors';
import { loadDetails, loadTests } from '../data/loader';
import { renderLogView } from '../logs/log-view';
import type { RunModel, TestTable } from '../model/types';
import { testHash, timelineHash } from '../state/url';
import { statusBadge } from '../app/badge';
import { testHistorySection } from '../history/history-view';
import { runHistory } from '../history/load';

/** `pkg.module.Class.test_method` → its parts (the original's names have no other structure to go by). */
export function splitTestName(name: string): { module: string; cls: string; method: string } {
  const parts = name.split('.');
  const method = parts.pop() ?? name;
  const cls = parts.pop() ?? '';
  return { module: parts.join('.'), cls, method };
}

/** The previous and next failing tests (by index) around `index`, -1 when none. */
export function neighbourFailures(tests: TestTable, index: number): [number, number] {
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

function attachmentBody(name: string, text: string): HTMLElement {
  if (name === 'pythonlogging') return renderLogView(text);
  return h('pre', { class: name === 'traceback' ? 'attachment traceback' : 'attachment' }, text);
}

export function renderAttachments(attachments: Map<string, string>): HTMLElement {
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
    replace(panel, attachmentBody(name, attachments.get(name) ?? ''));
  };
  names.forEach((name, i) => {
    const text = attachments.get(name) ?? '';
    const lines = text === '' ? 0 : text.split('\n').length;
    const b = h(
      'button',
      { type: 'button', role: 'tab', class: 'tab', 'data-attachment': name },
      name,
      ' ',
      h('span', { class: 'n' }, String(lines)),
    );
    b.addEventListener('click', () => select(i));
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
    e.preventDefault();
  });
  if (names.length > 0) select(0);
  return h('div', { class: 'attachments' }, tabs, panel);
}

function factsList(run: RunModel, tests: TestTable, i: number): HTMLElement {
  const name = tests.name[i] ?? '';
  const { module, cls, method } = splitTestName(name);
  const w = tests.worker[i] ?? -1;
  const rows: [string, Node | string][] = [
    ['status', statusBadge(statusAt(tests.status[i] ?? 0))],
    ['method', method],
    ['class', cls || '–'],
    ['module', module || '–'],
    ['worker', w >= 0 ? `worker-${w}` : 'none'],
    ['tags', (tests.tags[i] ?? []).join(', ') || '–'],
    ['attributes', (tests.attributes[i] ?? []).join(', ') || '–'],
    ['start', formatUtc(tests.startMs[i] ?? NaN)],
    ['end', formatUtc(tests.endMs[i] ?? NaN)],
    ['duration', formatDuration(tests.durationS[i])],
  ];
  if ((tests.id[i] ?? name) !== name) rows.push(['id', tests.id[i] ?? '']);
  rows.push(['run', run.name]);
  return h(
    'dl',
    { class: 'facts test-facts' },
    ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', { 'data-field': k }, v)]),
  );
}

export function renderTestPage(ctx: AppContext, run: RunModel, index: number): Page {
  void ctx;
  const el = h('div', { class: 'test-page' }, h('p', { class: 'loading' }, 'Loading test…'));
  let alive = true;
  void (async () => {
    try {
      const tests = await loadTests(run);
      if (!alive) return;
      if (index >= tests.count) {
        replace(
          el,
          errorBox('No such test', `Run “${run.name}” has ${tests.count} tests; there is no test ${index}.`),
        );
        return;
      }
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
      const historySlot = h('div', { class: 'history-slot' });
      replace(
        el,
        h('h1', { class: 'test-title' }, name),
        nav,
        factsList(run, tests, index),
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
      const attachments = await loadDetails(run, index);
      if (!alive) return;
      replace(
        attachSlot,
        attachments && attachments.size > 0
          ? renderAttachments(attachments)
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
