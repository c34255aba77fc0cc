// The app shell: loads the report once, routes the URL hash to a page, shows load errors on the page.
import type { RunModel } from '../model/types';
import { loadReport, LoadError } from '../data/loader';
import { parseHash, type Route } from '../state/url';
import { h, replace } from './dom';
import { errorBox, type AppContext, type Page } from './page';
import { renderHome } from '../pages/home';
import { renderTestPage } from '../pages/test-details';
import { renderTimelinePage } from '../pages/timeline-page';
import { hasFleetApi, renderFleetPage } from '../pages/fleet';
import { renderComparePage } from '../pages/compare';
import { renderPerformancePage } from '../pages/performance';

function describeError(e: unknown): HTMLElement {
  if (e instanceof LoadError) {
    const title =
      e.kind === 'missing'
        ? 'Report data not found'
        : e.kind === 'malformed'
          ? 'Report data is malformed'
          : 'Cannot read the report data';
    return errorBox(title, e.message);
  }
  return errorBox('Something went wrong', e instanceof Error ? e.message : String(e));
}

export function startApp(root: HTMLElement): void {
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { href: '#/', class: 'brand' }, 'stackviz'),
    h('nav', { class: 'crumbs', 'aria-label': 'breadcrumb' }),
  );
  const main = h('main', { class: 'page' });
  replace(root, header, main);
  const crumbs = header.querySelector('nav') as HTMLElement;

  let current: Page | null = null;
  let currentPage = '';
  let ctx: AppContext | null = null;

  // The report failed to load: report pages show why; the fleet pages (served by `stackviz serve --db`
  // beside the viewer alone) need no report.
  let loadFailure: unknown = null;

  const route = async (): Promise<void> => {
    const r = parseHash(location.hash);
    const standalone = r.page === 'fleet' || r.page === 'fleet-test';
    if (standalone) document.body.dataset['ready'] = 'true';
    else loadOnce();
    if (ctx === null && !standalone) {
      if (loadFailure !== null) {
        current?.destroy?.();
        current = null;
        currentPage = '';
        replace(main, describeError(loadFailure));
      }
      return;
    }
    const runKey = 'runKey' in r ? r.runKey : undefined;
    const key = runKey === undefined ? r.page : `${r.page}:${runKey ?? ''}`;
    if (current?.update && key === currentPage && current.update(r)) return;
    current?.destroy?.();
    current = null;
    currentPage = key;
    const run = runKey === undefined || ctx === null ? undefined : ctx.findRun(runKey);
    renderCrumbs(crumbs, r, run);
    main.dataset['page'] = r.page;
    try {
      if (r.page === 'fleet' || r.page === 'fleet-test') {
        current = renderFleetPage(r);
      } else if (ctx === null) {
        return;
      } else if (r.page === 'notfound') {
        current = { el: errorBox('No such page', `Nothing is shown at “${r.hash}”. Go back to the runs.`) };
      } else if (r.page === 'home') {
        current = renderHome(ctx, null);
      } else if (r.page === 'compare') {
        current = renderComparePage(ctx, r.runA, r.runB);
      } else if (r.page === 'performance') {
        current = renderPerformancePage(ctx);
      } else if (!run) {
        current = { el: errorBox('No such run', `This report has no run named “${runKey ?? ''}”.`) };
      } else if (r.page === 'run') {
        current = renderHome(ctx, run);
      } else if (r.page === 'test') {
        current = renderTestPage(ctx, run, r.index, r.view);
      } else {
        current = renderTimelinePage(ctx, run, r);
      }
    } catch (e) {
      current = { el: describeError(e) };
    }
    replace(main, current?.el ?? errorBox('Nothing to show', ''));
    // A new page starts at its top (the hash change would otherwise keep the previous page's scroll).
    window.scrollTo(0, 0);
    document.title = pageTitle(r, run);
  };

  // The report is read when a report page is first shown: the fleet pages (`stackviz serve --db` beside the
  // viewer alone) need none, and must not ask for a config.json that is not there.
  let loading = false;
  const loadOnce = (): void => {
    if (loading) return;
    loading = true;
    loadReport().then(
      (report) => {
        const byKey = new Map(report.runs.map((r) => [r.key, r]));
        ctx = { report, findRun: (key) => (key === null ? report.runs[0] : byKey.get(key)) };
        document.body.dataset['ready'] = 'true';
        void route();
      },
      async (e: unknown) => {
        loadFailure = e;
        // No report here, but a fleet view's server: its jobs are the home page.
        if (e instanceof LoadError && e.kind === 'missing' && parseHash(location.hash).page === 'home') {
          if (await hasFleetApi()) {
            document.body.dataset['ready'] = 'true';
            location.hash = '#/history';
            return;
          }
        }
        void route();
        document.body.dataset['ready'] = 'error';
      },
    );
  };
  window.addEventListener('hashchange', () => void route());
  void route();
}

/** Each page names itself first, so tabs and history tell the timeline from the run and the test. */
function pageTitle(r: Route, run: RunModel | undefined): string {
  if (r.page === 'home') return 'Runs · stackviz';
  if (r.page === 'performance') return 'Performance · stackviz';
  if (!run) return 'Not found · stackviz';
  if (r.page === 'timeline') return `Timeline · ${run.name} · stackviz`;
  if (r.page === 'test') return `Test ${r.index} · ${run.name} · stackviz`;
  return `${run.name} · stackviz`;
}

function renderCrumbs(nav: HTMLElement, r: Route, run: RunModel | undefined): void {
  const parts: (HTMLElement | string)[] =
    r.page === 'fleet' || r.page === 'fleet-test'
      ? [h('a', { href: '#/history' }, 'History')]
      : [h('a', { href: '#/' }, 'Runs')];
  if (r.page === 'fleet-test') parts.push(h('span', null, r.job));
  if (r.page === 'compare') parts.push(h('span', null, 'Compare'));
  if (run) {
    parts.push(h('a', { href: `#/run/${encodeURIComponent(run.key)}` }, run.name));
    if (r.page === 'timeline') parts.push(h('span', null, 'Timeline'));
    if (r.page === 'test') parts.push(h('span', null, `Test ${r.index}`));
  }
  if (r.page === 'performance') parts.push(h('span', null, 'Performance'));
  replace(
    nav,
    ...parts.flatMap((p, i) =>
      i === 0 ? [p] : [h('span', { class: 'sep', 'aria-hidden': 'true' }, '›'), p],
    ),
  );
}
