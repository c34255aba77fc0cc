// Home: one card per run (counts per status, wall time, failures with their last traceback lines, skips with reasons).
import {
  EXPORT_STATUSES,
  type ExportStatus,
  type StatsFailure,
  type StatsFile,
  type StatsInProgress,
} from '../../../src/contract/export-format';
import type { AppContext, Page } from '../app/page';
import { h, replace } from '../app/dom';
import { formatCount, formatDuration, formatUtc } from '../app/format';
import { STATUS_FILL, STATUS_LABEL } from '../app/status-colors';
import { statusBadge } from '../app/badge';
import { loadRunOutput, loadTests } from '../data/loader';
import { perfettoButton, workersSection } from './run-extras';
import { renderAttachments } from './test-details';
import { failureGroupsSection, runTable } from './home-overview';
import { parseIsoUtcMs } from '../data/test-table';
import type { RunModel, TestTable } from '../model/types';
import { runHash, testHash, timelineHash } from '../state/url';
import { historyBadges, historyLineElement } from '../history/history-view';
import { runHistory } from '../history/load';
import type { RunHistory } from '../history/run-history';
import { comparePicker } from './compare-picker';
import { datasetMetaBlock } from './dataset-meta';

/** Rows shown at first in a card's lists, and added per "show more": long lists stay cheap to draw. */
const FIRST_ROWS = 20;
const MORE_ROWS = 500;

/** Indices of tests by details key and by name (first of a status), to link stats entries to their test. */
function indexFinder(
  tests: TestTable,
  status: ExportStatus,
): (name: string, key: string | null | undefined) => number {
  const code = EXPORT_STATUSES.indexOf(status);
  const byKey = new Map<string, number>();
  const byName = new Map<string, number>();
  for (let i = 0; i < tests.count; i++) {
    if (tests.status[i] !== code) continue;
    const k = tests.detailsKey[i];
    if (k !== null && k !== undefined && !byKey.has(k)) byKey.set(k, i);
    const n = tests.name[i] ?? '';
    if (!byName.has(n)) byName.set(n, i);
  }
  return (name, key) => (key != null ? byKey.get(key) : undefined) ?? byName.get(name) ?? -1;
}

function statusCounts(stats: StatsFile, tests: TestTable | null): Map<ExportStatus, number> | null {
  const out = new Map<ExportStatus, number>();
  if (stats.status_counts) {
    for (const s of EXPORT_STATUSES) {
      const n = stats.status_counts[s];
      if (typeof n === 'number' && n > 0) out.set(s, n);
    }
    return out;
  }
  if (!tests) return null;
  const counts = new Uint32Array(EXPORT_STATUSES.length);
  for (let i = 0; i < tests.count; i++)
    counts[tests.status[i] ?? 0] = (counts[tests.status[i] ?? 0] ?? 0) + 1;
  EXPORT_STATUSES.forEach((s, i) => {
    if ((counts[i] ?? 0) > 0) out.set(s, counts[i] ?? 0);
  });
  return out;
}

function countsRow(counts: Map<ExportStatus, number> | null, total: number): HTMLElement {
  if (counts === null) return h('div', { class: 'counts muted' }, 'counting…');
  const row = h('div', { class: 'counts' });
  // A stacked bar first: the proportions at a glance.
  const bar = h('div', { class: 'count-bar', role: 'img', 'aria-label': 'tests by status' });
  for (const s of EXPORT_STATUSES) {
    const n = counts.get(s) ?? 0;
    if (n === 0) continue;
    const seg = h('span', { title: `${STATUS_LABEL[s]}: ${n}` });
    seg.style.background = STATUS_FILL[s];
    seg.style.flexGrow = String(n);
    bar.appendChild(seg);
  }
  row.appendChild(bar);
  const chips = h('ul', { class: 'count-chips' });
  for (const s of EXPORT_STATUSES) {
    const n = counts.get(s) ?? 0;
    // The three main statuses always show (a zero is news too); the rare ones only when present.
    if (n === 0 && s !== 'success' && s !== 'fail' && s !== 'skip') continue;
    const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
    dot.style.background = STATUS_FILL[s];
    chips.appendChild(
      h(
        'li',
        { 'data-status': s },
        dot,
        h('span', { class: 'count-num' }, formatCount(n)),
        ' ',
        STATUS_LABEL[s],
      ),
    );
  }
  row.appendChild(chips);
  if (total > 0) row.title = `${formatCount(total)} tests`;
  return row;
}

