// The timeline's state transitions: bounds, windows from the URL, reveal, ←/→ steps, filter, dstat overlap.
import { describe, expect, it } from 'vitest';
import { defaultViewState, type TimelineViewState } from '../state/url';
import type { LoadLog } from '../lanes/series';
import { buildLayout } from './layout';
import { TimelineState, runBounds, sameSet } from './state';
import { makeTable } from './test-table.fixture';

const tests = makeTable([
  { name: 'a.one', worker: 0, start: 0, end: 10 },
  { name: 'a.two', worker: 0, start: 10, end: 20 },
  { name: 'b.one', worker: 1, start: 5, end: 100, status: 'fail' },
  { name: 'nowhere', start: null, end: null },
]);

function view(patch: Partial<TimelineViewState> = {}): TimelineViewState {
  return { ...defaultViewState(), ...patch };
}

describe('runBounds', () => {
  it('spans the run plus 2% each side', () => {
    const b = runBounds(buildLayout(tests));
    expect(b).toEqual({
      hasTime: true,
      runStartMs: 0,
      runEndMs: 100_000,
      bounds: { t0Ms: -2000, t1Ms: 102_000 },
    });
  });

  it('gives a run without timestamps a one-second span', () => {
    const b = runBounds(buildLayout(makeTable([{ name: 'x', start: null, end: null }])));
    expect(b.hasTime).toBe(false);
    expect(b.bounds).toEqual({ t0Ms: -20, t1Ms: 1020 });
  });
});

describe('TimelineState', () => {
  it('takes its window from the view, clamped, or the whole run', () => {
    const s = new TimelineState(tests, view(), null);
    expect(s.win).toEqual(s.bounds);
    expect(s.isWhole(s.win)).toBe(true);
    expect(s.windowFromView(view({ t0Ms: 1000, t1Ms: 2000 }))).toEqual({ t0Ms: 1000, t1Ms: 2000 });
    expect(s.windowFromView(view({ t0Ms: -1e9, t1Ms: -1e9 + 5000 }))).toEqual({ t0Ms: -2000, t1Ms: 3000 });
    // An empty or reversed window means the whole run.
    expect(s.windowFromView(view({ t0Ms: 2000, t1Ms: 2000 }))).toEqual(s.bounds);
    expect(
      new TimelineState(tests, view({ t0Ms: 1000, t1Ms: 2000 }), null).isWhole({ t0Ms: 1000, t1Ms: 2000 }),
    ).toBe(false);
  });

  it('copies the view so the caller’s status set is not shared', () => {
    const v = view();
    const s = new TimelineState(tests, v, null);
    expect(s.view.statuses).not.toBe(v.statuses);
    expect(sameSet(s.view.statuses, v.statuses)).toBe(true);
    expect(sameSet(new Set([1, 2]), new Set([2, 3]))).toBe(false);
  });

  it('reveals a test by panning, keeps the span, and leaves a test in view alone', () => {
    const s = new TimelineState(tests, view({ t0Ms: 50_000, t1Ms: 80_000 }), null);
    // Centred on the test, same 30 s span.
    expect(s.revealWindow(0)).toEqual({ t0Ms: -10_000, t1Ms: 20_000 });
    expect(s.revealWindow(3)).toBeNull(); // no time
    // Wider than the window: its start is shown 5% in from the left.
    expect(s.revealWindow(2)).toEqual({ t0Ms: 3500, t1Ms: 33_500 });
    s.win = { t0Ms: -1000, t1Ms: 30_000 };
    expect(s.revealWindow(1)).toBeNull();
  });

  it('steps through a worker’s tests in order and stops at either end', () => {
    const s = new TimelineState(tests, view({ selected: 0 }), null);
    expect(s.stepTarget(1)).toBe(1);
    expect(s.stepTarget(-1)).toBeNull();
    s.view = { ...s.view, selected: 1 };
    expect(s.stepTarget(1)).toBeNull();
    s.view = { ...s.view, selected: -1 };
    expect(s.stepTarget(1)).toBeNull();
  });

  it('refilters from the view and summarises each row for the mask', () => {
    const s = new TimelineState(tests, view(), null);
    s.refilter();
    expect(s.mask).toBeNull();
    expect(s.summaries.length).toBe(s.layout.rows.length);
    s.view = { ...s.view, query: 'a.' };
    s.refilter();
    expect(Array.from(s.filter.matches)).toEqual([0, 1]);
    expect(s.mask).not.toBeNull();
  });

  it('tells whether the shifted dstat log overlaps the run', () => {
    const log: LoadLog = {
      timeMs: Float64Array.from([200_000, 201_000, 202_000]),
      series: { cpu_user: Float64Array.from([1, 2, 3]) },
      timeBasis: { certain: true },
    };
    const s = new TimelineState(tests, view(), log);
    expect(s.load).not.toBeNull();
    expect(s.dstatOverlaps()).toBe(false);
    s.view = { ...s.view, dstatShiftMin: -2 }; // 200 s - 120 s = 80 s: inside the run
    expect(s.dstatShiftMs).toBe(-120_000);
    expect(s.dstatOverlaps()).toBe(true);
    expect(new TimelineState(tests, view(), null).dstatOverlaps()).toBeNull();
    expect(new TimelineState(tests, view(), { ...log, timeMs: new Float64Array(0) }).load).toBeNull();
  });
});
