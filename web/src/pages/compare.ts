// Compare two runs of the report (`#/compare/A/B`): new failures, fixed, still failing, added, removed and
// slower tests, by the same rules as `stackviz compare` (src/history/rules.ts, shared with the CLI).
import type { CompareResult } from '../../../src/contract/history-format';
import { compareRuns, RunTests } from '../../../src/history/rules';
import type { AppContext, Page } from '../app/page';
import { errorBox } from '../app/page';
import { h, replace } from '../app/dom';
import { formatCount, formatDuration } from '../app/format';
import { statusAt } from '../app/status-colors';
import { loadTimelineTests } from '../data/loader';
import type { RunModel, TimelineTests } from '../model/types';
import { testHash } from '../state/url';
import { comparePicker } from './compare-picker';
import { cappedList } from './home';

/** A run's tests folded as the rules read them: every attempt, in the run's order. */
export function runTestsOf(t: TimelineTests): RunTests {
  const out = new RunTests();
  for (let i = 0; i < t.count; i++) {
    const d = t.durationS[i] ?? NaN;
    out.add(t.name[i] ?? '', statusAt(t.status[i] ?? 0), Number.isNaN(d) ? null : d);
  }
  return out;
}

/** What changed from run A to run B. */
export function compareTables(a: TimelineTests, b: TimelineTests): CompareResult {
  return compareRuns(runTestsOf(a), runTestsOf(b));
}

/** "1 new failure, 2 fixed, 0 still failing, 3 added (1 failing), 0 removed, 1 slower". */
export function compareSummary(c: CompareResult, addedFailing: number): string {
  const n = (k: number, one: string, many = one): string => `${formatCount(k)} ${k === 1 ? one : many}`;
  return [
    n(c.new_failures.length, 'new failure', 'new failures'),
    n(c.fixed.length, 'fixed'),
    n(c.still_failing.length, 'still failing'),
    n(c.added.length, 'added') + (addedFailing > 0 ? ` (${formatCount(addedFailing)} failing)` : ''),
    n(c.removed.length, 'removed'),
    n(c.slower.length, 'slower'),
  ].join(', ');
}

function firstIndex(t: TimelineTests): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < t.count; i++) if (!m.has(t.name[i] ?? '')) m.set(t.name[i] ?? '', i);
  return m;
}

/** One list of the comparison; added and removed (often hundreds) fold away, every list draws 50 rows first. */
function section(
  kind: string,
  title: string,
  names: readonly string[],
  link: (name: string) => HTMLElement,
  folded = false,
): HTMLElement {
  const heading = h('h3', null, `${title} (${formatCount(names.length)})`);
  const body =
    names.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : cappedList(names, 50, (n) => h('li', null, link(n)), 'fail-list');
  if (!folded || names.length === 0) return h('section', { 'data-compare': kind }, heading, body);
  return h('details', { 'data-compare': kind, class: 'skips' }, h('summary', null, heading), body);
}

function result(
  ctx: AppContext,
  runA: RunModel,
  runB: RunModel,
  ta: TimelineTests,
  tb: TimelineTests,
): HTMLElement {
  const rb = runTestsOf(tb);
  const c = compareRuns(runTestsOf(ta), rb);
  const addedFailing = c.added.filter((n) => rb.get(n).outcome === 'fail');
  const ia = firstIndex(ta);
  const ib = firstIndex(tb);
  const inB = (n: string): HTMLElement => {
    const i = ib.get(n);
    return i === undefined
      ? h('span', { class: 'test-name' }, n)
      : h('a', { class: 'test-name', href: testHash(runB.key, i) }, n);
  };
  const inA = (n: string): HTMLElement => {
    const i = ia.get(n);
    return i === undefined
      ? h('span', { class: 'test-name' }, n)
      : h('a', { class: 'test-name', href: testHash(runA.key, i) }, n);
  };
  const slower = h(
    'section',
    { 'data-compare': 'slower' },
    h('h3', null, `Slower (${formatCount(c.slower.length)})`),
    c.slower.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'ul',
          { class: 'fail-list' },
          ...c.slower.map((s) =>
            h(
              'li',
              null,
              h(
                'div',
                { class: 'row' },
                inB(s.name),
                h('span', { class: 'dur' }, `${formatDuration(s.before)} → ${formatDuration(s.after)}`),
              ),
            ),
          ),
        ),
  );
  return h(
    'div',
    { class: 'compare-lists card' },
    h('p', { 'data-compare-summary': '' }, h('strong', null, compareSummary(c, addedFailing.length))),
    h(
      'p',
      { class: 'muted' },
      `From “${runA.name}” to “${runB.name}”. Slower: at least 1 s and 50% longer (last successful attempts).`,
    ),
    addedFailing.length === 0 ? null : section('added_failing', 'Added and failing', addedFailing, inB),
    section('new_failures', 'New failures', c.new_failures, inB),
    section('fixed', 'Fixed', c.fixed, inB),
    section('still_failing', 'Still failing', c.still_failing, inB),
    section('added', 'Added', c.added, inB, true),
    section('removed', 'Removed', c.removed, inA, true),
    slower,
  );
}

export function renderComparePage(ctx: AppContext, a: string, b: string): Page {
  const runA = ctx.findRun(a);
  const runB = ctx.findRun(b);
  if (runA === undefined || runB === undefined) {
    const missing = runA === undefined ? a : b;
    return { el: errorBox('No such run', `This report has no run named “${missing}”.`) };
  }
  const slot = h('div', null, h('p', { class: 'loading' }, 'Comparing…'));
  const el = h(
    'div',
    { class: 'compare-page' },
    h('h1', null, 'Compare runs'),
    comparePicker(ctx, a, b),
    slot,
  );
  let alive = true;
  // The timeline index when the export has one: names, statuses and durations are all the rules read.
  Promise.all([loadTimelineTests(runA), loadTimelineTests(runB)]).then(
    ([ta, tb]) => {
      if (alive) replace(slot, result(ctx, runA, runB, ta, tb));
    },
    (e: unknown) => {
      if (alive) replace(slot, errorBox('Cannot compare', e instanceof Error ? e.message : String(e)));
    },
  );
  return {
    el,
    destroy() {
      alive = false;
    },
  };
}
