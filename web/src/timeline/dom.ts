// The timeline's elements: toolbar, status legend, overview, the canvases, dstat bar, selection panel and match list.
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import { STATUS_LABEL } from '../app/status-colors';
import { formatCount } from '../app/format';
import type { TimelineState } from './state';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls !== '') e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface StatusButton {
  button: HTMLButtonElement;
  count: HTMLSpanElement;
}

export interface TimelineDom {
  root: HTMLDivElement;
  search: HTMLInputElement;
  regexBox: HTMLInputElement;
  queryError: HTMLSpanElement;
  statusButtons: Map<ExportStatus, StatusButton>;
  showAll: HTMLButtonElement;
  showFailures: HTMLButtonElement;
  zoomOut: HTMLButtonElement;
  zoomReset: HTMLButtonElement;
  zoomIn: HTMLButtonElement;
  windowText: HTMLSpanElement;
  overview: HTMLCanvasElement;
  body: HTMLDivElement;
  testCanvas: HTMLCanvasElement;
  loadCanvas: HTMLCanvasElement;
  cursor: HTMLDivElement;
  tooltip: HTMLDivElement;
  wheelHint: HTMLDivElement;
  shiftInput: HTMLInputElement;
  dstatNote: HTMLSpanElement;
  panel: HTMLElement;
  matchesHead: HTMLDivElement;
  matchesList: HTMLDivElement;
  matchesSpacer: HTMLDivElement;
  matchesRows: HTMLDivElement;
}

