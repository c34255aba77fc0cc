// The run page's "slowest tests": same answer as a full sort, NaN and negative durations ignored.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildTestTable } from '../data/test-table';
import { slowestTests } from './home';

describe('slowestTests', () => {
  it('matches a full sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -5, max: 100, noNaN: true }), { nil: null }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        (durations, n) => {
          const table = buildTestTable(
            durations.map((d, i) => ({
              name: `t${i}`,
              status: 'success',
              tags: [],
              timestamps: [null, null],
              duration: d,
              details: {},
            })),
          );
          const expected = durations
            .map((d, i) => [d ?? NaN, i] as const)
            .filter(([d]) => d > 0)
            .sort((a, b) => b[0] - a[0] || a[1] - b[1])
            .slice(0, n)
            .map(([d]) => d);
          expect(slowestTests(table, n).map((i) => durations[i])).toEqual(expected);
        },
      ),
    );
  });
});
