// The classic copy of a pcp-dstat log, read by the original front-end's own dstat parser (run under Node).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseDstat, toClassicDstat } from '../../src/formats/dstat/index.js';

const here = (p: string): string => new URL(p, import.meta.url).pathname;
const fixture = (name: string): string => readFileSync(here(`../fixtures/dstat/${name}`), 'utf8');

/** d3-dsv's csvParseRows(text, row): RFC 4180 rows; a row whose mapping returns null/undefined is dropped. */
function csvParseRows<T>(text: string, f: (row: string[], i: number) => T | null | undefined): T[] {
  const out: T[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  let n = 0;
  const endRow = (): void => {
    row.push(cell);
    const r = f(row, n++);
    if (r !== null && r !== undefined) out.push(r);
    row = [];
    cell = '';
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    i++;
    if (quoted) {
      if (c !== '"') cell += c;
      else if (text[i] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i] === '\n') i++;
      endRow();
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) endRow();
  return out;
}

/** d3-time-format's utcParse, for the one format dstat-parse.js uses: '%Y-%d-%m %H:%M:%S'. */
function utcParse(format: string): (s: string) => Date | null {
  expect(format).toBe('%Y-%d-%m %H:%M:%S');
  return (s) => {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s);
    if (m === null) return null;
    const [y, d, mo, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    return new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  };
}

interface Parsed {
  minimums: Record<string, number>;
  maximums: Record<string, number>;
  entries: Record<string, number | Date>[];
}

/** The original parser itself, its `require`s answered by the stand-ins above. */
function originalParseDstat(): (data: string, year: number) => Parsed {
  const source = readFileSync(here('../fixtures/original-frontend/dstat-parse.js'), 'utf8');
  const module = { exports: {} as unknown };
  const fakeRequire = (name: string): unknown => {
    if (name === 'd3-dsv') return { csvParseRows };
    if (name === 'd3-time-format') return { utcParse };
    return createRequire(import.meta.url)(name);
  };
  new Function('require', 'module', 'exports', source)(fakeRequire, module, module.exports);
  return module.exports as (data: string, year: number) => Parsed;
}

/** What app/js/directives/timeline-dstat.js getDstatLanes looks up in the first entry (lines 20-62). */
const LANE_KEYS = [
  'total_cpu_usage_usr',
  'total_cpu_usage_sys',
  'total_cpu_usage_wai',
  'memory_usage_used',
  'net_total_recv',
  'net_total_send',
  'dsk_total_read',
  'dsk_total_writ',
];

const parseOriginal = originalParseDstat();
/** The original passes `new Date(firstTest).getYear()`: years since 1900. */
const YEAR_2026 = 2026 - 1900;

describe('the original front-end and dstat logs', () => {
  it('accepts the real classic dstat sample (the stand-ins behave as d3 does)', () => {
    const r = parseOriginal(fixture('dstat-0.8.0.csv'), YEAR_2026);
    expect(r.entries.length).toBe(30);
    for (const k of LANE_KEYS) expect(r.entries[0]).toHaveProperty(k);
  });

  it('rejects a pcp-dstat log as recorded (why CI reports lost their load lanes)', () => {
    expect(() => parseOriginal(fixture('pcp-dstat-6.0.3.csv'), YEAR_2026)).toThrow('Invalid Dstat CSV');
  });

  it.each(['pcp-dstat-6.0.3.csv', 'pcp-dstat-6.0.3-instances.csv'])(
    'accepts the classic copy of %s, with every lane column in the first entry',
    (name) => {
      const log = parseDstat(fixture(name));
      const classic = toClassicDstat(log);
      const firstRow = classic.csv.split('\n')[0] ?? '';
      expect(firstRow.startsWith('"Dstat ')).toBe(true);
      expect(firstRow.endsWith(' CSV output"')).toBe(true);
      const r = parseOriginal(classic.csv, YEAR_2026);
      expect(r.entries.length).toBe(classic.rows);
      expect(classic.rows).toBeGreaterThanOrEqual(5);
      const first = r.entries[0] ?? {};
      for (const k of LANE_KEYS) {
        expect(first, k).toHaveProperty(k);
        expect(Number.isFinite(first[k]), k).toBe(true);
      }
      // Every data row has the header's field count.
      const widths = new Set(
        classic.csv
          .trimEnd()
          .split('\n')
          .slice(5)
          .map((l) => l.split(',').length),
      );
      expect([...widths]).toEqual([classic.names.length]);
      // The times are the log's instants, in UTC, as the original reads them.
      const t0 = first['system_time'];
      expect(t0).toBeInstanceOf(Date);
      expect(log.timeMs).toContain((t0 as Date).getTime());
    },
  );

  it('keeps the values: our reader reads the classic copy back to the same series (bytes, UTC)', () => {
    const log = parseDstat(fixture('pcp-dstat-6.0.3.csv'));
    const back = parseDstat(toClassicDstat(log).csv);
    expect(back.producer).toBe('dstat');
    // The copy starts at the first row with every value (the log's first row has no rates).
    const offset = log.timeMs.indexOf(back.timeMs[0] ?? NaN);
    expect(offset).toBeGreaterThan(0);
    for (const s of ['mem_used', 'cpu_user', 'net_recv', 'disk_write', 'load_1m'] as const) {
      const a = log.series[s] ?? new Float64Array();
      const b = back.series[s] ?? new Float64Array();
      for (let i = 1; i < b.length; i++) expect(b[i], `${s}[${i}]`).toBeCloseTo(a[i + offset] ?? NaN, 2);
    }
    // pcp-dstat writes memory in KiB; the classic copy in bytes, as classic dstat does.
    expect(toClassicDstat(log).csv).toContain(String(1929594 * 1024));
  });
});
