// Home page helpers for many runs and many failures: the sortable run table, and failures grouped by cause.
import type { StatsFailure } from '../../../src/contract/export-format';
import { h } from '../app/dom';
import { formatCount, formatDuration, formatUtc } from '../app/format';
import { parseIsoUtcMs } from '../data/test-table';
import { groupFailures } from '../model/failure-groups';
import type { RunModel } from '../model/types';
import { runHash } from '../state/url';

interface RunRow {
  run: RunModel;
  dateMs: number;
  wallS: number;
  tests: number;
  failures: number;
}

type Key = 'name' | 'dateMs' | 'wallS' | 'tests' | 'failures';

const COLUMNS: readonly { key: Key; label: string; numeric: boolean }[] = [
  { key: 'name', label: 'Run', numeric: false },
  { key: 'dateMs', label: 'Date', numeric: true },
  { key: 'wallS', label: 'Duration', numeric: true },
  { key: 'tests', label: 'Tests', numeric: true },
  { key: 'failures', label: 'Failures', numeric: true },
];

/** One compact row per run (date, duration, tests, failures); a header click sorts by it, again reverses. */
export function runTable(runs: readonly RunModel[]): HTMLElement {
  const rows: RunRow[] = runs.map((run) => {
    const start = parseIsoUtcMs(run.stats.start);
    return {
      run,
      dateMs: start,
      wallS: (parseIsoUtcMs(run.stats.end) - start) / 1000,
      tests: run.stats.count,
      failures: run.stats.failures.length,
    };
  });
  const body = h('tbody');
  const headers = new Map<Key, HTMLElement>();
  let sortKey: Key | null = null;
  let descending = false;
  const value = (r: RunRow, k: Key): number | string => (k === 'name' ? r.run.name : r[k]);
  const draw = (): void => {
    const sorted = [...rows];
    if (sortKey !== null) {
      const k = sortKey;
      sorted.sort((a, b) => {
        const va = value(a, k);
        const vb = value(b, k);
        // Runs with no value (no timestamps) go last either way.
        if (typeof va === 'number' && Number.isNaN(va)) return 1;
        if (typeof vb === 'number' && Number.isNaN(vb)) return -1;
        const c = typeof va === 'string' ? va.localeCompare(String(vb)) : va - (vb as number);
        return descending ? -c : c;
      });
    }
    body.replaceChildren(
      ...sorted.map((r) =>
        h(
          'tr',
          { 'data-run': r.run.key },
          h('th', { scope: 'row' }, h('a', { href: runHash(r.run.key) }, r.run.name)),
          h('td', { class: 'num' }, formatUtc(r.dateMs, false)),
          h('td', { class: 'num' }, formatDuration(r.wallS)),
          h('td', { class: 'num' }, formatCount(r.tests)),
          h('td', { class: r.failures > 0 ? 'num has-failures' : 'num' }, formatCount(r.failures)),
        ),
      ),
    );
    for (const [k, th] of headers)
      th.setAttribute('aria-sort', k === sortKey ? (descending ? 'descending' : 'ascending') : 'none');
  };
  const head = h('tr');
  for (const c of COLUMNS) {
    const button = h('button', { type: 'button', class: 'sort' }, c.label);
    const th = h('th', { scope: 'col', class: c.numeric ? 'num' : '', 'data-key': c.key }, button);
    button.addEventListener('click', () => {
      if (sortKey === c.key) descending = !descending;
      else {
        sortKey = c.key;
        // Numbers start largest first (the longest, the most failures), names A to Z.
        descending = c.numeric;
      }
      draw();
    });
    headers.set(c.key, th);
    head.appendChild(th);
  }
  draw();
  return h(
    'table',
    { class: 'run-table' },
    h('caption', null, 'Runs (click a column to sort)'),
    h('thead', null, head),
    body,
  );
}

/**
 * Failures by cause: one fold per signature (count, example line), its tests inside. Null when no two failures
 * share a cause (the plain list says it all then).
 */
export function failureGroupsSection(
  failures: readonly StatsFailure[],
  link: (f: StatsFailure) => HTMLElement,
): HTMLElement | null {
  const groups = groupFailures(failures);
  if (groups.length === failures.length) return null;
  const first = 50;
  return h(
    'div',
    { class: 'list-slot failure-groups' },
    h('h3', null, `Failures by cause (${formatCount(groups.length)})`),
    h(
      'ol',
      { class: 'group-list' },
      ...groups.slice(0, 200).map((g) => {
        const members = g.members.slice(0, first).map((i) => failures[i] as StatsFailure);
        const more = g.members.length - members.length;
        return h(
          'li',
          { class: 'failure-group' },
          h(
            'details',
            null,
            h(
              'summary',
              null,
              h('span', { class: 'group-count' }, `${formatCount(g.members.length)}×`),
              ' ',
              h(
                'code',
                { class: 'group-sig' },
                g.example === '' ? '(no traceback)' : (g.example.split('\n')[0] ?? ''),
              ),
            ),
            h(
              'ul',
              { class: 'group-members' },
              ...members.map((f) => h('li', null, link(f))),
              more > 0 ? h('li', { class: 'muted' }, `… and ${formatCount(more)} more (listed below)`) : null,
            ),
          ),
        );
      }),
    ),
  );
}
