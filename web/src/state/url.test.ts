// Round-trip and edge cases of the URL hash state.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import { defaultViewState, formatHash, parseHash, type Route, type TimelineViewState } from './url';

const stateArb: fc.Arbitrary<TimelineViewState> = fc
  .record({
    window: fc.option(
      fc
        .tuple(fc.integer({ min: 0, max: 2e12 }), fc.integer({ min: 1, max: 1e9 }))
        .map(([a, d]) => [a, a + d]),
    ),
    selected: fc.integer({ min: -1, max: 200000 }),
    query: fc.string(),
    regex: fc.boolean(),
    statuses: fc.subarray([...EXPORT_STATUSES]),
    dstatShiftMin: fc.integer({ min: -1440, max: 1440 }),
  })
  .map((r) => ({
    t0Ms: r.window === null ? null : (r.window[0] ?? null),
    t1Ms: r.window === null ? null : (r.window[1] ?? null),
    selected: r.selected,
    query: r.query,
    regex: r.regex,
    statuses: new Set<ExportStatus>(r.statuses),
    dstatShiftMin: r.dstatShiftMin,
  }));

function normalise(route: Route): unknown {
  if (route.page !== 'timeline') return route;
  return { ...route, state: { ...route.state, statuses: [...route.state.statuses].sort() } };
}

describe('url state', () => {
  it('round-trips every route form', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        stateArb,
        fc.nat(500000),
        (runKey: string, state: TimelineViewState, index: number) => {
          const routes: Route[] = [
            { page: 'home' },
            { page: 'run', runKey },
            { page: 'timeline', runKey, state, testName: null },
            { page: 'test', runKey, index },
          ];
          for (const r of routes) expect(normalise(parseHash(formatHash(r)))).toEqual(normalise(r));
        },
      ),
    );
  });

  it('keeps defaults out of the link', () => {
    expect(formatHash({ page: 'timeline', runKey: 'a b/c', state: defaultViewState(), testName: null })).toBe(
      '#/run/a%20b%2Fc/timeline',
    );
  });

  it("accepts the original front-end's ?test=<name>", () => {
    const r = parseHash('#/timeline?test=tempest.api.Foo.test_bar');
    expect(r.page).toBe('timeline');
    if (r.page === 'timeline') {
      expect(r.runKey).toBeNull();
      expect(r.testName).toBe('tempest.api.Foo.test_bar');
      expect(r.state.selected).toBe(-1);
    }
  });

  it('ignores malformed values', () => {
    const r = parseHash('#/run/x/timeline?t0=abc&t1=5&st=fail,bogus&shift=NaN&test=-3');
    expect(r.page).toBe('timeline');
    if (r.page === 'timeline') {
      expect(r.state.t0Ms).toBeNull();
      expect(r.state.t1Ms).toBeNull();
      expect([...r.state.statuses]).toEqual(['fail']);
      expect(r.state.dstatShiftMin).toBe(0);
      expect(r.testName).toBe('-3');
    }
    expect(parseHash('#/run/%E0%A4%A/test/1').page).toBe('notfound');
    expect(parseHash('#/run/x/test/abc').page).toBe('notfound');
    expect(parseHash('').page).toBe('home');
  });

  it('an empty st= means no status is shown', () => {
    const r = parseHash('#/run/x/timeline?st=');
    expect(r.page === 'timeline' && r.state.statuses.size).toBe(0);
  });

  it('has a performance page', () => {
    expect(parseHash('#/performance')).toEqual({ page: 'performance' });
    expect(formatHash({ page: 'performance' })).toBe('#/performance');
  });
});
