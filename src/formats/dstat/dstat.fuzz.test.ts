// Property tests of the dstat reader: random, mutated, truncated and spliced logs give a DstatLog or a DstatFormatError.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DstatFormatError, parseDstat } from './index.js';
import type { DstatLog } from './index.js';

/** ~200 cases by default; `npm run fuzz` raises it through FUZZ_RUNS. (Read through globalThis: this folder is
 *  also type-checked for the browser, where `process` does not exist.) */
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
const RUNS = Number(env?.['FUZZ_RUNS'] ?? 200);

// Seeds: the head of the real classic sample (test/fixtures/dstat/dstat-0.8.0.csv) and of the pcp-dstat fixture.
const CLASSIC = [
  '"Dstat 0.8.0 CSV output"',
  '"Author:","Dag Wieers <dag@wieers.com>",,,,"URL:","http://dag.wieers.com/home-made/dstat/"',
  '"Host:","vm",,,,"User:","root"',
  '"Cmdline:","dstat -tcmndrylpg --top-cpu-adv --top-io-adv --nocolor --output dstat-csv.log 1 30",,,,"Date:","28 Nov 2026 14:36:23 UTC"',
  '"system","total cpu usage",,,,,"memory usage",,,,"net/total",,"dsk/total",,"io/total",,"system",,"load avg",,,"procs",,,"paging",,"most expensive cpu process","most expensive i/o process"',
  '"time","usr","sys","idl","wai","stl","used","free","buff","cach","recv","send","read","writ","read","writ","int","csw","1m","5m","15m","run","blk","new","in","out","process              pid  cpu read write","process              pid  read write cpu"',
  '28-11 14:36:23,18.434,4.276,77.083,0.181,0.026,197591040,24921657344,3014656,81100800,0,0,896675.716,1334484.937,54.216,15.487,341.228,552.120,0.080,0.130,0.350,0,0,10.809,0,0,Top: process_api\t0.27\t0.0\t0.0,Top: bash\t674436.39\t32616.24\t0.0069',
  '28-11 14:36:27,1.508,1.005,97.487,0,0,169086976,24950738944,3014656,80523264,0,0,155648,0,26,0,82,103,0.070,0.130,0.340,1,0,1,0,0,Top: python3\t2.0\t2656703.0\t0.0,Top: python3\t2656703.0\t0.0\t2.0',
  '28-11 14:36:28,59.799,9.548,30.653,0,0,219144192,24900677632,3014656,80527360,0,0,53248,0,6,0,659,815,0.070,0.130,0.340,1,0,8,0,0,Top: python3\t19.5\t10094923.0\t26578.0,Top: python3\t18871443.0\t200742.0\t13.5',
  '31-12 23:59:59,1,1,98,0,0,1,2,3,4,0,0,0,0,0,0,1,1,0.1,0.1,0.1,0,0,0,0,0,x,y',
  '01-01 00:00:00,1,1,98,0,0,1,2,3,4,0,0,0,0,0,0,1,1,0.1,0.1,0.1,0,0,0,0,0,x,y',
].join('\n');
const PCP = [
  '"pcp-dstat 6.0.3 CSV Output"',
  '"Host:","fedora",,,,"User:","zuul"',
  '"Cmdline:","pcp-dstat --time --epoch --cpu -C 0,total --mem --net -N eth0,lo",,,,"Date:","31 Dec 2026 23:59:57 CST"',
  '"system","epoch","cpu0 usage",,,,,"total usage",,,,,"memory usage",,,,"net/eth0",,"net/lo",',
  '"time","epoch","cpu0 usage:usr","cpu0 usage:sys","cpu0 usage:idl","cpu0 usage:wai","cpu0 usage:stl","total usage:usr","total usage:sys","total usage:idl","total usage:wai","total usage:stl","used","free","buf","cach","net/eth0:recv","net/eth0:send","net/lo:recv","net/lo:send"',
  '31-12 23:59:57,1798783197,,',
  '31-12 23:59:58,1798783198,11,2,87,0,0,12,2,86,0,0,3675476,2902284,3188,5051868,1000,500,231,231,"missed 2 ticks"',
  '',
  '',
  '"Host:","fedora",,,,"User:","zuul"',
  '"Cmdline:","pcp-dstat --time-adv --cpu",,,,"Date:","01 Jan 2027 00:10:00 +0100"',
  '"system","total usage",,,,',
  '"time","total usage:usr","total usage:sys","total usage:idl","total usage:wai","total usage:stl"',
  '01-01 00:10:00.250,,,,,',
  '01-01 00:10:01.251,5.500,1,88,0,0',
].join('\r\n');

