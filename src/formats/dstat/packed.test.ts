// packDstatLog/unpackDstatLog: every field and every number comes back (bit for bit), for real logs and odd values.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dstatCsv } from '../../../bench/generate.js';
import { isPackedDstat, packDstatLog, parseDstat, unpackDstatLog, type DstatLog } from './index.js';

/** Same fields, and the same number in every slot (Object.is: NaN equals NaN, -0 differs from 0). */
function expectSameLog(actual: DstatLog, expected: DstatLog): void {
  const { timeMs, series, ...rest } = expected;
  const { timeMs: aTime, series: aSeries, ...aRest } = actual;
  expect(aRest).toEqual(rest);
  expect(Object.keys(aSeries)).toEqual(Object.keys(series));
  for (const [name, want] of [['timeMs', timeMs], ...Object.entries(series)] as [string, Float64Array][]) {
    const got = name === 'timeMs' ? aTime : aSeries[name as keyof typeof series];
    expect(got, name).toBeInstanceOf(Float64Array);
    expect(got?.length, name).toBe(want.length);
    const differ = Array.from(want).findIndex((v, i) => !Object.is(v, got?.[i]));
    expect(differ, `${name}[${differ}]`).toBe(-1);
  }
}

const FIXTURES = ['dstat-0.8.0.csv', 'pcp-dstat-6.0.3.csv', 'pcp-dstat-6.0.3-instances.csv'];

describe('packed dstat logs', () => {
  for (const f of FIXTURES) {
    it(`gives back the log of ${f}`, () => {
      const log = parseDstat(readFileSync(`test/fixtures/dstat/${f}`, 'utf8'), {
        referenceUtcMs: Date.UTC(2026, 10, 28),
      });
      const packed = packDstatLog(log);
      expect(isPackedDstat(packed)).toBe(true);
      expectSameLog(unpackDstatLog(packed), log);
    });
  }

  it('keeps values no decimal scale can hold: -0, infinities, 0.1+0.2, huge and tiny numbers', () => {
    const log = parseDstat(readFileSync('test/fixtures/dstat/dstat-0.8.0.csv', 'utf8'));
    const rows = 6;
    const odd: DstatLog = {
      ...log,
      rows,
      timeMs: Float64Array.from([0, 1000, 2000, 3000, 4000, 5000]),
      series: {
        cpu_user: Float64Array.from([NaN, -0, 1, 2, NaN, 3]),
        cpu_system: Float64Array.from([Infinity, -Infinity, 1, 2, 3, 4]),
        cpu_idle: Float64Array.from([0.1 + 0.2, 1, 2, 3, 4, 5]),
        mem_used: Float64Array.from([2 ** 60, 1, 2 ** 49, -(2 ** 49), 0, 7]),
        mem_free: Float64Array.from([1e-12, 5e-324, 0, 1, 2, 3]),
        net_recv: Float64Array.from([NaN, NaN, NaN, NaN, NaN, NaN]),
        // Scaled with decimals, and deltas both ways.
        load_1m: Float64Array.from([4.226, 4.235, 0.001, 999999.999, -12.5, 4.226]),
        disk_read: Float64Array.from([2 ** 50, -(2 ** 50), 2 ** 50, 0, 1, -1]),
      },
    };
    expectSameLog(unpackDstatLog(packDstatLog(odd)), odd);
  });

  it('gives back a long log, in less than half the size of the CSV once both are gzipped', () => {
    const text = dstatCsv({ startUtcMs: Date.UTC(2026, 10, 28, 14), rows: 5000, seed: 7 });
    const log = parseDstat(text);
    const packed = packDstatLog(log);
    expectSameLog(unpackDstatLog(packed), log);
    expect(gzipSync(packed, { level: 9 }).length).toBeLessThan(gzipSync(text, { level: 9 }).length / 2);
  });

  it('refuses bytes that are not a whole packed log', () => {
    const packed = packDstatLog(parseDstat(readFileSync('test/fixtures/dstat/dstat-0.8.0.csv', 'utf8')));
    expect(isPackedDstat(new TextEncoder().encode('"Dstat 0.8.0 CSV output"'))).toBe(false);
    expect(() => unpackDstatLog(packed.subarray(0, packed.length - 1))).toThrow(/truncated|left over/);
    expect(() => unpackDstatLog(Uint8Array.from([...packed, 0]))).toThrow(/left over/);
    expect(() => unpackDstatLog(new Uint8Array(3))).toThrow(/not a packed/);
  });
});
