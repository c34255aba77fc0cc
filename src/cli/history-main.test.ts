import { describe, expect, it } from 'vitest';
import type { HistoryFile, HistoryTest } from '../contract/history-format.js';
import { historyText } from './history-main.js';

const test = (name: string, o: Partial<HistoryTest> = {}): HistoryTest => ({
  name,
  runs: 6,
  passes: 6,
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
  ...o,
});

const file = (tests: HistoryTest[]): HistoryFile => ({
  job: 'j',
  window: 30,
  runs: [{ id: 'abcdef0123456789', start: '2026-01-01T00:00:00.000000Z', tests: tests.length, failures: 1 }],
  tests,
});

describe('the text summary', () => {
  it('lists the flaky tests that failed in this run first, then by flips, in words that agree', () => {
    const text = historyText(
      file([
        test('a.most', { flaky: true, flips: 9, failures: 4 }),
        test('b.failed-now', { flaky: true, flips: 2, failures: 1, outcome: 'fail' }),
        test('c.retried-now', { flaky: true, flips: 3, failures: 1, outcome: 'flaky' }),
        test('d.new', { new_test: true, runs: 1 }),
        test('e.slow', {
          slower: true,
          baseline: 1.25,
          recent: [{ run: 0, outcome: 'pass', duration: 4 }],
        }),
      ]),
      [],
    );
    expect(text.split('\n')).toEqual([
      "job 'j': run abcdef012345 (2026-01-01T00:00:00.000000Z), 5 tests, 1 failure; window: 1 of up to 30 runs",
      '0 new failures, 3 flaky, 0 fixed, 1 slower, 1 new test',
      '3 flaky:',
      '  c.retried-now (3 flips, 1 failure in 6 runs; failed, then passed in this run)',
      '  b.failed-now (2 flips, 1 failure in 6 runs; failed in this run)',
      '  a.most (9 flips, 4 failures in 6 runs)',
      '1 slower:',
      '  e.slow (4.00 s, median before 1.25 s)',
      '',
    ]);
  });
});