/** A list that draws its first rows now and more on request: 5,000 failures must not stall the page. */
export function cappedList<T>(
  items: readonly T[],
  first: number,
  render: (item: T, i: number) => HTMLElement,
  cls: string,
): HTMLElement {
  const list = h('ol', { class: cls });
  const wrap = h('div', null, list);
  let shown = 0;
  const more = h('button', { type: 'button', class: 'more' });
  const showMore = (n: number): void => {
    const end = Math.min(items.length, shown + n);
    const frag = document.createDocumentFragment();
    for (let i = shown; i < end; i++) frag.appendChild(render(items[i] as T, i));
    list.appendChild(frag);
    shown = end;
    if (shown >= items.length) more.remove();
    else
      more.textContent =
        items.length - shown <= MORE_ROWS
          ? `Show ${formatCount(items.length - shown)} more`
          : `Show ${formatCount(MORE_ROWS)} more of ${formatCount(items.length - shown)}`;
  };
  more.addEventListener('click', () => showMore(MORE_ROWS));
  wrap.appendChild(more);
  showMore(first);
  return wrap;
}

/** Why a test failed: the exception line (and its Details line); older stats only have the original's last lines. */
function failureLine(f: StatsFailure): string | null {
  if (f.exception !== undefined) return f.exception;
  return f.details && f.details.length > 0 ? f.details.join('\n') : null;
}

/** Tests still running when the stream stopped: from the stats, or (older stats) from the test table. */
function inProgressOf(stats: StatsFile, tests: TestTable | null): StatsInProgress[] {
  if (stats.inprogress) return stats.inprogress;
  if (!tests) return [];
  const code = EXPORT_STATUSES.indexOf('inprogress');
  const out: StatsInProgress[] = [];
  for (let i = 0; i < tests.count; i++)
    if (tests.status[i] === code)
      out.push({ name: tests.name[i] ?? '', details_key: tests.detailsKey[i] ?? null });
  return out;
}

