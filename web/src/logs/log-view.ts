// The pythonlogging viewer: records with level filter (count per level), text search with <mark> highlights.
import { h, replace } from '../app/dom';
import { formatCount } from '../app/format';
import { countLevels, LOG_LEVELS, parsePythonLogging, type LogLevel, type LogRecord } from './pythonlogging';

/** Records drawn at once; more on request (a chatty test logs tens of thousands of lines). */
const PAGE = 500;

/** Appends `text` to `el`, wrapping case-insensitive matches of `needle` in <mark>; returns the match count. */
export function appendHighlighted(el: HTMLElement, text: string, needle: string): number {
  if (needle === '') {
    el.appendChild(document.createTextNode(text));
    return 0;
  }
  const hay = text.toLowerCase();
  const n = needle.toLowerCase();
  let from = 0;
  let count = 0;
  for (let at = hay.indexOf(n); at >= 0; at = hay.indexOf(n, at + n.length)) {
    if (at > from) el.appendChild(document.createTextNode(text.slice(from, at)));
    el.appendChild(h('mark', null, text.slice(at, at + n.length)));
    from = at + n.length;
    count++;
  }
  if (from < text.length) el.appendChild(document.createTextNode(text.slice(from)));
  return count;
}

function recordText(r: LogRecord): string {
  return r.continuation.length === 0 ? r.message : `${r.message}\n${r.continuation.join('\n')}`;
}

/** The log view's state, restored from the URL and reported on change (levels null = all shown). */
export interface LogViewState {
  levels: readonly string[] | null;
  query: string;
}

export function renderLogView(
  text: string,
  initial: LogViewState = { levels: null, query: '' },
  onChange: (state: LogViewState) => void = () => undefined,
): HTMLElement {
  const records = parsePythonLogging(text);
  const counts = countLevels(records);
  const shown = new Set<LogLevel>(
    initial.levels === null ? LOG_LEVELS : LOG_LEVELS.filter((l) => initial.levels?.includes(l)),
  );
  let query = initial.query;
  const report = (): void =>
    onChange({
      levels: LOG_LEVELS.every((l) => shown.has(l)) ? null : LOG_LEVELS.filter((l) => shown.has(l)),
      query,
    });
  let limit = PAGE;

  const list = h('div', { class: 'log-records', role: 'log' });
  const summary = h('span', { class: 'log-summary' });
  const search = h('input', { type: 'search', class: 'log-search', 'aria-label': 'search the log' });
  search.placeholder = 'Search log…';
  search.value = query;
  const levels = h('div', { class: 'log-levels', role: 'group', 'aria-label': 'levels' });
  for (const level of LOG_LEVELS) {
    const n = counts.get(level) ?? 0;
    if (n === 0) continue;
    const btn = h(
      'button',
      {
        type: 'button',
        class: 'level-toggle',
        'data-level': level,
        'aria-pressed': String(shown.has(level)),
      },
      level,
      ' ',
      h('span', { class: 'n' }, formatCount(n)),
    );
    btn.addEventListener('click', () => {
      if (shown.has(level)) shown.delete(level);
      else shown.add(level);
      btn.setAttribute('aria-pressed', String(shown.has(level)));
      limit = PAGE;
      report();
      draw();
    });
    levels.appendChild(btn);
  }
  let timer = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      query = search.value;
      limit = PAGE;
      report();
      draw();
    }, 120);
  });

  // Lower-cased search text per record, built on the first search only (a log can have 100,000 records).
  let haystacks: string[] | null = null;

  function draw(): void {
    const needle = query.toLowerCase();
    if (needle !== '' && haystacks === null) {
      haystacks = records.map((r) => `${r.logger ?? ''}\n${recordText(r)}`.toLowerCase());
    }
    const matching: LogRecord[] = [];
    records.forEach((r, i) => {
      if (shown.has(r.level) && (needle === '' || (haystacks?.[i] ?? '').includes(needle))) matching.push(r);
    });
    const frag = document.createDocumentFragment();
    let marks = 0;
    for (const r of matching.slice(0, limit)) {
      const row = h('div', { class: 'log-record', 'data-level': r.level });
      row.appendChild(h('span', { class: 'log-time' }, r.time ?? ''));
      row.appendChild(h('span', { class: 'log-level' }, r.levelText ?? ''));
      const logger = h('span', { class: 'log-logger' });
      marks += appendHighlighted(logger, r.logger ?? '', query);
      row.appendChild(logger);
      const msg = h('span', { class: 'log-msg' });
      marks += appendHighlighted(msg, recordText(r), query);
      row.appendChild(msg);
      frag.appendChild(row);
    }
    list.replaceChildren(frag);
    if (matching.length > limit) {
      const more = h(
        'button',
        { type: 'button', class: 'more' },
        `Show ${formatCount(Math.min(PAGE, matching.length - limit))} more of ${formatCount(matching.length - limit)}`,
      );
      more.addEventListener('click', () => {
        limit += PAGE;
        draw();
      });
      list.appendChild(more);
    }
    replace(
      summary,
      `${formatCount(matching.length)} of ${formatCount(records.length)} records`,
      query !== '' ? ` · ${formatCount(marks)} matches${matching.length > limit ? ' shown' : ''}` : '',
    );
  }
  draw();
  return h('div', { class: 'log-view' }, h('div', { class: 'log-toolbar' }, levels, search, summary), list);
}
