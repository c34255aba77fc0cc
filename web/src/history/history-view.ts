// History on the report's pages: the run-level line, a test's badges, its outcome strip and duration chart.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './history.css';
import type { HistoryRun, HistoryTest, Outcome } from '../../../src/contract/history-format';
import { h } from '../app/dom';
import { formatDuration } from '../app/format';
import { statusFill } from '../app/status-colors';
import {
  BADGE_HELP,
  BADGE_LABEL,
  badgeKinds,
  historyCounts,
  historyLine,
  windowLine,
  type RunHistory,
} from './run-history';

/** Outcome colours: the status palette's (pass = success, fail = fail, flaky = uxsuccess's amber). */
export function outcomeFill(o: Outcome): string {
  if (o === 'pass') return statusFill('success');
  if (o === 'fail') return statusFill('fail');
  if (o === 'flaky') return statusFill('uxsuccess');
  if (o === 'skip') return statusFill('skip');
  return 'transparent';
}

/** The badges of a test (none when the rules flag nothing); `title` explains each. */
export function historyBadges(t: HistoryTest | undefined): HTMLElement[] {
  if (t === undefined) return [];
  return badgeKinds(t).map((k) =>
    h('span', { class: `hbadge hbadge-${k}`, 'data-history': k, title: BADGE_HELP[k] }, BADGE_LABEL[k]),
  );
}

/** "History (3 runs of job J): 3 new failures, 2 flaky, 1 fixed, 1 slower". */
export function historyLineElement(hist: RunHistory): HTMLElement {
  return h(
    'p',
    { class: 'history-line', 'data-history-line': '' },
    h('span', { class: 'history-label' }, `History (${windowLine(hist)}): `),
    h('strong', null, historyLine(historyCounts(hist))),
  );
}

function dateOf(run: HistoryRun | undefined): string {
  if (run === undefined) return '';
  return `${run.start.slice(0, 10)} ${run.start.slice(11, 19)} UTC`;
}

/** One square's hover text: run date, outcome, duration. */
export function squareTitle(run: HistoryRun | undefined, outcome: Outcome, duration: number | null): string {
  const parts = [dateOf(run), outcome === 'absent' ? 'not run' : outcome];
  if (duration !== null) parts.push(formatDuration(duration));
  return parts.filter((p) => p !== '').join(' · ');
}

/**
 * The test's outcome in every run of the window, oldest first: a coloured square each, an empty one where it
 * did not run. `link(i)` gives a square's link (a run's report in the fleet view), or null.
 */
export function outcomeStrip(
  runs: readonly HistoryRun[],
  t: HistoryTest,
  link: (run: number) => string | null = () => null,
): HTMLElement {
  const byRun = new Map(t.recent.map((p) => [p.run, p]));
  const strip = h('ol', { class: 'outcome-strip', 'aria-label': 'outcome in each run, oldest first' });
  runs.forEach((run, i) => {
    const p = byRun.get(i);
    const outcome: Outcome = p?.outcome ?? 'absent';
    const title = squareTitle(run, outcome, p?.duration ?? null);
    const href = link(i);
    const sq = href === null ? h('span', { class: 'sq' }) : h('a', { class: 'sq', href });
    sq.style.background = outcomeFill(outcome);
    const li = h('li', { 'data-outcome': outcome, title, 'aria-label': title }, sq);
    if (i === runs.length - 1) li.classList.add('latest');
    strip.appendChild(li);
  });
  return strip;
}