function runCard(
  ctx: AppContext,
  run: RunModel,
  single: boolean,
): { el: HTMLElement; fill(tests: TestTable): void } {
  const stats = run.stats;
  const startMs = parseIsoUtcMs(stats.start);
  const endMs = parseIsoUtcMs(stats.end);
  const wallS = (endMs - startMs) / 1000;
  const card = h('section', { class: 'card run-card', 'data-run': run.key });
  const countsSlot = h('div', null, countsRow(statusCounts(stats, run.tests), stats.count));
  // A run with no timestamp has no timeline, date, wall time or test time: say so once instead of showing
  // 1970, "0.00 ms" and a button that leads to an empty axis.
  const timed = Number.isFinite(startMs);
  const header = h(
    'div',
    { class: 'card-head' },
    h('h2', null, single ? run.name : h('a', { href: runHash(run.key) }, run.name)),
    single && timed ? perfettoButton(run) : null,
    timed ? h('a', { class: 'button primary', href: timelineHash(run.key) }, 'Timeline →') : null,
  );
  const facts = h('dl', { class: 'facts' });
  if (timed)
    facts.append(
      h('dt', null, 'date'),
      h('dd', null, formatUtc(startMs, false)),
      h('dt', null, 'wall time'),
      h('dd', null, formatDuration(wallS)),
    );
  facts.append(h('dt', null, 'tests run'), h('dd', { 'data-field': 'count' }, formatCount(stats.count)));
  if (timed) facts.append(h('dt', null, 'test time'), h('dd', null, formatDuration(stats.total_duration)));
  if (stats.parser_errors)
    // subunit.parser failures: damaged packets, or an input that broke off (a gzip stream cut short).
    facts.append(
      h(
        'dt',
        { title: 'subunit.parser failures: damaged packets, or an input that broke off' },
        'parser errors',
      ),
      h('dd', null, String(stats.parser_errors)),
    );
  const historySlot = h('div', { class: 'history-slot' });
  card.append(header, facts);
  if (stats.count === 0)
    card.append(
      h('p', { class: 'empty-note' }, 'This run holds no tests: its stream carried no test results.'),
    );
  else {
    card.append(countsSlot, historySlot);
    if (!timed)
      card.append(
        h(
          'p',
          { class: 'empty-note' },
          'No test in this run carries a timestamp, so it has no date, durations or timeline.',
        ),
      );
  }
  let history: RunHistory | null = null;

  const first = single ? 200 : FIRST_ROWS;
  const failSlot = h('div', { class: 'list-slot' });
  const hungSlot = h('div', { class: 'list-slot' });
  const skipSlot = h('div', { class: 'list-slot' });
  const renderLists = (tests: TestTable | null): void => {
    const findFail = tests ? indexFinder(tests, 'fail') : null;
    const findSkip = tests ? indexFinder(tests, 'skip') : null;
    const findHung = tests ? indexFinder(tests, 'inprogress') : null;
    const link = (name: string, index: number): HTMLElement =>
      index >= 0
        ? h('a', { href: testHash(run.key, index), class: 'test-name' }, name)
        : h('span', { class: 'test-name' }, name);
    replace(
      failSlot,
      failureGroupsSection(stats.failures, (f) =>
        link(f.name, findFail ? findFail(f.name, f.details_key) : -1),
      ),
      stats.failures.length === 0 ? null : h('h3', null, `Failures (${formatCount(stats.failures.length)})`),
      stats.failures.length === 0
        ? null
        : cappedList(
            stats.failures,
            first,
            (f) =>
              h(
                'li',
                { class: 'failure' },
                h(
                  'div',
                  { class: 'row' },
                  link(f.name, findFail ? findFail(f.name, f.details_key) : -1),
                  h('span', { class: 'badges' }, ...historyBadges(history?.byName.get(f.name))),
                  h('span', { class: 'dur' }, formatDuration(f.duration)),
                ),
                failureLine(f) === null ? null : h('pre', { class: 'tb-tail' }, failureLine(f)),
              ),
            'fail-list',
          ),
    );
    const hung = inProgressOf(stats, tests);
    replace(
      hungSlot,
      hung.length === 0
        ? null
        : h('h3', null, `Still running when the stream stopped (${formatCount(hung.length)})`),
      hung.length === 0
        ? null
        : cappedList(
            hung,
            first,
            (t) => h('li', null, link(t.name, findHung ? findHung(t.name, t.details_key) : -1)),
            'hung-list',
          ),
    );
    // Skips fold away on the all-runs page when there are failures to look at; the reader's choice survives redraws.
    const prior = skipSlot.querySelector('details');
    const open = prior ? prior.open : single || (stats.failures.length === 0 && ctx.report.runs.length === 1);
    if (stats.skips.length === 0) {
      skipSlot.replaceChildren();
      return;
    }
    const fold = h(
      'details',
      { class: 'skips' },
      h('summary', null, h('h3', null, `Skips (${formatCount(stats.skips.length)})`)),
      cappedList(
        stats.skips,
        single ? 200 : 10,
        (s) =>
          h(
            'li',
            { class: 'skip' },
            link(s.name, findSkip ? findSkip(s.name, s.details_key) : -1),
            s.details ? h('span', { class: 'reason' }, s.details) : null,
          ),
        'skip-list',
      ),
    );
    fold.open = open;
    replace(skipSlot, fold);
  };
  renderLists(run.tests);
  // History (`--history`): the run-level line, and badges on the failures once it is read.
  runHistory(run).then(
    (hist) => {
      if (hist === null) return;
      history = hist;
      replace(historySlot, historyLineElement(hist));
      renderLists(run.tests);
    },
    (e: unknown) =>
      replace(historySlot, h('p', { class: 'error-inline' }, e instanceof Error ? e.message : String(e))),
  );
  const slowSlot = h('div');
  card.append(failSlot, hungSlot, skipSlot, slowSlot);
  if (single) {
    const workers = workersSection(run);
    if (workers) card.append(workers);
  }
  if (single) {
    const output = runOutputSection(run);
    if (output) card.append(output);
  }
  return {
    el: card,
    fill(tests) {
      replace(countsSlot, countsRow(statusCounts(stats, tests), stats.count));
      renderLists(tests);
      if (single) replace(slowSlot, slowestSection(run, tests));
      card.dataset['filled'] = 'true';
    },
  };
}