export function buildDom(state: TimelineState): TimelineDom {
  const view = state.view;
  const root = el('div', 'tl');
  root.tabIndex = 0;
  root.setAttribute('role', 'application');
  root.setAttribute(
    'aria-label',
    'Test timeline: Enter selects the first test in view, then opens it; ←/→ step on its worker, ↑/↓ in time; +/- zoom, 0 whole run, Escape clears',
  );

  const toolbar = el('div', 'tl-toolbar');
  const search = el('input', 'tl-search');
  search.type = 'search';
  search.placeholder = 'Search test names';
  search.setAttribute('aria-label', 'Search test names');
  search.value = view.query;
  const regexLabel = el('label', 'tl-regex');
  const regexBox = el('input', '');
  regexBox.type = 'checkbox';
  regexBox.checked = view.regex;
  regexLabel.append(regexBox, document.createTextNode(' regex'));
  const queryError = el('span', 'tl-query-error');
  queryError.setAttribute('role', 'status');
  const statusBar = el('div', 'tl-statuses');
  statusBar.setAttribute('aria-label', 'Status filter and legend');
  const statusButtons = new Map<ExportStatus, StatusButton>();
  for (const s of EXPORT_STATUSES) {
    const b = el('button', 'tl-status');
    b.type = 'button';
    b.dataset['status'] = s;
    const sw = el('span', 'tl-swatch');
    const count = el('span', 'tl-count');
    b.append(sw, el('span', 'tl-status-label', STATUS_LABEL[s]), count);
    b.title = `Show or dim ${STATUS_LABEL[s]} tests (double-click: only these)`;
    statusButtons.set(s, { button: b, count });
    statusBar.append(b);
  }
  // One click for the two filters people want most (a chip toggles one status; a double-click keeps only it).
  const showAll = el('button', 'tl-btn tl-preset', 'All');
  showAll.type = 'button';
  showAll.title = 'Show every status';
  const showFailures = el('button', 'tl-btn tl-preset', 'Only failures');
  showFailures.type = 'button';
  showFailures.title = 'Show only failures, unexpected successes and tests left running';
  const hatchNote = el('span', 'tl-legend-note', 'hatched: no end (still running when the stream stopped)');
  const zoomBox = el('div', 'tl-zoom');
  const zoomOut = el('button', 'tl-btn', '−');
  const zoomReset = el('button', 'tl-btn', 'Whole run');
  const zoomIn = el('button', 'tl-btn', '+');
  zoomOut.title = 'Zoom out (-)';
  zoomIn.title = 'Zoom in (+)';
  zoomReset.title = 'Show the whole run (0)';
  zoomBox.append(zoomOut, zoomReset, zoomIn);
  const windowText = el('span', 'tl-window');
  // The window text has a fixed width and the zoom buttons end the row, so they never move under the cursor
  // as the text changes; the query error takes a line of its own below.
  toolbar.append(search, regexLabel, windowText, zoomBox, queryError);

  const overview = el('canvas', 'tl-overview');
  overview.setAttribute('aria-label', 'Overview of the whole run; drag to choose the window');

  const body = el('div', 'tl-body');
  const testCanvas = el('canvas', 'tl-tests');
  const loadCanvas = el('canvas', 'tl-load');
  const cursor = el('div', 'tl-cursor');
  const tooltip = el('div', 'tl-tooltip');
  tooltip.setAttribute('role', 'tooltip');
  const isMac = /Mac|iPhone|iPad/.test(navigator.platform);
  const wheelHint = el(
    'div',
    'tl-wheel-hint',
    `Use ${isMac ? '⌘' : 'Ctrl'} + scroll to zoom, Shift + scroll to pan`,
  );
  wheelHint.setAttribute('aria-hidden', 'true');
  body.append(testCanvas);
  if (state.load) body.append(loadCanvas);
  body.append(cursor, tooltip, wheelHint);

  const dstatBar = el('div', 'tl-dstat');
  const shiftInput = el('input', 'tl-shift');
  shiftInput.type = 'number';
  shiftInput.step = '1';
  shiftInput.value = String(view.dstatShiftMin);
  shiftInput.setAttribute('aria-label', 'dstat time shift in minutes');
  const shiftLabel = el('label', 'tl-shift-label');
  shiftLabel.append(document.createTextNode('dstat time shift (min) '), shiftInput);
  const dstatNote = el('span', 'tl-dstat-note');
  dstatNote.setAttribute('role', 'status');
  if (state.load) dstatBar.append(shiftLabel, dstatNote);
  else dstatBar.append(el('span', 'tl-muted', 'No dstat log for this run.'));

  const bottom = el('div', 'tl-bottom');
  const panel = el('section', 'tl-panel');
  panel.setAttribute('aria-label', 'Selected test');
  const matchesBox = el('section', 'tl-matches');
  const matchesHead = el('div', 'tl-matches-head');
  const matchesList = el('div', 'tl-matches-list');
  const matchesSpacer = el('div', 'tl-matches-spacer');
  const matchesRows = el('div', 'tl-matches-rows');
  matchesList.append(matchesSpacer, matchesRows);
  matchesBox.append(matchesHead, matchesList);
  bottom.append(panel, matchesBox);

  const notes = el('div', 'tl-notes');
  if (state.layout.unplaced > 0) {
    notes.append(
      el(
        'p',
        'tl-muted',
        `${formatCount(state.layout.unplaced)} tests have no timestamps and cannot be drawn (they are in the search list).`,
      ),
    );
  }
  const legendRow = el('div', 'tl-legend');
  legendRow.append(showAll, showFailures, statusBar);
  // The hatch explains tests with no end; a run without one has nothing hatched to explain.
  if (state.layout.open.includes(1)) legendRow.append(hatchNote);
  root.append(toolbar, legendRow, notes, overview, body, dstatBar, bottom);
  return {
    root,
    search,
    regexBox,
    queryError,
    statusButtons,
    showAll,
    showFailures,
    zoomOut,
    zoomReset,
    zoomIn,
    windowText,
    overview,
    body,
    testCanvas,
    loadCanvas,
    cursor,
    tooltip,
    wheelHint,
    shiftInput,
    dstatNote,
    panel,
    matchesHead,
    matchesList,
    matchesSpacer,
    matchesRows,
  };
}

/** Pointer capture keeps a drag going outside the element; a pointer the browser does not know cannot be captured. */
export function capture(target: Element, pointerId: number): void {
  try {
    target.setPointerCapture(pointerId);
  } catch {
    // Synthetic or already released pointer: the drag still works while over the element.
  }
}