/** Durations over the window as a small uPlot chart (points coloured by outcome); null with no duration. */
export function durationChart(
  runs: readonly HistoryRun[],
  t: HistoryTest,
  width: number,
): HTMLElement | null {
  const timed = t.recent.filter((p) => p.duration !== null);
  if (timed.length === 0) return null;
  const xs = runs.map((_, i) => i);
  const ys = runs.map(() => null as number | null);
  for (const p of timed) ys[p.run] = p.duration;
  const outcomes = runs.map(() => 'absent' as Outcome);
  for (const p of t.recent) outcomes[p.run] = p.outcome;
  const el = h('div', { class: 'duration-chart', 'data-chart': 'duration' });
  const muted = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#5b6470';
  const grid = getComputedStyle(document.documentElement).getPropertyValue('--border').trim() || '#d9dee4';
  const w = Math.max(240, Math.min(width, 900));
  const step = Math.max(1, Math.ceil(runs.length / Math.max(1, Math.floor(w / 90))));
  const opts: uPlot.Options = {
    width: w,
    height: 160,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: [-0.5, Math.max(0.5, runs.length - 0.5)] },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        stroke: muted,
        grid: { show: false },
        ticks: { stroke: grid },
        // One tick per run, a date under every `step`-th (about one per 90 px).
        splits: () => xs,
        values: (_u, splits) => splits.map((v) => (v % step === 0 ? dateOf(runs[v]).slice(5, 16) : '')),
      },
      {
        stroke: muted,
        grid: { stroke: grid },
        ticks: { stroke: grid },
        size: 72,
        values: (_u, splits) => splits.map((v) => (v === 0 ? '0' : formatDuration(v))),
      },
    ],
    series: [
      {},
      {
        label: 'duration',
        stroke: muted,
        width: 1,
        spanGaps: true,
        // The points are drawn by the hook below, each in its outcome's colour.
        points: { show: false },
      },
    ],
    hooks: {
      // Each point in its outcome's colour (uPlot colours a series' points alike; draw them over).
      draw: [
        (u) => {
          const ctx = u.ctx;
          ctx.save();
          for (let i = 0; i < xs.length; i++) {
            const y = ys[i];
            if (y === null || y === undefined) continue;
            const cx = u.valToPos(i, 'x', true);
            const cy = u.valToPos(y, 'y', true);
            ctx.fillStyle = outcomeFill(outcomes[i] ?? 'absent');
            ctx.beginPath();
            ctx.arc(cx, cy, 4 * devicePixelRatio, 0, 2 * Math.PI);
            ctx.fill();
          }
          ctx.restore();
        },
      ],
    },
  };
  new uPlot(opts, [xs, ys], el);
  el.setAttribute(
    'aria-label',
    `duration in each run: ${timed.map((p) => formatDuration(p.duration)).join(', ')}`,
  );
  el.setAttribute('role', 'img');
  return el;
}

/** The test page's history section: badges, strip (with a legend) and the duration chart. */
export function testHistorySection(hist: RunHistory, name: string, width: number): HTMLElement {
  const t = hist.byName.get(name);
  const section = h('section', { class: 'test-history', 'data-history': 'test' });
  section.appendChild(h('h2', null, `History (${windowLine(hist)})`));
  if (t === undefined) {
    section.appendChild(h('p', { class: 'muted' }, 'This test has no outcome in the window (listed only).'));
    return section;
  }
  const badges = historyBadges(t);
  section.appendChild(
    h(
      'div',
      { class: 'history-facts' },
      ...badges,
      h(
        'span',
        { class: 'muted' },
        `${t.runs} run${t.runs === 1 ? '' : 's'}: ${t.passes} passed, ${t.failures} failed, ${t.skips} skipped, ` +
          `${t.flips} flip${t.flips === 1 ? '' : 's'}`,
      ),
    ),
  );
  section.appendChild(
    h(
      'div',
      { class: 'strip-row' },
      h('span', { class: 'muted' }, 'oldest'),
      outcomeStrip(hist.file.runs, t),
      h('span', { class: 'muted' }, 'this run'),
    ),
  );
  const chart = durationChart(hist.file.runs, t, width || 720);
  if (chart !== null)
    section.append(h('p', { class: 'muted chart-caption' }, 'Duration in each run of the window'), chart);
  return section;
}
