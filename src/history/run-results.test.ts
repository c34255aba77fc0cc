// A run's row round-trips: what encodeRun writes, eachAttempt reads back, attempt by attempt, durations exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANALYSED_COLUMNS,
  encodeRun,
  eachAttempt,
  FAILURE_COLUMNS,
  type RecordedResult,
} from './run-results.js';
import { STATUS_CODES } from './schema.js';

const attempt = fc.record({
  name: fc.constantFrom('a', 'b', 'c\0', 'subunit.parser'),
  id: fc.constantFrom('a', 'b[x]'),
  status: fc.constantFrom(...STATUS_CODES, 'bogus'),
  startUs: fc.option(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 })),
  duration: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
  worker: fc.option(fc.integer()),
  tags: fc.array(fc.string(), { maxLength: 2 }),
  attributes: fc.array(fc.string(), { maxLength: 2 }),
  exception: fc.option(fc.string()),
  tracebackTail: fc.option(fc.string()),
});

describe('a run as one row', () => {
  it('reads back every attempt as written', () => {
    expect(ANALYSED_COLUMNS).toBe('test_ids, statuses, durations');
    fc.assert(
      fc.property(fc.array(attempt, { maxLength: 30 }), (results: RecordedResult[]) => {
        const { row, failures } = encodeRun(7, results, (i) => 100 + i);
        const got: [number, number, number | null][] = [];
        eachAttempt([row[1], row[2], row[4]], null, (id, status, duration) =>
          got.push([id, status, duration]),
        );
        expect(got).toEqual(
          results.map((r, i) => {
            const code = STATUS_CODES.indexOf(r.status as (typeof STATUS_CODES)[number]);
            // -0 reads back as 0 (JSON has no negative zero); every other duration exactly.
            return [
              100 + i,
              code < 0 ? STATUS_CODES.indexOf('unknown') : code,
              r.duration === 0 ? 0 : r.duration,
            ];
          }),
        );
        // A failures row for each failed attempt and each with text, in attempt order.
        const failed = results.flatMap((r, i) =>
          ['fail', 'uxsuccess', 'inprogress'].includes(r.status) ||
          r.exception !== null ||
          r.tracebackTail !== null
            ? [i]
            : [],
        );
        expect(failures.length).toBe(failed.length * FAILURE_COLUMNS);
        expect(failed.map((_, k) => failures[k * FAILURE_COLUMNS + 1])).toEqual(failed);
        // Only the tests `keep` accepts.
        const kept: number[] = [];
        eachAttempt(
          [row[1], row[2], row[4]],
          (id) => id % 2 === 0,
          (id) => kept.push(id),
        );
        expect(kept).toEqual(results.map((_, i) => 100 + i).filter((id) => id % 2 === 0));
      }),
      { numRuns: 500 },
    );
  });
});
