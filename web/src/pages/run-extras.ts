// The run page's worker utilisation (from the stats: busy, idle, the long pole) and its "Open in Perfetto" button.
import type { StatsFile } from '../../../src/contract/export-format';
import { h, replace } from '../app/dom';
import { formatCount, formatDuration } from '../app/format';
import {
  canPostToPerfetto,
  downloadTrace,
  PERFETTO_ORIGIN,
  postToPerfetto,
  runTraceBytes,
} from '../app/perfetto';
import { loadDstat, loadTests } from '../data/loader';
import type { RunModel } from '../model/types';
import { testHash } from '../state/url';

const percent = (busy: number, idle: number): string =>
  busy + idle > 0 ? `${((100 * busy) / (busy + idle)).toFixed(1)} %` : '–';

/** A table of the run's workers and the long pole; null when the stats have no workers (older exports). */
export function workersSection(run: RunModel): HTMLElement | null {
  const workers: StatsFile['workers'] = run.stats.workers;
  if (!workers || workers.length === 0) return null;
  const table = h(
    'table',
    { class: 'workers-table' },
    h(
      'thead',
      null,
      h('tr', null, ...['worker', 'tests', 'busy', 'idle', 'utilisation'].map((c) => h('th', null, c))),
    ),
    h(
      'tbody',
      null,
      ...workers.map((w) =>
        h(
          'tr',
          { 'data-worker': w.name },
          h('td', null, w.name),
          h('td', null, formatCount(w.tests)),
          h('td', null, formatDuration(w.busy)),
          h('td', null, formatDuration(w.idle)),
          h('td', null, percent(w.busy, w.idle)),
        ),
      ),
    ),
  );
  const pole = run.stats.long_pole;
  const poleEl =
    pole && pole.tests.length > 0
      ? h(
          'div',
          { class: 'long-pole' },
          h(
            'p',
            null,
            'Long pole: ',
            h('strong', null, pole.worker),
            ` ran ${formatDuration(pole.after)} after every other worker had finished` +
              (run.stats.makespan ? ` (of ${formatDuration(run.stats.makespan)} in all), with:` : ', with:'),
          ),
          h(
            'ol',
            { class: 'long-pole-tests' },
            ...pole.tests.map((t) =>
              h('li', null, h('a', { href: testHash(run.key, t.index), class: 'test-name' }, t.name)),
            ),
          ),
        )
      : null;
  return h('div', { class: 'list-slot workers' }, h('h3', null, 'Workers'), table, poleEl);
}

/**
 * "Open in Perfetto": builds the run's trace from the loaded tests (and dstat log) when clicked and posts it to
 * ui.perfetto.dev; from file:// (no origin to answer) it downloads the trace instead.
 */
export function perfettoButton(run: RunModel): HTMLElement {
  const post = canPostToPerfetto();
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button perfetto',
      title: post
        ? 'Open this run as a trace in ui.perfetto.dev (the trace is sent only when you click)'
        : 'Download this run as a Chrome/Perfetto trace (a page opened from a file cannot post to Perfetto)',
    },
    post ? 'Open in Perfetto' : 'Download trace',
  );
  const note = h('span', { class: 'perfetto-note muted', role: 'status' });
  button.addEventListener('click', () => {
    // Opened in the click itself: a window opened after the trace is built would be blocked as a popup.
    const win = post ? window.open(PERFETTO_ORIGIN) : null;
    if (post && win === null) {
      replace(note, 'The browser blocked the Perfetto window: allow pop-ups for this page.');
      return;
    }
    replace(note, 'Building the trace…');
    void (async () => {
      const tests = await loadTests(run);
      const dstat = await loadDstat(run).catch(() => null);
      const bytes = runTraceBytes(run.name, tests, dstat);
      if (win === null) {
        downloadTrace(bytes, `${run.key.replace(/[^\w.-]+/g, '_')}.trace.json`);
        replace(note, '');
        return;
      }
      replace(note, 'Waiting for Perfetto…');
      await postToPerfetto(win, bytes, run.name);
      replace(note, '');
    })().catch((e: unknown) =>
      replace(note, `Could not open the trace: ${e instanceof Error ? e.message : String(e)}`),
    );
  });
  return h('span', { class: 'perfetto-control' }, button, note);
}
