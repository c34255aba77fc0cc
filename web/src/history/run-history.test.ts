import { describe, expect, it } from 'vitest';
import type { HistoryFile, HistoryTest } from '../../../src/contract/history-format';
import { badgeKinds, historyCounts, historyLine, parseHistoryFile, windowLine } from './run-history';

const test = (name: string, patch: Partial<HistoryTest>): HistoryTest => ({
  name,
  runs: 2,
  passes: 2,
  failures: 0,
  skips: 0,
  flips: 0,
  new_failure: false,
  new_test: false,
  fixed: false,
  flaky: false,
  slower: false,
  outcome: 'pass',
  recent: [],
  ...patch,
});

const file = (tests: HistoryTest[]): HistoryFile => ({
  job: 'tempest-full',
  window: 30,
  runs: [
    { id: 'a', start: '2026-01-01T00:00:00Z', tests: 3, failures: 0 },
    { id: 'b', start: '2026-01-02T00:00:00Z', tests: 3, failures: 1 },
  ],
  tests,
});

describe('run history', () => {
  it('counts what the rules flagged in the run, and says it in one line', () => {
    const h = parseHistoryFile(
      file([
        test('a', { new_failure: true, outcome: 'fail' }),
        test('b', { new_failure: true, outcome: 'fail', flaky: true }),
        test('c', { fixed: true, flaky: true }),
        test('d', { slower: true }),
        test('e', { new_test: true, outcome: 'fail' }),
        test('f', { new_test: true }),
        // Flaky over the window but not in this run: no badge shows it here, so it is not counted.
        test('g', { flaky: true, outcome: 'absent' }),
      ]),
    );
    const c = historyCounts(h);
    expect(c).toEqual({ newFailures: 2, newTests: 2, newFailing: 1, flaky: 2, fixed: 1, slower: 1 });
    expect(historyLine(c)).toBe('2 new failures, 2 flaky, 1 fixed, 1 slower, 2 new tests (1 failing)');
    expect(windowLine(h)).toBe('2 runs of tempest-full');
    expect(h.latest?.id).toBe('b');
    expect(h.byName.get('c')?.fixed).toBe(true);
  });

  it('says "nothing new" when the rules flag nothing, and uses the singular', () => {
    expect(historyLine(historyCounts(parseHistoryFile(file([test('a', {})]))))).toBe('nothing new');
    const one = historyCounts(parseHistoryFile(file([test('a', { new_failure: true, outcome: 'fail' })])));
    expect(historyLine(one)).toBe('1 new failure');
  });

  it('gives badges in reading order', () => {
    expect(badgeKinds(test('a', { slower: true, new_failure: true, flaky: true }))).toEqual([
      'new-failure',
      'flaky',
      'slower',
    ]);
    expect(badgeKinds(test('a', {}))).toEqual([]);
  });

  it('refuses what is not a history file', () => {
    expect(() => parseHistoryFile([])).toThrow(/not a history file/);
    expect(() => parseHistoryFile({ job: 'j', runs: [], tests: [{ name: 'x' }] })).toThrow(/tests\[0\]/);
    expect(() => parseHistoryFile({ job: 'j', runs: [{}], tests: [] })).toThrow(/runs\[0\]/);
  });
});
