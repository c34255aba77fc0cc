// Under the timeline: the selected test's summary panel, and the virtualised list of the tests that match the filter.
import { STATUS_LABEL, STATUS_ON_FILL, statusAt } from '../app/status-colors';
import { formatCount, formatDuration, formatUtc } from '../app/format';
import type { TimelineActions, TimelineContext } from './context';
import { el } from './dom';
import { MATCH_ROW_CSS_PX } from './geometry';
import type { TestFacts, TestTable, TimelineTests } from '../model/types';

/** A term and its value in a facts list. */
function fact(dl: HTMLElement, k: string, v: string): void {
  dl.append(el('dt', '', k), el('dd', '', v));
}

/** True when the timeline's tests are the whole table (no timeline index): no second read is needed. */
function isWhole(t: TimelineTests): t is TestTable {
  return 'tags' in t;
}

export class SelectionPanel {
  private readonly t: TimelineContext;
  private readonly actions: TimelineActions;
  private readonly onOpenTest: (index: number) => void;
  private matchesOrder: Int32Array = new Int32Array(0);
  /** Every column of the tests, when the timeline's are the whole table (no timeline index). */
  private readonly whole: TestTable | null;

  constructor(
    t: TimelineContext,
    actions: TimelineActions,
    onOpenTest: (index: number) => void,
    private readonly testFacts: (index: number) => Promise<TestFacts>,
    private readonly badges?: (index: number) => HTMLElement[],
  ) {
    this.whole = isWhole(t.state.tests) ? t.state.tests : null;
    this.t = t;
    this.actions = actions;
    this.onOpenTest = onOpenTest;
    const { matchesList, matchesRows } = t.dom;
    matchesList.addEventListener('scroll', () => this.renderMatchRows(), { passive: true });
    matchesRows.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest<HTMLElement>('.tl-match');
      if (!b) return;
      // Enter or Space on a match (a click with no pointer: detail 0) opens it; a pointer click selects it.
      if (e.detail === 0) {
        actions.open(Number(b.dataset['index']));
        return;
      }
      actions.select(Number(b.dataset['index']), true, true);
      this.renderMatchRows();
    });
  }

  /** The selected test's summary, or how to select one. */
  renderPanel(): void {
    const { state, dom } = this.t;
    const { tests, layout } = state;
    const panel = dom.panel;
    const i = state.view.selected;
    panel.replaceChildren();
    if (i < 0) {
      panel.append(
        el('h3', 'tl-panel-title', 'No test selected'),
        el(
          'p',
          'tl-muted',
          'Click a test (or press Enter) to see its summary; ←/→ step through its worker’s tests, ↑/↓ through all tests in time, Enter opens it, Escape clears.',
        ),
      );
      return;
    }
    const status = statusAt(tests.status[i] ?? 0);
    const title = el('h3', 'tl-panel-title', tests.name[i] ?? '');
    const badge = el('span', 'tl-badge', STATUS_LABEL[status]);
    badge.style.background = this.t.theme.current.fills[tests.status[i] ?? 0] ?? '#888';
    badge.style.color = STATUS_ON_FILL[status];
    badge.dataset['status'] = status;
    const dl = el('dl', 'tl-facts');
    const w = tests.worker[i] ?? -1;
    fact(dl, 'status', STATUS_LABEL[status]);
    fact(dl, 'worker', w < 0 ? 'none' : String(w));
    fact(dl, 'start', formatUtc(tests.startMs[i] ?? NaN));
    fact(
      dl,
      'end',
      layout.open[i] === 1
        ? 'no end (in progress when the stream stopped)'
        : formatUtc(tests.endMs[i] ?? NaN),
    );
    fact(dl, 'duration', formatDuration(tests.durationS[i] ?? NaN));
    const s = tests.startMs[i] ?? NaN;
    if (Number.isFinite(s)) fact(dl, 'since run start', formatDuration((s - state.runStartMs) / 1000));
    this.wholeFacts(i, dl);
    const open = el('button', 'tl-btn tl-open', 'Open details');
    open.type = 'button';
    open.addEventListener('click', () => this.actions.open(i));
    const head = el('div', 'tl-panel-head');
    head.append(badge, title);
    const history = this.badges?.(i) ?? [];
    const row = el('div', 'tl-history');
    row.append(...history);
    panel.append(head, ...(history.length > 0 ? [row] : []), dl, open);
  }

  /** Tags, attributes and id (not in the timeline index): now when the whole table is here, else once read. */
  private wholeFacts(i: number, dl: HTMLElement): void {
    const name = this.t.state.tests.name[i] ?? '';
    const add = (f: Pick<TestFacts, 'id' | 'tags' | 'attributes'>): void => {
      fact(dl, 'tags', f.tags.join(', ') || '–');
      if (f.attributes.length > 0) fact(dl, 'attributes', f.attributes.join(', '));
      if (f.id !== name) fact(dl, 'id', f.id);
    };
    const whole = this.whole;
    if (whole !== null) {
      add({ id: whole.id[i] ?? '', tags: whole.tags[i] ?? [], attributes: whole.attributes[i] ?? [] });
      return;
    }
    this.testFacts(i).then(
      (f) => {
        // Still the selected test's panel: another selection rebuilt it meanwhile otherwise.
        if (dl.isConnected && this.t.state.view.selected === i) add(f);
      },
      // The raw file cannot be read: the panel keeps what the index told.
      () => undefined,
    );
  }

  /** After a filter change: the list's head, its height, and the rows in view from the top. */
  resetMatches(): void {
    const { state, dom } = this.t;
    const filter = state.filter;
    const count = state.tests.count;
    dom.matchesRows.replaceChildren();
    dom.matchesList.scrollTop = 0;
    this.matchesOrder = filter.matches;
    if (filter.all) {
      dom.matchesHead.textContent = `${formatCount(count)} tests. Search or toggle statuses to list matches.`;
      dom.matchesSpacer.style.height = '0px';
      dom.matchesRows.replaceChildren();
      return;
    }
    dom.matchesHead.textContent = `${formatCount(this.matchesOrder.length)} of ${formatCount(count)} tests match`;
    dom.matchesSpacer.style.height = `${this.matchesOrder.length * MATCH_ROW_CSS_PX}px`;
    this.renderMatchRows();
  }

  /** Virtualised: only the rows in view (plus a few) exist in the DOM. */
  private renderMatchRows(): void {
    const { state, dom } = this.t;
    const { tests } = state;
    const fills = this.t.theme.current.fills;
    const order = this.matchesOrder;
    const n = order.length;
    const topCssPx = dom.matchesList.scrollTop;
    const heightCssPx = dom.matchesList.clientHeight || 240;
    const first = Math.max(0, Math.floor(topCssPx / MATCH_ROW_CSS_PX) - 4);
    const last = Math.min(n, Math.ceil((topCssPx + heightCssPx) / MATCH_ROW_CSS_PX) + 4);
    dom.matchesRows.style.transform = `translateY(${first * MATCH_ROW_CSS_PX}px)`;
    const rows: HTMLElement[] = [];
    for (let k = first; k < last; k++) {
      const i = order[k] ?? 0;
      const b = el('button', 'tl-match');
      b.type = 'button';
      b.dataset['index'] = String(i);
      const sw = el('span', 'tl-swatch');
      sw.style.background = fills[tests.status[i] ?? 0] ?? '#888';
      b.append(
        sw,
        el('span', 'tl-match-name', tests.name[i] ?? ''),
        el('span', 'tl-muted', formatDuration(tests.durationS[i] ?? NaN)),
      );
      if (i === state.view.selected) b.classList.add('tl-current');
      rows.push(b);
    }
    dom.matchesRows.replaceChildren(...rows);
  }
}
