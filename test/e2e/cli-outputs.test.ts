// Black-box tests of the built CLI's outputs beside DEST (--trace, --junit), the quality gate (--fail-on) and the
// worker utilisation in the stats: what is written, exit codes, one-line errors, nothing half-written.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigFile, RawEntry, StatsFile } from '../../src/contract/export-format.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');
const FAILURE = join(STREAMS, 'stestr-failure.subunit');
const SUCCESSFUL = join(STREAMS, 'stestr-successful.subunit');
const DSTAT = join(process.cwd(), 'examples', 'dstat.csv');

const tmp = (): string => mkdtempSync(join(tmpdir(), 'stackviz-outputs-'));

function run(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, STACKVIZ_DEBUG: '' },
    timeout: 60_000,
  });
}

function expectOneLineError(r: SpawnSyncReturns<string>, code: number, mention: string): void {
  expect(r.status).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^stackviz-export: /);
  expect(lines[0]).toContain(mention);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const statsOf = (dest: string): StatsFile[] =>
  ((JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile).tempest ?? []).map(
    (r) => r.stats,
  );

describe('--trace and --junit', () => {
  it('write both files, whole, beside an export that is whole', () => {
    const dir = tmp();
    const r = run([
      '-f',
      FAILURE,
      '--dstat',
      DSTAT,
      '--trace',
      join(dir, 't.json'),
      '--junit',
      join(dir, 'j.xml'),
      join(dir, 'out'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['j.xml', 'out', 't.json']);
    expect(JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')).traceEvents.length).toBeGreaterThan(63);
    const xml = readFileSync(join(dir, 'j.xml'), 'utf8');
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites tests="63" failures="1" errors="0" skipped="0"/,
    );
    expect(xml.match(/<testcase /g)).toHaveLength(63);
    expect(xml).toContain('<failure message="IOError: [Errno 2] No such file or directory:');
  });

  it('replace an earlier file at the same path', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'j.xml'), 'old');
    expect(run(['-f', SUCCESSFUL, '--junit', join(dir, 'j.xml'), join(dir, 'out')]).status).toBe(0);
    expect(readFileSync(join(dir, 'j.xml'), 'utf8')).toContain('<testsuites tests="21"');
  });

  for (const option of ['--trace', '--junit']) {
    it(`${option}: an unusable path is one line, exit 1, nothing written`, () => {
      const dir = tmp();
      const cases: [string, string][] = [
        [join(dir, 'missing', 'x'), 'its folder does not exist'],
        [dir, 'it is a folder'],
        [join(dir, 'file', 'x'), 'not a folder'],
      ];
      writeFileSync(join(dir, 'file'), '');
      if (process.getuid?.() !== 0) {
        mkdirSync(join(dir, 'ro'));
        chmodSync(join(dir, 'ro'), 0o555);
        cases.push([join(dir, 'ro', 'x'), 'permission denied']);
      }
      for (const [path, problem] of cases) {
        const r = run(['-f', FAILURE, option, path, join(dir, 'out')]);
        expectOneLineError(r, 1, `${path}: cannot write`);
        expect(r.stderr).toContain(problem);
        expect(existsSync(join(dir, 'out'))).toBe(false);
      }
      expect(readdirSync(dir).sort()).toEqual(process.getuid?.() !== 0 ? ['file', 'ro'] : ['file']);
    });

    it(`${option}: a failed export leaves neither the file nor its temporary`, () => {
      const dir = tmp();
      writeFileSync(join(dir, 'dest'), 'a file, not a folder');
      const r = run(['-f', FAILURE, option, join(dir, 'out.x'), join(dir, 'dest', 'sub')]);
      expect(r.status).toBe(1);
      expect(readdirSync(dir)).toEqual(['dest']);
    });
  }
});

it('an interrupted export removes the temporary trace and JUnit files, and leaves an earlier trace as it was', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 't.json'), 'earlier');
  const child = spawn(
    process.execPath,
    [BIN, '-i', '--trace', join(dir, 't.json'), '--junit', join(dir, 'j.xml'), join(dir, 'out')],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Half a stream, and the input left open: the export is under way, its files beside DEST begun.
  const bytes = readFileSync(FAILURE);
  child.stdin.write(bytes.subarray(0, bytes.length >> 1));
  for (let k = 0; k < 100 && !readdirSync(dir).some((f) => f.startsWith('.j.xml.')); k++)
    await new Promise((r) => setTimeout(r, 50));
  expect(readdirSync(dir).some((f) => f.startsWith('.t.json.'))).toBe(true);
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(sig ?? c)));
  expect(code).toBe('SIGTERM');
  expect(stderr).toBe('stackviz-export: interrupted (SIGTERM); nothing was written\n');
  expect(readdirSync(dir)).toEqual(['t.json']);
  expect(readFileSync(join(dir, 't.json'), 'utf8')).toBe('earlier');
});

