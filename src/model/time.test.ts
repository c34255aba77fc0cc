// Unit tests for the Python-compatible timestamp and duration formatting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationSeconds, isoFromMicros } from './time.js';

const us = (iso: string, micro: number): number => Date.parse(iso) * 1000 + micro;

describe('isoFromMicros', () => {
  it('prints six fraction digits, zero-padded', () => {
    expect(isoFromMicros(us('2018-09-28T02:46:35Z', 626800))).toBe('2018-09-28T02:46:35.626800+00:00');
    expect(isoFromMicros(us('2018-09-28T02:46:35Z', 7))).toBe('2018-09-28T02:46:35.000007+00:00');
    expect(isoFromMicros(us('2018-09-28T02:46:35Z', 999999))).toBe('2018-09-28T02:46:35.999999+00:00');
  });
  it('leaves the fraction out when the microseconds are zero', () => {
    expect(isoFromMicros(us('2017-07-27T17:47:33Z', 0))).toBe('2017-07-27T17:47:33+00:00');
    expect(isoFromMicros(0)).toBe('1970-01-01T00:00:00+00:00');
  });
  it('handles instants before the epoch (exact within ±2^53 µs)', () => {
    expect(isoFromMicros(-1)).toBe('1969-12-31T23:59:59.999999+00:00');
    expect(isoFromMicros(Date.UTC(1900, 0, 2, 3, 4, 5) * 1000 + 10)).toBe('1900-01-02T03:04:05.000010+00:00');
  });
});

describe('durationSeconds', () => {
  it('divides integer microseconds like timedelta.total_seconds()', () => {
    expect(durationSeconds(us('2018-09-28T02:46:35Z', 626800), us('2018-09-28T02:46:35Z', 979133))).toBe(
      0.352333,
    );
    expect(String(durationSeconds(0, 645))).toBe('0.000645');
    expect(durationSeconds(10, 5)).toBe(-0.000005);
  });
  it('is null when an end is unknown', () => {
    expect(durationSeconds(null, 5)).toBeNull();
    expect(durationSeconds(5, null)).toBeNull();
  });
});

describe('isoFromMicros against Date', () => {
  it('agrees with Date.toISOString to the microsecond wherever µs are exact in a double (±2^53: 1685..2255)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -9_007_199_254_000, max: 9_007_199_254_000 }),
        fc.nat(999),
        (ms, micro) => {
          const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
          const fraction = (ms - Math.floor(ms / 1000) * 1000) * 1000 + micro;
          const expected =
            iso.slice(0, 19) + (fraction === 0 ? '' : `.${String(fraction).padStart(6, '0')}`) + '+00:00';
          expect(isoFromMicros(ms * 1000 + micro)).toBe(expected);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