/** Indices of the n longest tests, longest first (one pass, a small sorted buffer: 100,000 tests cost ~1 ms). */
export function slowestTests(tests: TestTable, n: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < tests.count; i++) {
    const d = tests.durationS[i] ?? NaN;
    if (!(d > 0)) continue;
    if (top.length === n && d <= (tests.durationS[top[n - 1] ?? 0] ?? 0)) continue;
    let at = top.length;
    while (at > 0 && (tests.durationS[top[at - 1] ?? 0] ?? 0) < d) at--;
    top.splice(at, 0, i);
    if (top.length > n) top.pop();
  }
  return top;
}

function slowestSection(run: RunModel, tests: TestTable): HTMLElement | null {
  const rows = slowestTests(tests, 15);
  if (rows.length === 0) return null;
  return h(
    'div',
    { class: 'list-slot' },
    h('h3', null, 'Slowest tests'),
    h(
      'ol',
      { class: 'slow-list' },
      ...rows.map((i) =>
        h(
          'li',
          null,
          statusBadge(EXPORT_STATUSES[tests.status[i] ?? 0] ?? 'unknown'),
          h('a', { href: testHash(run.key, i), class: 'test-name' }, tests.name[i] ?? ''),
          h('span', { class: 'dur' }, formatDuration(tests.durationS[i])),
        ),
      ),
    ),
  );
}

/** The run's own output (non-subunit bytes, attachments without a test), read only when unfolded. */
function runOutputSection(run: RunModel): HTMLElement | null {
  if (run.stats.stream_output_key === null || run.stats.stream_output_key === undefined) return null;
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  const fold = h('details', { class: 'run-output' }, h('summary', null, h('h3', null, 'Run output')), body);
  let loaded = false;
  fold.addEventListener('toggle', () => {
    if (!fold.open || loaded) return;
    loaded = true;
    loadRunOutput(run).then(
      (attachments) =>
        replace(
          body,
          attachments && attachments.size > 0
            ? renderAttachments(attachments)
            : h('p', { class: 'muted' }, 'No output.'),
        ),
      (e: unknown) =>
        replace(body, h('p', { class: 'error-inline' }, e instanceof Error ? e.message : String(e))),
    );
  });
  return fold;
}

/** All runs (run = null) or one run's page. */
export function renderHome(ctx: AppContext, only: RunModel | null): Page {
  const runs = only ? [only] : ctx.report.runs;
  const el = h('div', { class: 'home' });
  const meta = datasetMetaBlock(ctx.report.dataset, ctx.report.performance !== null);
  if (!only) {
    el.appendChild(
      h(
        'div',
        { class: 'home-head' },
        h('h1', null, runs.length === 1 ? '1 run' : `${runs.length} runs`),
        meta,
        runs.length < 2
          ? null
          : comparePicker(ctx, runs[runs.length - 2]?.key ?? '', runs[runs.length - 1]?.key ?? ''),
      ),
    );
  }
  // Many runs: a compact table to scan and sort before the cards.
  if (!only && runs.length > 1) el.appendChild(runTable(runs));
  let alive = true;
  for (const run of runs) {
    const card = runCard(ctx, run, only !== null);
    el.appendChild(card.el);
    // The test table links the stats' names to their tests (and counts them when stats carry no counts).
    loadTests(run).then(
      (tests) => {
        if (alive) card.fill(tests);
      },
      (e: unknown) => {
        if (alive)
          card.el.appendChild(
            h(
              'p',
              { class: 'error-inline' },
              `Could not read the tests: ${e instanceof Error ? e.message : String(e)}`,
            ),
          );
      },
    );
  }
  return {
    el,
    destroy() {
      alive = false;
    },
  };
}
