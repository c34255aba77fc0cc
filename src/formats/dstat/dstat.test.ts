// Edge cases of the dstat reader on small inline logs: sniffing, CSV quirks, time zones, years, epochs, errors.
import { describe, expect, it } from 'vitest';
import { checkDstatHeader, DstatFormatError, parseDstat, sniffDstat } from './index.js';
import { splitCsvLine, parseCellNumber } from './csv.js';
import { resolveZone } from './time.js';

const CLASSIC_HEAD = [
  '"Dstat 0.8.0 CSV output"',
  '"Author:","Dag Wieers <dag@wieers.com>",,,,"URL:","http://dag.wieers.com/home-made/dstat/"',
  '"Host:","ci-node",,,,"User:","root"',
];
const GROUPS = '"system","total cpu usage",,,,,"memory usage",,,,"load avg",,';
const NAMES = '"time","usr","sys","idl","wai","stl","used","free","buff","cach","1m","5m","15m"';

/** A classic log with the given Date: text and data rows (`time` cell first, then 12 numbers). */
function classic(
  date: string | null,
  rows: string[],
  opts: { eol?: string; blankAfterMeta?: boolean } = {},
): string {
  const cmd = `"Cmdline:","dstat -tcml --output x.csv 1",,,,"Date:","${date ?? ''}"`;
  const lines = [...CLASSIC_HEAD, date === null ? '"Cmdline:","dstat -tcml --output x.csv 1"' : cmd];
  if (opts.blankAfterMeta === true) lines.push('');
  lines.push(GROUPS, NAMES, ...rows);
  return lines.join(opts.eol ?? '\n') + (opts.eol ?? '\n');
}
const row = (time: string, usr = 1): string => `${time},${usr},2,97,0,0,1000,2000,30,40,0.5,0.4,0.3`;

describe('sniffDstat and checkDstatHeader', () => {
  it('recognises both producers, with or without quotes, a BOM or CR', () => {
    expect(sniffDstat('"Dstat 0.8.0 CSV output"')).toBe('dstat');
    expect(sniffDstat('Dstat 0.7.4 CSV output\r')).toBe('dstat');
    expect(sniffDstat('\uFEFF"Dstat 0.7.2 CSV output"')).toBe('dstat');
    expect(sniffDstat('"pcp-dstat 6.0.3 CSV Output"')).toBe('pcp-dstat');
    expect(sniffDstat('"pcp-dstat 5.3.7 CSV Output"')).toBe('pcp-dstat');
  });

  it('refuses anything else', () => {
    expect(sniffDstat('time,usr,sys')).toBeNull();
    expect(sniffDstat('"Dstat CSV output"')).toBeNull();
    expect(sniffDstat('')).toBeNull();
    expect(sniffDstat('"Dstat 0.8.0 CSV output" trailing words')).toBeNull();
  });

  it('gives the producer and version, or a one-line reason', () => {
    expect(checkDstatHeader('"pcp-dstat 6.0.3 CSV Output"\n"Author:"')).toEqual({
      producer: 'pcp-dstat',
      version: '6.0.3',
    });
    expect(checkDstatHeader('\n\n"Dstat 0.8.0 CSV output"\r\n')).toEqual({
      producer: 'dstat',
      version: '0.8.0',
    });
    expect(checkDstatHeader('\r"Dstat 0.7.4 CSV output"\r"Author:"\r')).toEqual({
      producer: 'dstat',
      version: '0.7.4',
    });
    const bad = checkDstatHeader('a,b,c\n1,2,3\n');
    expect('error' in bad && bad.error).toMatch(/^not a dstat CSV: the first line is "a,b,c"/);
    const bin = checkDstatHeader('\u00b3\u0000\u0001xyz');
    expect('error' in bin && bin.error).toMatch(/binary/);
    const empty = checkDstatHeader('');
    expect('error' in empty && empty.error).toMatch(/empty/);
    for (const r of [bad, bin, empty]) expect('error' in r && r.error.includes('\n')).toBe(false);
  });
});

