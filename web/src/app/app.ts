// The app shell: loads the report once, routes the URL hash to a page, shows load errors on the page.
import type { RunModel } from '../model/types';
import { loadReport, LoadError } from '../data/loader';
import { parseHash, type Route } from '../state/url';
import { h, replace } from './dom';
import { errorBox, type AppContext, type Page } from './page';
import { renderHome } from '../pages/home';
import { renderTestPage } from '../pages/test-details';
import { renderTimelinePage } from '../pages/timeline-page';
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

  const route = async (): Promise<void> => {
    const r = parseHash(location.hash);
    if (ctx === null) return;
    const key =
      r.page === 'home' || r.page === 'notfound' || r.page === 'performance'
        ? r.page
        : `${r.page}:${r.runKey ?? ''}`;
    if (current?.update && key === currentPage && current.update(r)) return;
    current?.destroy?.();
    current = null;
    currentPage = key;
    const run =
      r.page === 'home' || r.page === 'notfound' || r.page === 'performance'
        ? undefined
        : ctx.findRun(r.runKey);
    renderCrumbs(crumbs, r, run);
    main.dataset['page'] = r.page;
    try {
      if (r.page === 'notfound') {
        current = { el: errorBox('No such page', `Nothing is shown at “${r.hash}”. Go back to the runs.`) };
      } else if (r.page === 'home') {
        current = renderHome(ctx, null);
      } else if (r.page === 'performance') {
        current = renderPerformancePage(ctx);
      } else if (!run) {
        current = { el: errorBox('No such run', `This report has no run named “${r.runKey ?? ''}”.`) };
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

  window.addEventListener('hashchange', () => void route());
  loadReport().then(
    (report) => {
      const byKey = new Map(report.runs.map((r) => [r.key, r]));
      ctx = { report, findRun: (key) => (key === null ? report.runs[0] : byKey.get(key)) };
      document.body.dataset['ready'] = 'true';
      void route();
    },
    (e: unknown) => {
      replace(main, describeError(e));
      document.body.dataset['ready'] = 'error';
    },
  );
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
  const parts: (HTMLElement | string)[] = [h('a', { href: '#/' }, 'Runs')];
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
