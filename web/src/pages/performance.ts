// `#/performance`: devstack's performance.json as tables (service memory, database queries, API calls, processes).
import {
  PerformanceFormatError,
  queriesPerDb,
  readPerformance,
  type PerformanceReport,
} from '../../../src/formats/performance/index';
import { errorBox, type AppContext, type Page } from '../app/page';
import { h, replace, type Child } from '../app/dom';
import { formatCount } from '../app/format';
import { loadJson } from '../data/loader';

/** Bytes as MiB with one decimal (service and process memory are hundreds of MiB). */
export function formatMiB(bytes: number | null): string {
  return bytes === null ? '–' : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function table(caption: string, head: string[], rows: Child[][], numeric: ReadonlySet<number>): HTMLElement {
  return h(
    'section',
    { class: 'card perf-section' },
    h('h2', null, caption),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'None recorded.')
      : h(
          'table',
          { class: 'perf-table' },
          h(
            'thead',
            null,
            h('tr', null, ...head.map((t, i) => h('th', numeric.has(i) ? { class: 'num' } : null, t))),
          ),
          h(
            'tbody',
            null,
            ...rows.map((r) =>
              h('tr', null, ...r.map((c, i) => h('td', numeric.has(i) ? { class: 'num' } : null, c))),
            ),
          ),
        ),
  );
}

const byDesc =
  <T>(key: (x: T) => number | null) =>
  (a: T, b: T) =>
    (key(b) ?? -1) - (key(a) ?? -1);

/** The four tables, biggest first. */
export function performanceTables(r: PerformanceReport): HTMLElement[] {
  const services = [...r.services].sort(byDesc((s) => s.memory));
  const dbRows: Child[][] = r.db.some((q) => q.op !== null)
    ? [...r.db].sort(byDesc((q) => q.count)).map((q) => [q.db ?? '(none)', q.op ?? '', formatCount(q.count)])
    : queriesPerDb(r).map((q) => [q.db ?? '(none)', '', formatCount(q.count)]);
  const calls: Child[][] = r.api
    .flatMap((s) =>
      s.calls.map((c) => ({
        service: s.service,
        agent: c.agent ?? '',
        method: c.method,
        count: c.count,
        log: s.log,
      })),
    )
    .sort(byDesc((c) => c.count))
    .map((c) => [c.service, c.agent, c.method, formatCount(c.count), c.log]);
  const processes = [...r.processes].sort(byDesc((p) => p.rss));
  return [
    table(
      'Service memory',
      ['service', 'memory'],
      services.map((s) => [s.service, formatMiB(s.memory)]),
      new Set([1]),
    ),
    table(
      r.db.some((q) => q.op !== null) ? 'Database queries (per operation)' : 'Database queries',
      ['database', 'operation', 'queries'],
      dbRows,
      new Set([2]),
    ),
    table('API calls', ['service', 'agent', 'method', 'calls', 'log'], calls, new Set([3])),
    table(
      'Top processes (resident memory)',
      ['command', 'arguments', 'pid', 'RSS'],
      processes.map((p) => [
        p.cmd,
        h('span', { class: 'perf-args' }, p.args),
        p.pid ?? '–',
        formatMiB(p.rss),
      ]),
      new Set([2, 3]),
    ),
  ];
}

export function renderPerformancePage(ctx: AppContext): Page {
  const el = h('div', { class: 'performance' }, h('h1', null, 'devstack performance'));
  const path = ctx.report.performance;
  if (path === null) {
    el.appendChild(errorBox('No performance data', 'This export has no devstack performance.json.'));
    return { el };
  }
  const body = h('div', null, h('p', { class: 'muted' }, 'loading…'));
  el.appendChild(body);
  loadJson(path).then(
    (doc) => {
      let r: PerformanceReport;
      try {
        r = readPerformance(doc);
      } catch (e) {
        if (!(e instanceof PerformanceFormatError)) throw e;
        replace(body, errorBox('Performance data is malformed', `${path}: ${e.message}`));
        return;
      }
      const facts = [
        r.hostname === null ? null : `host ${r.hostname}`,
        r.timestamp === null ? null : `taken ${r.timestamp}`,
        `report version ${r.version}`,
      ].filter((x): x is string => x !== null);
      replace(body, h('p', { class: 'muted' }, facts.join(' · ')), ...performanceTables(r));
    },
    (e: unknown) =>
      replace(body, errorBox('Cannot read the performance data', e instanceof Error ? e.message : String(e))),
  );
  return { el };
}
