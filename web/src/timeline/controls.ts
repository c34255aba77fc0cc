// The toolbar and legend: name search, regex box, status buttons (filter and legend in one), zoom buttons, window text.
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import { formatCount, formatDuration, formatUtc } from '../app/format';
import type { TimelineViewState } from '../state/url';
import type { TimelineActions, TimelineContext } from './context';
import { zoomWindow } from './scale';

/** Typing is searched once it pauses this long. */
const SEARCH_DELAY_MS = 150;

export class Controls {
  private readonly t: TimelineContext;
  private searchTimer: ReturnType<typeof setTimeout> | null = null;

  /** report: a filter change the URL should follow (the state is already updated, the filter not yet applied). */
  constructor(
    t: TimelineContext,
    actions: TimelineActions,
    report: (patch: Partial<TimelineViewState>) => void,
  ) {
    this.t = t;
    const { dom, state } = t;
    const change = (patch: Partial<TimelineViewState>): void => {
      state.view = { ...state.view, ...patch };
      report(patch);
      actions.applyFilter();
    };
    dom.search.addEventListener('input', () => {
      if (this.searchTimer !== null) clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => {
        this.searchTimer = null;
        if (dom.search.value === state.view.query) return;
        change({ query: dom.search.value });
      }, SEARCH_DELAY_MS);
    });
    dom.regexBox.addEventListener('change', () => change({ regex: dom.regexBox.checked }));
    for (const [s, { button }] of dom.statusButtons) {
      button.addEventListener('click', (e) => {
        const next = new Set(state.view.statuses);
        if (e.detail >= 2) return; // the dblclick handler decides
        if (next.has(s)) next.delete(s);
        else next.add(s);
        change({ statuses: next });
      });
      button.addEventListener('dblclick', () => {
        const shown = state.view.statuses;
        const all = EXPORT_STATUSES.every((x) => shown.has(x)) || (shown.size === 1 && shown.has(s));
        change({ statuses: new Set<ExportStatus>(all && shown.size === 1 ? EXPORT_STATUSES : [s]) });
      });
    }
    const zoomBy = (factor: number): void => {
      const win = state.win;
      actions.setWindow(zoomWindow(win, (win.t0Ms + win.t1Ms) / 2, factor, state.bounds));
    };
    dom.zoomIn.addEventListener('click', () => zoomBy(0.5));
    dom.zoomOut.addEventListener('click', () => zoomBy(2));
    dom.zoomReset.addEventListener('click', () => actions.setWindow(state.bounds));
  }

  /** The search box and regex box follow the URL. */
  showQuery(): void {
    const { dom, state } = this.t;
    if (dom.search.value !== state.view.query) dom.search.value = state.view.query;
    dom.regexBox.checked = state.view.regex;
  }

  /** After a filter change: the query's error, each status button's state, count and swatch. */
  renderFilter(): void {
    const { dom, state } = this.t;
    const filter = state.filter;
    const fills = this.t.theme.current.fills;
    dom.queryError.textContent = filter.error === null ? '' : `invalid regular expression: ${filter.error}`;
    dom.search.classList.toggle('tl-invalid', filter.error !== null);
    for (const s of EXPORT_STATUSES) {
      const entry = dom.statusButtons.get(s);
      if (!entry) continue;
      const on = state.view.statuses.has(s);
      entry.button.setAttribute('aria-pressed', on ? 'true' : 'false');
      entry.button.classList.toggle('tl-off', !on);
      entry.count.textContent = formatCount(filter.nameMatchesByStatus[s]);
      const sw = entry.button.querySelector<HTMLElement>('.tl-swatch');
      if (sw) sw.style.background = fills[EXPORT_STATUSES.indexOf(s)] ?? '#888';
    }
  }

  /** The window as text, and the root's data attributes the browser tests read. */
  renderWindow(frames: number): void {
    const { dom, state } = this.t;
    const { win } = state;
    dom.root.dataset['t0'] = String(win.t0Ms);
    dom.root.dataset['t1'] = String(win.t1Ms);
    dom.root.dataset['selected'] = String(state.view.selected);
    dom.root.dataset['dimmed'] = String(state.lastCounts.dimmed);
    dom.root.dataset['frames'] = String(frames);
    dom.windowText.textContent = `${formatUtc(win.t0Ms)} – ${formatUtc(win.t1Ms).replace(/^\S+ /, '')} (${formatDuration((win.t1Ms - win.t0Ms) / 1000)})`;
  }

  destroy(): void {
    if (this.searchTimer !== null) clearTimeout(this.searchTimer);
  }
}