describe('CSV cells', () => {
  it('splits quoted cells with commas and doubled quotes, and ends an open quote at the line end', () => {
    expect(splitCsvLine('"a,b",c,"d ""e""",,')).toEqual(['a,b', 'c', 'd "e"', '', '']);
    expect(splitCsvLine('"open, never closed')).toEqual(['open, never closed']);
    expect(splitCsvLine('')).toEqual(['']);
  });

  it('reads numbers only from numeric cells', () => {
    expect(parseCellNumber('12.5')).toBe(12.5);
    expect(parseCellNumber(' 7 ')).toBe(7);
    expect(parseCellNumber('-0.5')).toBe(-0.5);
    expect(parseCellNumber('1e3')).toBe(1000);
    for (const c of ['', ' ', 'Top: bash\t1.0', '0x10', 'Infinity', 'NaN', '1.2.3', undefined]) {
      expect(parseCellNumber(c)).toBeNaN();
    }
  });
});

describe('parseDstat: layout tolerance', () => {
  const rows = [row('28-11 14:36:23'), row('28-11 14:36:24', 5), row('28-11 14:36:25', 6)];
  const base = parseDstat(classic('28 Nov 2026 14:36:23 UTC', rows));

  it('gives the same log for CRLF line ends and an empty line after the metadata', () => {
    for (const variant of [
      classic('28 Nov 2026 14:36:23 UTC', rows, { eol: '\r\n' }),
      classic('28 Nov 2026 14:36:23 UTC', rows, { blankAfterMeta: true }),
      classic('28 Nov 2026 14:36:23 UTC', rows, { eol: '\r\n', blankAfterMeta: true }),
      classic('28 Nov 2026 14:36:23 UTC', rows, { eol: '\r' }),
    ]) {
      const log = parseDstat(variant);
      expect(log.rows).toBe(3);
      expect(log.producer).toBe('dstat');
      expect(Array.from(log.timeMs)).toEqual(Array.from(base.timeMs));
      expect(Array.from(log.series.cpu_user ?? [])).toEqual(Array.from(base.series.cpu_user ?? []));
      expect(log.warnings).toEqual([]);
    }
    expect(Array.from(base.series.cpu_user ?? [])).toEqual([NaN, 5, 6]);
  });

  it('finds the header rows wherever they are (extra metadata lines before them)', () => {
    const text = classic('28 Nov 2026 14:36:23 UTC', rows).replace(GROUPS, `"Extra:","x"\n\n${GROUPS}`);
    expect(parseDstat(text).rows).toBe(3);
  });

  it('tolerates short rows (missing cells are NaN) and extra cells', () => {
    const log = parseDstat(
      classic('28 Nov 2026 14:36:23 UTC', [
        row('28-11 14:36:23'),
        '28-11 14:36:24,3,1',
        `${row('28-11 14:36:25', 4)},"missed 2 ticks"`,
      ]),
    );
    expect(log.rows).toBe(3);
    expect(log.series.cpu_user?.[1]).toBe(3);
    expect(log.series.cpu_idle?.[1]).toBeNaN();
    expect(log.series.load_1m?.[1]).toBeNaN();
    expect(log.series.cpu_user?.[2]).toBe(4);
  });

  it('skips rows whose time is unreadable, with one counted warning', () => {
    const log = parseDstat(
      classic('28 Nov 2026 14:36:23 UTC', [
        row('28-11 14:36:23'),
        row('garbage'),
        row('31-02 10:00:00'),
        row('28-11 14:36:26'),
      ]),
    );
    expect(log.rows).toBe(2);
    expect(log.warnings).toEqual(['rows without a readable time were skipped (2 times)']);
  });

  it('ignores quoted text columns, even with commas inside', () => {
    const text = classic('28 Nov 2026 14:36:23 UTC', [])
      .replace(GROUPS, `${GROUPS},"most expensive cpu process"`)
      .replace(NAMES, `${NAMES},"process              pid  cpu"`)
      .concat(`${row('28-11 14:36:23')},"Top: a, b\t1.0"\n${row('28-11 14:36:24', 9)},"x"\n`);
    const log = parseDstat(text);
    expect(log.series.cpu_user?.[1]).toBe(9);
    expect(log.columns.at(-1)?.key).toBe('most_expensive_cpu_process_process______________pid__cpu');
  });

  it('refuses a file that is not dstat, and one without a column header row', () => {
    expect(() => parseDstat('time,usr\n1,2\n')).toThrow(DstatFormatError);
    expect(() => parseDstat('')).toThrow(DstatFormatError);
    const noTime = classic('28 Nov 2026 14:36:23 UTC', [])
      .replace(NAMES, '"usr","sys"')
      .replace(GROUPS, '"total cpu usage",');
    expect(() => parseDstat(noTime)).toThrow(/no column header row/);
  });

  it('accepts headers without data rows, with a warning', () => {
    const log = parseDstat(classic('28 Nov 2026 14:36:23 UTC', []));
    expect(log.rows).toBe(0);
    expect(log.warnings).toEqual(['the log has headers but no data rows']);
  });
});