/** The shape every successful parse must have, whatever the input. */
function checkLog(log: DstatLog): void {
  expect(log.timeMs.length).toBe(log.rows);
  for (let i = 0; i < log.rows; i++) {
    const t = log.timeMs[i] ?? NaN;
    expect(Number.isFinite(t)).toBe(true);
    if (i > 0) expect(t).toBeGreaterThanOrEqual(log.timeMs[i - 1] ?? -Infinity);
  }
  for (const s of Object.values(log.series)) expect(s?.length).toBe(log.rows);
  expect(Number.isFinite(log.timeBasis.utcOffsetMin)).toBe(true);
  for (const w of log.warnings) expect(typeof w).toBe('string');
}

/** Parse, allowing only a log of the right shape or our own typed error. */
function parseOrTypedError(text: string, referenceUtcMs?: number): 'log' | 'error' {
  try {
    const log = parseDstat(text, referenceUtcMs === undefined ? {} : { referenceUtcMs });
    checkLog(log);
    return 'log';
  } catch (e) {
    if (e instanceof DstatFormatError) return 'error';
    throw e;
  }
}

type Edit = { kind: 'insert' | 'delete' | 'replace'; at: number; text: string; len: number };

function applyEdits(base: string, edits: Edit[]): string {
  let s = base;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + e.len);
    else s = s.slice(0, at) + e.text + s.slice(at + e.text.length);
  }
  return s;
}

const csvish = fc.string({
  unit: fc.constantFrom(
    '"',
    ',',
    '\n',
    '\r',
    ':',
    '-',
    ' ',
    '0',
    '1',
    '9',
    '.',
    'e',
    'time',
    'epoch',
    '\t',
    'Date:',
    'Host:',
    '\u0000',
    '\uFEFF',
    '𝔘',
  ),
  maxLength: 12,
});
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('insert', 'delete', 'replace'),
  at: fc.nat(),
  text: csvish,
  len: fc.integer({ min: 1, max: 40 }),
});
const seed = fc.constantFrom(CLASSIC, PCP);
const reference = fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: undefined });

describe('dstat reader under hostile input', () => {
  test('the seeds themselves parse', () => {
    expect(parseOrTypedError(CLASSIC)).toBe('log');
    expect(parseOrTypedError(PCP)).toBe('log');
    expect(parseDstat(PCP).rows).toBe(4);
  });

  test('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), reference, (text, ref) => {
        parseOrTypedError(text, ref);
      }),
      { numRuns: RUNS },
    );
  });

  test('a dstat first line followed by random CSV-ish text', () => {
    fc.assert(
      fc.property(seed, fc.array(csvish, { maxLength: 60 }), reference, (s, parts, ref) => {
        const head = s.slice(0, s.search(/\r?\n/) + 1);
        parseOrTypedError(head + parts.join(''), ref);
      }),
      { numRuns: RUNS },
    );
  });

  test('mutated real logs', () => {
    fc.assert(
      fc.property(seed, fc.array(edit, { minLength: 1, maxLength: 8 }), reference, (s, edits, ref) => {
        parseOrTypedError(applyEdits(s, edits), ref);
      }),
      { numRuns: RUNS },
    );
  });

  test('truncated and spliced logs', () => {
    fc.assert(
      fc.property(seed, seed, fc.nat(), fc.nat(), reference, (a, b, cutA, cutB, ref) => {
        const left = a.slice(0, cutA % (a.length + 1));
        parseOrTypedError(left, ref);
        parseOrTypedError(left + b.slice(cutB % (b.length + 1)), ref);
      }),
      { numRuns: RUNS },
    );
  });

  test('shuffled and repeated lines', () => {
    fc.assert(
      fc.property(seed, fc.array(fc.nat(), { maxLength: 30 }), (s, picks) => {
        const lines = s.split('\n');
        const out = [lines[0] ?? '', ...picks.map((p) => lines[p % lines.length] ?? '')];
        parseOrTypedError(out.join('\n'));
      }),
      { numRuns: RUNS },
    );
  });
});