describe('--fail-on', () => {
  it('failures: exits 3 after writing the whole export, and says why in one line', () => {
    const dir = tmp();
    const r = run([
      '-q',
      '-f',
      FAILURE,
      '--fail-on',
      'failures',
      '--junit',
      join(dir, 'j.xml'),
      join(dir, 'out'),
    ]);
    expectOneLineError(
      r,
      3,
      '1 failure (1 fail, 0 uxsuccess, 0 inprogress, 0 parser errors); exit 3 (--fail-on failures)',
    );
    expect(statsOf(join(dir, 'out'))[0]?.count).toBe(63);
    expect(existsSync(join(dir, 'j.xml'))).toBe(true);
  });

  it('failures: counts damaged packets, and exits 0 on a clean run (skips are not failures)', () => {
    const dir = tmp();
    const damaged = join(dir, 'damaged.subunit');
    const b = Buffer.from(readFileSync(SUCCESSFUL));
    const at = Math.floor(b.length / 2);
    b[at] = (b[at] as number) ^ 0xff;
    writeFileSync(damaged, b);
    const bad = run(['-q', '-f', damaged, '--fail-on', 'failures', join(dir, 'a')]);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/ [1-9]\d* parser errors?\); exit 3/);
    const good = run(['-q', '-f', SUCCESSFUL, '--fail-on', 'failures', join(dir, 'b')]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stderr).toBe('');
  });

  it('new-failures needs --history; an unknown value is a usage error', () => {
    const dir = tmp();
    expectOneLineError(run(['-f', FAILURE, '--fail-on', 'new-failures', join(dir, 'out')]), 2, '--history');
    expectOneLineError(run(['-f', FAILURE, '--fail-on', 'sometimes', join(dir, 'out')]), 2, 'sometimes');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('worker utilisation in the stats', () => {
  it('matches the timestamps of the entries', () => {
    const dir = tmp();
    expect(run(['-q', '-f', FAILURE, join(dir, 'out')]).status).toBe(0);
    const dest = join(dir, 'out');
    const config = JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;
    const runInfo = config.tempest?.[0];
    const statsPath = join(dest, (runInfo?.raw as string).replace(/_raw\.json$/, '_stats.json'));
    const stats = JSON.parse(readFileSync(statsPath, 'utf8')) as StatsFile;
    expect(stats).toEqual(runInfo?.stats);
    const entries = JSON.parse(readFileSync(join(dest, runInfo?.raw as string), 'utf8')) as RawEntry[];
    const us = (iso: string): number =>
      Date.parse(iso) * 1000 + (Number(/\.(\d{6})/.exec(iso)?.[1] ?? 0) % 1000);
    const workers = new Map<string, RawEntry[]>();
    for (const e of entries)
      if (e.worker !== null)
        workers.set(`worker-${e.worker}`, [...(workers.get(`worker-${e.worker}`) ?? []), e]);
    expect(stats.workers?.map((w) => w.name).sort()).toEqual([...workers.keys()].sort());
    for (const w of stats.workers ?? []) {
      const mine = workers.get(w.name) as RawEntry[];
      expect(w.tests).toBe(mine.length);
      const starts = mine.map((e) => us(e.timestamps[0] as string));
      const ends = mine.map((e) => us(e.timestamps[1] as string));
      expect(us(w.start as string)).toBe(Math.min(...starts));
      expect(us(w.end as string)).toBe(Math.max(...ends));
      // Union of the intervals, sort and merge.
      const iv = mine
        .map((_, i) => [starts[i] as number, ends[i] as number])
        .sort((a, b) => (a[0] as number) - (b[0] as number));
      let busy = 0;
      let [cs, ce] = iv[0] as [number, number];
      for (const [s, e] of iv.slice(1) as [number, number][]) {
        if (s > ce) {
          busy += ce - cs;
          [cs, ce] = [s, e];
        } else ce = Math.max(ce, e);
      }
      busy += ce - cs;
      expect(w.busy).toBeCloseTo(busy / 1e6, 6);
      expect(w.idle).toBeCloseTo((Math.max(...ends) - Math.min(...starts) - busy) / 1e6, 6);
    }
    const allEnds = entries.map((e) => us(e.timestamps[1] as string));
    const allStarts = entries.map((e) => us(e.timestamps[0] as string));
    expect(stats.makespan).toBeCloseTo((Math.max(...allEnds) - Math.min(...allStarts)) / 1e6, 6);
    // The long pole: worker-0's one test (2.2 s) ran 0.96 s after every other worker had finished.
    const byEnd = [...(stats.workers ?? [])].sort((a, b) => us(b.end as string) - us(a.end as string));
    expect(stats.long_pole?.worker).toBe(byEnd[0]?.name);
    expect(stats.long_pole?.after).toBeCloseTo(
      (us(byEnd[0]?.end as string) - us(byEnd[1]?.end as string)) / 1e6,
      6,
    );
    expect(stats.long_pole?.tests.map((t) => entries[t.index]?.name)).toEqual([
      'stestr.tests.test_return_codes.TestReturnCodes.test_combine_results',
    ]);
  });
});