describe('parseDstat: time', () => {
  const iso = (log: { timeMs: Float64Array }, i: number): string =>
    new Date(log.timeMs[i] ?? NaN).toISOString();

  it('applies named and numeric zones', () => {
    const cases: [string, string, number][] = [
      ['CET', '2026-11-28T13:36:23.000Z', 60],
      ['CEST', '2026-11-28T12:36:23.000Z', 120],
      ['EST', '2026-11-28T19:36:23.000Z', -300],
      ['+0530', '2026-11-28T09:06:23.000Z', 330],
      ['-03', '2026-11-28T17:36:23.000Z', -180],
      ['GMT', '2026-11-28T14:36:23.000Z', 0],
    ];
    for (const [zone, expected, offset] of cases) {
      const log = parseDstat(classic(`28 Nov 2026 14:36:23 ${zone}`, [row('28-11 14:36:23')]));
      expect(iso(log, 0), zone).toBe(expected);
      expect(log.timeBasis).toEqual({ source: 'metadata', utcOffsetMin: offset, zone, certain: true });
    }
  });

  it('assumes UTC for an unknown zone name, uncertain, with a warning', () => {
    const log = parseDstat(classic('28 Nov 2026 14:36:23 XYZT', [row('28-11 14:36:23')]));
    expect(iso(log, 0)).toBe('2026-11-28T14:36:23.000Z');
    expect(log.timeBasis).toEqual({ source: 'metadata', utcOffsetMin: 0, zone: 'XYZT', certain: false });
    expect(log.warnings[0]).toMatch(/unknown time zone "XYZT"/);
  });

  it('settles an ambiguous zone with the reference instant, or says it could not', () => {
    const text = classic('28 Nov 2026 14:36:23 CST', [row('28-11 14:36:23'), row('28-11 15:36:23')]);
    const shanghai = parseDstat(text, { referenceUtcMs: Date.UTC(2026, 10, 28, 6, 50) });
    expect(shanghai.timeBasis).toMatchObject({ utcOffsetMin: 480, certain: true });
    expect(iso(shanghai, 0)).toBe('2026-11-28T06:36:23.000Z');
    const chicago = parseDstat(text, { referenceUtcMs: Date.UTC(2026, 10, 28, 20, 50) });
    expect(chicago.timeBasis).toMatchObject({ utcOffsetMin: -360, certain: true });
    const unsure = parseDstat(text);
    expect(unsure.timeBasis).toMatchObject({ utcOffsetMin: -360, certain: false });
    expect(unsure.warnings.join()).toMatch(/ambiguous time zone "CST"/);
  });

  it('crosses 31-12 → 01-01 into the next year', () => {
    const log = parseDstat(
      classic('31 Dec 2026 23:59:58 UTC', [
        row('31-12 23:59:58'),
        row('31-12 23:59:59'),
        row('01-01 00:00:00'),
        row('01-01 00:00:01'),
      ]),
    );
    expect([0, 1, 2, 3].map((i) => iso(log, i))).toEqual([
      '2026-12-31T23:59:58.000Z',
      '2026-12-31T23:59:59.000Z',
      '2027-01-01T00:00:00.000Z',
      '2027-01-01T00:00:01.000Z',
    ]);
  });

  it('takes the year from the reference instant when there is no Date:, and assumes UTC', () => {
    const log = parseDstat(classic(null, [row('31-12 23:59:59'), row('01-01 00:00:00')]), {
      referenceUtcMs: Date.UTC(2027, 0, 1, 0, 30),
    });
    expect(iso(log, 0)).toBe('2026-12-31T23:59:59.000Z');
    expect(iso(log, 1)).toBe('2027-01-01T00:00:00.000Z');
    expect(log.timeBasis).toEqual({ source: 'reference', utcOffsetMin: 0, zone: null, certain: false });
    expect(log.warnings.join()).toMatch(/reference instant/);
  });

  it('prefers an epoch column, and reads the local offset from the time column beside it', () => {
    const text = [
      ...CLASSIC_HEAD,
      '"Cmdline:","dstat -tTc",,,,"Date:","28 Nov 2026 15:36:23 CET"',
      '"system","epoch","total cpu usage",,,,',
      '"time","epoch","usr","sys","idl","wai","stl"',
      '28-11 15:36:23,1795876583.250,1,1,98,0,0',
      '28-11 15:36:24,1795876584.250,2,1,97,0,0',
    ].join('\n');
    const log = parseDstat(text);
    expect(log.timeBasis).toEqual({ source: 'epoch', utcOffsetMin: 60, zone: 'CET', certain: true });
    expect(log.timeMs[0]).toBe(1795876583250);
    expect(log.series.cpu_user?.[1]).toBe(2);
  });

  it('puts an older appended section in time order, with a warning', () => {
    const first = classic('28 Nov 2026 14:36:23 UTC', [row('28-11 14:36:23'), row('28-11 14:36:24', 7)]);
    const older = [
      '',
      '',
      '"Host:","ci-node",,,,"User:","root"',
      '"Cmdline:","dstat",,,,"Date:","27 Nov 2026 10:00:00 UTC"',
      GROUPS,
      NAMES,
      row('27-11 10:00:00'),
      row('27-11 10:00:01', 8),
    ].join('\n');
    const log = parseDstat(first + older);
    expect(log.rows).toBe(4);
    expect(iso(log, 0)).toBe('2026-11-27T10:00:00.000Z');
    expect(Array.from(log.series.cpu_user ?? [])).toEqual([NaN, 8, NaN, 7]);
    expect(log.warnings).toEqual(['rows were not in time order and were sorted']);
  });

  it('resolves zone names on their own', () => {
    expect(resolveZone('UTC+02:00')).toEqual({ offsets: [120], known: true });
    expect(resolveZone('Z')).toEqual({ offsets: [0], known: true });
    expect(resolveZone('+99')).toEqual({ offsets: [0], known: false });
    expect(resolveZone('Mitteleuropäische Zeit')).toEqual({ offsets: [0], known: false });
  });
});

describe('parseDstat: speed', () => {
  // A guard against accidentally quadratic work, not a timing test: the 100 ms target is measured by
  // `npm run bench` (a shared CI machine must not fail this on noise, hence the 20x margin).
  it('parses 10,000 rows of a full devstack log in linear time', () => {
    const rowsText: string[] = [];
    const t0 = Date.UTC(2026, 10, 28, 14, 0, 0);
    for (let i = 0; i < 10_000; i++) {
      const d = new Date(t0 + i * 1000);
      const p = (n: number): string => String(n).padStart(2, '0');
      const time = `${p(d.getUTCDate())}-${p(d.getUTCMonth() + 1)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
      rowsText.push(`${row(time, i % 100)},Top: python3\t${i}\t0.0\t0.0`);
    }
    const text = classic('28 Nov 2026 14:00:00 UTC', rowsText);
    parseDstat(text);
    const start = performance.now();
    const log = parseDstat(text);
    const ms = performance.now() - start;
    expect(log.rows).toBe(10_000);
    expect(log.series.cpu_user?.[9_999]).toBe(99);
    expect(ms).toBeLessThan(2000);
  });
});
