// The fleet view (`stackviz serve --db DB`): every job with its pass-rate trend and top flaky tests, and one
// test's page (outcome strip, durations, failures, links to each run's report). Reads the server's JSON API.
import type { HistoryRun, JobSummary, TestHistoryPage } from '../../../src/contract/history-format';
import type { Page } from '../app/page';
import { errorBox } from '../app/page';
import { h, replace } from '../app/dom';
import { formatCount } from '../app/format';
import { durationChart, historyBadges, outcomeStrip } from '../history/history-view';
import type { Route } from '../state/url';
import { fleetTestHash } from '../state/url';

/** The API's answer, or an Error carrying its `{"error"}` message. */
async function api<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { cache: 'no-store' });
  } catch (e) {
    throw new Error(`cannot reach the history server (${e instanceof Error ? e.message : String(e)})`);
  }
  const text = await res.text();
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch {
    throw new Error(
      res.status === 404
        ? 'this server has no history store: start it with `stackviz serve --db DB`'
        : `the history server answered ${res.status} ${res.statusText}`,
    );
  }
  if (!res.ok) {
    const err = (doc as { error?: unknown } | null)?.error;
    throw new Error(typeof err === 'string' ? err : `the history server answered ${res.status}`);
  }
  return doc as T;
}

/** True when the page is served with a fleet API (`stackviz serve --db`). */
export async function hasFleetApi(): Promise<boolean> {
  if (typeof location === 'undefined' || !location.protocol.startsWith('http')) return false;
  try {
    const res = await fetch('api/jobs', { method: 'HEAD', cache: 'no-store' });
    return res.ok;
  } catch {
    return false;
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** Pass rate per run (1 − failures / tests), oldest first, as a small line; runs with no tests left out. */
export function passRateSparkline(trend: readonly HistoryRun[], width = 160, height = 32): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const rates = trend.map((r) => (r.tests > 0 ? 1 - r.failures / r.tests : null));
  const label = rates
    .filter((v): v is number => v !== null)
    .map((v) => `${(v * 100).toFixed(1)}%`)
    .join(', ');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `pass rate per run, oldest first: ${label || 'no runs'}`);
  const pad = 3;
  const n = trend.length;
  const x = (i: number): number => (n <= 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1));
  // The scale starts a little below the lowest rate: a 95% run must show against 100% ones.
  const known = rates.filter((v): v is number => v !== null);
  const lo = Math.max(0, Math.min(...known, 0.99) - 0.05);
  const y = (v: number): number => pad + ((1 - v) / (1 - lo)) * (height - 2 * pad);
  const base = document.createElementNS(SVG, 'line');
  base.setAttribute('x1', '0');
  base.setAttribute('x2', String(width));
  base.setAttribute('y1', String(y(1)));
  base.setAttribute('y2', String(y(1)));
  base.setAttribute('stroke', 'currentColor');
  base.setAttribute('stroke-opacity', '0.2');
  svg.appendChild(base);
  const pts = rates.flatMap((v, i) => (v === null ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`]));
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', pts.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#0072B2');
  line.setAttribute('stroke-width', '1.5');
  svg.appendChild(line);
  rates.forEach((v, i) => {
    if (v === null || v === 1) return;
    // Runs with failures stand out as dots.
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('cx', x(i).toFixed(1));
    dot.setAttribute('cy', y(v).toFixed(1));
    dot.setAttribute('r', '2');
    dot.setAttribute('fill', '#D55E00');
    svg.appendChild(dot);
  });
  return svg;
}

function jobsTable(jobs: readonly JobSummary[]): HTMLElement {
  if (jobs.length === 0)
    return h('p', { class: 'muted' }, 'The store has no runs yet: record some with stackviz record.');
  const rows = jobs.map((j) => {
    const last = j.trend[j.trend.length - 1];
    const rate =
      last !== undefined && last.tests > 0 ? `${((1 - last.failures / last.tests) * 100).toFixed(1)}%` : '–';
    return h(
      'tr',
      { 'data-job': j.job },
      h('td', null, h('strong', null, j.job), h('div', { class: 'muted' }, `${formatCount(j.runs)} runs`)),
      h('td', null, j.latest === null ? '–' : `${j.latest.slice(0, 10)} ${j.latest.slice(11, 16)} UTC`),
      h('td', null, passRateSparkline(j.trend), ' ', h('span', { class: 'rate' }, rate)),
      h(
        'td',
        null,
        j.top_flaky.length === 0
          ? h('span', { class: 'muted' }, 'none')
          : h(
              'ol',
              { class: 'top-flaky' },
              ...j.top_flaky.map((t) =>
                h(
                  'li',
                  null,
                  h('a', { class: 'test-name', href: fleetTestHash(j.job, t.name) }, t.name),
                  h('span', { class: 'muted' }, ` ${t.flips} flips, ${t.failures} of ${t.runs} runs failed`),
                ),
              ),
            ),
      ),
    );
  });
  return h(
    'table',
    { class: 'fleet-jobs' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'job'),
        h('th', null, 'latest run'),
        h('th', null, 'pass rate'),
        h('th', null, 'top flaky tests'),
      ),
    ),
    h('tbody', null, ...rows),
  );
}

function testPage(p: TestHistoryPage, width: number): HTMLElement {
  const t = p.test;
  const report = (i: number): string | null => p.runs[i]?.report_url ?? null;
  const el = h(
    'div',
    { class: 'fleet-test' },
    h('h1', { class: 'test-title' }, p.name),
    h(
      'div',
      { class: 'history-facts' },
      ...historyBadges(t),
      h(
        'span',
        { class: 'muted' },
        `job ${p.job}: ${t.runs} runs, ${t.passes} passed, ${t.failures} failed, ${t.skips} skipped, ${t.flips} flips`,
      ),
    ),
    h(
      'div',
      { class: 'strip-row' },
      h('span', { class: 'muted' }, 'oldest'),
      outcomeStrip(p.runs, t, report),
      h('span', { class: 'muted' }, 'latest'),
    ),
  );
  const chart = durationChart(p.runs, t, width);
  if (chart !== null) el.append(h('p', { class: 'muted chart-caption' }, 'Duration in each run'), chart);
  el.appendChild(h('h2', null, `Failures (${p.failures.length})`));
  if (p.failures.length === 0) el.appendChild(h('p', { class: 'muted' }, 'No failure in the window.'));
  else
    el.appendChild(
      h(
        'ol',
        { class: 'fleet-failures' },
        ...p.failures.map((f) => {
          const run = p.runs[f.run];
          const url = report(f.run);
          const when = run === undefined ? '' : `${run.start.slice(0, 10)} ${run.start.slice(11, 19)} UTC`;
          return h(
            'li',
            { 'data-run': run?.id ?? '' },
            h(
              'div',
              { class: 'row' },
              url === null ? h('span', null, when) : h('a', { href: url, class: 'report-link' }, when),
              ' ',
              h('span', { class: 'muted' }, f.status),
            ),
            f.exception === null ? null : h('div', { class: 'exception' }, f.exception),
            f.traceback_tail === null ? null : h('pre', { class: 'tb-tail' }, f.traceback_tail),
          );
        }),
      ),
    );
  return el;
}

/** `#/history` and `#/history/test?job=J&name=N`. */
export function renderFleetPage(r: Extract<Route, { page: 'fleet' | 'fleet-test' }>): Page {
  const el = h('div', { class: 'fleet' }, h('p', { class: 'loading' }, 'Loading the history…'));
  let alive = true;
  void (async () => {
    try {
      if (r.page === 'fleet') {
        const jobs = await api<JobSummary[]>('api/jobs');
        if (alive) replace(el, h('h1', null, 'Test history'), jobsTable(jobs));
      } else {
        const q = new URLSearchParams({ job: r.job, name: r.name });
        const page = await api<TestHistoryPage>(`api/test?${q.toString()}`);
        if (alive) replace(el, testPage(page, el.clientWidth || 720));
      }
    } catch (e) {
      if (alive) replace(el, errorBox('Cannot show the history', e instanceof Error ? e.message : String(e)));
    }
  })();
  return {
    el,
    destroy() {
      alive = false;
    },
  };
}
