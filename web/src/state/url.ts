// The view state in the URL hash: parse and format routes, pure, so a copied link reproduces the view.
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';

export interface TimelineViewState {
  /** Visible window, UTC ms; null = whole run. */
  t0Ms: number | null;
  t1Ms: number | null;
  /** Test index in the run's TestTable, -1 none. */
  selected: number;
  /** Name search. */
  query: string;
  regex: boolean;
  /** Shown statuses (all by default). */
  statuses: ReadonlySet<ExportStatus>;
  /** Manual dstat time shift, minutes. */
  dstatShiftMin: number;
}

/** The test page's state: the attachment tab, the log's shown levels (null = all) and its search. */
export interface TestViewState {
  tab: string | null;
  levels: readonly string[] | null;
  logQuery: string;
}

function parseTestQuery(query: string): TestViewState | undefined {
  if (query === '') return undefined;
  const p = new URLSearchParams(query);
  const level = p.get('level');
  return {
    tab: p.get('tab'),
    levels: level === null ? null : level.split(',').filter((l) => l !== ''),
    logQuery: p.get('q') ?? '',
  };
}

function formatTestQuery(view: TestViewState | undefined): string {
  if (!view) return '';
  const p = new URLSearchParams();
  if (view.tab !== null) p.set('tab', view.tab);
  if (view.levels !== null) p.set('level', view.levels.join(','));
  if (view.logQuery !== '') p.set('q', view.logQuery);
  return p.toString();
}

export type Route =
  | { page: 'home' }
  | { page: 'run'; runKey: string }
  | {
      page: 'timeline';
      runKey: string | null;
      state: TimelineViewState;
      /** The original front-end's `?test=<name>`: resolved to an index once the tests are loaded. */
      testName: string | null;
    }
  | { page: 'test'; runKey: string; index: number; view?: TestViewState }
  /** The comparison of two runs of the report (`stackviz compare`'s lists). */
  | { page: 'compare'; runA: string; runB: string }
  /** The fleet view (`stackviz serve --db`): the jobs, and one test of one job. */
  | { page: 'fleet' }
  | { page: 'fleet-test'; job: string; name: string }
  | { page: 'performance' }
  | { page: 'notfound'; hash: string };

export function defaultViewState(): TimelineViewState {
  return {
    t0Ms: null,
    t1Ms: null,
    selected: -1,
    query: '',
    regex: false,
    statuses: new Set(EXPORT_STATUSES),
    dstatShiftMin: 0,
  };
}

function finiteOrNull(text: string | null): number | null {
  if (text === null || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Parses the query part of a timeline route into a view state (unknown or malformed values fall back to defaults). */
export function parseTimelineQuery(query: string): { state: TimelineViewState; testName: string | null } {
  const params = new URLSearchParams(query);
  const state = defaultViewState();
  let testName: string | null = null;
  const t0 = finiteOrNull(params.get('t0'));
  const t1 = finiteOrNull(params.get('t1'));
  // A window needs both ends, in order; anything else means "whole run".
  if (t0 !== null && t1 !== null && t1 > t0) {
    state.t0Ms = t0;
    state.t1Ms = t1;
  }
  const test = params.get('test');
  if (test !== null && test !== '') {
    if (/^\d+$/.test(test)) state.selected = Number(test);
    else testName = test;
  }
  state.query = params.get('q') ?? '';
  state.regex = params.get('re') === '1';
  const st = params.get('st');
  if (st !== null) {
    const allowed = new Set<string>(EXPORT_STATUSES);
    state.statuses = new Set(st.split(',').filter((s): s is ExportStatus => allowed.has(s)));
  }
  const shift = finiteOrNull(params.get('shift'));
  if (shift !== null) state.dstatShiftMin = shift;
  return { state, testName };
}

/** Formats a view state as a query string; default values are left out so links stay short. */
export function formatTimelineQuery(state: TimelineViewState): string {
  const params = new URLSearchParams();
  if (state.t0Ms !== null && state.t1Ms !== null) {
    // Round to 1 µs: the data's own resolution, and it keeps links readable.
    params.set('t0', String(Math.round(state.t0Ms * 1000) / 1000));
    params.set('t1', String(Math.round(state.t1Ms * 1000) / 1000));
  }
  if (state.selected >= 0) params.set('test', String(state.selected));
  if (state.query !== '') params.set('q', state.query);
  if (state.regex) params.set('re', '1');
  const all = EXPORT_STATUSES.every((s) => state.statuses.has(s));
  if (!all) params.set('st', EXPORT_STATUSES.filter((s) => state.statuses.has(s)).join(','));
  if (state.dstatShiftMin !== 0) params.set('shift', String(state.dstatShiftMin));
  return params.toString();
}

/** Parses `location.hash` (with or without the leading `#`). */
export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = q >= 0 ? raw.slice(q + 1) : '';
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) return { page: 'home' };
  if (parts.length === 1 && parts[0] === 'performance') return { page: 'performance' };
  // The original front-end's `#/timeline?test=<name>` (one run): the first run is meant.
  if (parts.length === 1 && parts[0] === 'timeline') {
    return { page: 'timeline', runKey: null, ...parseTimelineQuery(query) };
  }
  if (parts[0] === 'history') {
    if (parts.length === 1) return { page: 'fleet' };
    const params = new URLSearchParams(query);
    const job = params.get('job');
    const name = params.get('name');
    if (parts.length === 2 && parts[1] === 'test' && job !== null && name !== null)
      return { page: 'fleet-test', job, name };
    return { page: 'notfound', hash };
  }
  if (parts[0] === 'compare' && parts.length === 3) {
    const runA = decodeSegment(parts[1] ?? '');
    const runB = decodeSegment(parts[2] ?? '');
    if (runA !== null && runB !== null && runA !== '' && runB !== '') return { page: 'compare', runA, runB };
    return { page: 'notfound', hash };
  }
  if (parts[0] === 'run' && parts.length >= 2) {
    const runKey = decodeSegment(parts[1] ?? '');
    if (runKey === null || runKey === '') return { page: 'notfound', hash };
    if (parts.length === 2) return { page: 'run', runKey };
    if (parts.length === 3 && parts[2] === 'timeline') {
      return { page: 'timeline', runKey, ...parseTimelineQuery(query) };
    }
    if (parts.length === 4 && parts[2] === 'test' && /^\d+$/.test(parts[3] ?? '')) {
      const view = parseTestQuery(query);
      return view
        ? { page: 'test', runKey, index: Number(parts[3]), view }
        : { page: 'test', runKey, index: Number(parts[3]) };
    }
  }
  return { page: 'notfound', hash };
}

/** Formats a route as a hash (with the leading `#`). parseHash(formatHash(r)) gives r back. */
export function formatHash(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'run':
      return `#/run/${encodeURIComponent(route.runKey)}`;
    case 'timeline': {
      const base =
        route.runKey === null ? '#/timeline' : `#/run/${encodeURIComponent(route.runKey)}/timeline`;
      const params = new URLSearchParams(formatTimelineQuery(route.state));
      if (route.testName !== null && route.state.selected < 0) params.set('test', route.testName);
      const query = params.toString();
      return query === '' ? base : `${base}?${query}`;
    }
    case 'test': {
      const query = formatTestQuery(route.view);
      return `#/run/${encodeURIComponent(route.runKey)}/test/${route.index}${query === '' ? '' : `?${query}`}`;
    }
    case 'compare':
      return `#/compare/${encodeURIComponent(route.runA)}/${encodeURIComponent(route.runB)}`;
    case 'fleet':
      return '#/history';
    case 'fleet-test':
      return `#/history/test?${new URLSearchParams({ job: route.job, name: route.name }).toString()}`;
    case 'performance':
      return '#/performance';
    case 'notfound':
      return route.hash.startsWith('#') ? route.hash : `#${route.hash}`;
  }
}

export function runHash(runKey: string): string {
  return formatHash({ page: 'run', runKey });
}
export function testHash(runKey: string, index: number): string {
  return formatHash({ page: 'test', runKey, index });
}
export function timelineHash(runKey: string, patch: Partial<TimelineViewState> = {}): string {
  return formatHash({ page: 'timeline', runKey, state: { ...defaultViewState(), ...patch }, testName: null });
}
export function compareHash(runA: string, runB: string): string {
  return formatHash({ page: 'compare', runA, runB });
}
export function fleetTestHash(job: string, name: string): string {
  return formatHash({ page: 'fleet-test', job, name });
}
