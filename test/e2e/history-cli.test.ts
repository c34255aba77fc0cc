// Black-box tests of `stackviz record`, `history`, `history migrate` and `compare` (the built CLI), on an
// embedded store and on a real PostgreSQL: seeded repositories recorded by four recorders at once give what the
// rules say, re-recording changes nothing, and every bad input is one line, exit 1, the store as it was.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededHistory, seedStream, type SeedRun } from '../../bench/history-generate.js';
import type { RawEntry } from '../../src/contract/export-format.js';
import type { CompareResult, HistoryFile } from '../../src/contract/history-format.js';
import { recordExportedRun } from '../../src/history/for-export.js';
import {
  analyseWindow,
  compareRuns,
  RunTests,
  selectWindow,
  type WindowRun,
} from '../../src/history/rules.js';
import {
  freePort,
  freshDatabase,
  grantRead,
  passwordCluster,
  type TestDatabase,
} from '../history/pg-server.js';

const BIN = join(process.cwd(), 'bin', 'stackviz.js');
const EXPORT_BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');
const FAILURE = join(STREAMS, 'stestr-failure.subunit');
const ORIGINAL_EXPORT = join(process.cwd(), 'test', 'fixtures', 'expected', 'stestr-failure');
const EXAMPLE_REPO = join(process.cwd(), 'examples', 'stestr-repo', '.stestr');

const tmp = (): string => mkdtempSync(join(tmpdir(), 'stackviz-hcli-'));

function sv(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: Buffer } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, STACKVIZ_DB: '', ZUUL_JOB: '', JOB_NAME: '', ...opts.env },
    timeout: 120_000,
  });
}

function svAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, STACKVIZ_DB: '', ZUUL_JOB: '', JOB_NAME: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The exit status a shell shows: the code, or 128 + n for a death by signal n. */
function shellStatus(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.on('exit', (code, signal) =>
      resolve(code ?? (signal === null ? null : 128 + (constants.signals[signal] ?? 0))),
    ),
  );
}

const json = <T>(r: SpawnSyncReturns<string>): T => {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as T;
};

/** An stestr repository holding the seeded runs (an empty run is an empty file). */
function seedRepo(runs: SeedRun[]): string {
  const dir = tmp();
  mkdirSync(join(dir, '.stestr'));
  writeFileSync(join(dir, '.stestr', 'format'), '1\n');
  runs.forEach((r, i) => writeFileSync(join(dir, '.stestr', String(i)), seedStream(r)));
  return dir;
}

/** What the rules say about the seeded runs (recording order = repository order). */
function expected(runs: SeedRun[], job: string, window: number): HistoryFile {
  const ws = runs.map((r, i): WindowRun => {
    let start: number | null = null;
    for (const a of r.attempts)
      if (a.startUs !== null && (start === null || a.startUs < start)) start = a.startUs;
    return { id: String(i), startUs: start, seq: i, meta: {} };
  });
  const chosen = selectWindow(ws, window);
  const tests = chosen.map((w) => {
    const t = new RunTests();
    for (const a of (runs[Number(w.id)] as SeedRun).attempts) t.add(a.name, a.status, a.duration);
    return t;
  });
  return analyseWindow(job, window, chosen, tests);
}

/** The history without run ids (the CLI's are hashes; the expectation's are indexes). */
const withoutIds = (h: HistoryFile): unknown => ({ ...h, runs: h.runs.map((r) => ({ ...r, id: '' })) });

interface Engine {
  name: string;
  /** A new store at this code's schema, as `--db` takes it. */
  create(): Promise<string>;
  /** Holds a lock a recorder waits for inside its transaction; the function returned lets go. */
  block(db: string): Promise<() => Promise<void>>;
  /** Every row of the store, to prove that a failed command changed nothing. */
  snapshot(db: string): Promise<string>;
  cleanup(): Promise<void>;
}

const databases: TestDatabase[] = [];
const engines: Engine[] = [
  {
    name: 'sqlite',
    create: () => Promise.resolve(join(tmp(), 'history.sqlite')),
    block: async (db) => {
      // The write lock: the recorder's BEGIN IMMEDIATE waits (busy timeout) with its run read.
      const Database = (await import('better-sqlite3')).default;
      const d = new Database(db);
      d.exec('BEGIN IMMEDIATE');
      return () => {
        d.exec('ROLLBACK');
        d.close();
        return Promise.resolve();
      };
    },
    snapshot: (db) => {
      try {
        return Promise.resolve(readFileSync(db).toString('base64'));
      } catch {
        return Promise.resolve('(none)');
      }
    },
    cleanup: () => Promise.resolve(),
  },
  {
    name: 'postgres',
    create: async () => {
      const d = await freshDatabase();
      databases.push(d);
      const r = sv(['history', 'migrate', '--db', d.url]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/schema version 0 → 2/);
      return d.url;
    },
    block: async (db) => {
      // The test names: the recorder waits inside its transaction, its run row inserted.
      const c = new pg.Client({ connectionString: db });
      await c.connect();
      await c.query('BEGIN');
      await c.query('LOCK TABLE tests IN EXCLUSIVE MODE');
      return async () => {
        await c.query('ROLLBACK');
        await c.end();
      };
    },
    snapshot: async (db) => {
      const c = new pg.Client({ connectionString: db });
      await c.connect();
      try {
        const out: string[] = [];
        for (const t of ['stackviz_schema', 'runs', 'run_meta', 'tests', 'results']) {
          const r = await c.query(`SELECT * FROM ${t} ORDER BY 1, 2`);
          out.push(JSON.stringify(r.rows));
        }
        return out.join('\n');
      } finally {
        await c.end();
      }
    },
    cleanup: async () => {
      for (const d of databases.splice(0)) await d.drop();
    },
  },
];

describe.each(engines)('stackviz record / history / compare on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('four recorders at once of a seeded repository give what the rules say; re-recording changes nothing', async () => {
    const runs = seededHistory({ seed: 1515, runs: 45, tests: 40, ties: 0 });
    const repo = seedRepo(runs);
    const db = await engine.create();
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => svAsync(['record', '--db', db, '--job', 'seeded', '-r', repo])),
    );
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const lines = results.flatMap((r) => r.stdout.trim().split('\n'));
    expect(lines.filter((l) => / recorded run /.test(l)).length).toBe(runs.length);
    expect(lines.filter((l) => /is already recorded; nothing changed$/.test(l)).length).toBe(3 * runs.length);
    for (const w of [3, 30]) {
      const h = json<HistoryFile>(sv(['history', '--db', db, '--window', String(w), '--json']));
      expect(withoutIds(h)).toEqual(withoutIds(expected(runs, 'seeded', w)));
    }
    const before = await engine.snapshot(db);
    const again = sv(['record', '--db', db, '--job', 'seeded', '-r', repo]);
    expect(again.status).toBe(0);
    expect(
      again.stdout
        .trim()
        .split('\n')
        .every((l) => l.endsWith('is already recorded; nothing changed')),
    ).toBe(true);
    expect(await engine.snapshot(db)).toBe(before);
    // compare agrees on the last two runs of the window.
    const h = json<HistoryFile>(sv(['history', '--db', db, '--json']));
    const [a, b] = h.runs.slice(-2).map((r) => r.id) as [string, string];
    const got = json<CompareResult>(sv(['compare', a, b, '--db', db, '--json']));
    const idx = expected(runs, 'seeded', 30)
      .runs.slice(-2)
      .map((r) => Number(r.id));
    const fold = (i: number): RunTests => {
      const t = new RunTests();
      for (const x of (runs[i] as SeedRun).attempts) t.add(x.name, x.status, x.duration);
      return t;
    };
    expect(got).toEqual(compareRuns(fold(idx[0] as number), fold(idx[1] as number)));
  });

  it('records a real .stestr repository with empty runs; the text summary lists them', async () => {
    const dir = tmp();
    mkdirSync(join(dir, '.stestr'));
    writeFileSync(join(dir, '.stestr', 'format'), '1\n');
    for (const n of ['0', '1', '2']) copyFileSync(join(EXAMPLE_REPO, n), join(dir, '.stestr', n));
    writeFileSync(join(dir, '.stestr', '3'), '');
    const db = await engine.create();
    const r = sv(['record', '--db', db, '-r', dir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^stackviz record: warning: no --job and no CI job name; recording under the input's name '.+'\n$/,
    );
    expect(r.stdout).toMatch(
      /run 3: recorded run [0-9a-f]{12} of job '.+': 0 tests, 0 failures \(no timestamped test/,
    );
    const h = json<HistoryFile>(sv(['history', '--db', db, '--json']));
    expect(h.runs.map((x) => x.tests)).toEqual([660, 93, 188]);
    expect(h.tests.filter((t) => t.outcome === 'fail').map((t) => t.name)).toEqual([
      'testtools.tests.test_testcase.TestRunTwiceNondeterministic.test_runTwice',
    ]);
    // That failure failed in run 1 too (with another): not new; run 1's other failure is gone.
    expect(h.tests.filter((t) => t.new_failure)).toEqual([]);
    const text = sv(['history', '--db', db]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /1 run with no timestamped test \(recorded, no place in the window\): [0-9a-f]{12}/,
    );
  });

  it('the same stream plain or gzipped is one run; the same bytes in two jobs are two', async () => {
    const dir = tmp();
    const gz = join(dir, 'failure.subunit.gz');
    writeFileSync(gz, gzipSync(readFileSync(FAILURE)));
    const db = await engine.create();
    expect(sv(['record', '--db', db, '--job', 'a', '-f', FAILURE]).stdout).toMatch(/recorded run/);
    const twice = sv(['record', '--db', db, '--job', 'a', '-f', gz]);
    expect(twice.stdout).toMatch(
      /^failure\.subunit\.gz: run [0-9a-f]{12} of job 'a' is already recorded; nothing changed\n$/,
    );
    expect(sv(['record', '--db', db, '--job', 'b', '-f', gz]).stdout).toMatch(/recorded run/);
    const several = sv(['history', '--db', db]);
    expect(several.status).toBe(2);
    expect(several.stderr).toMatch(
      /^stackviz history: .* holds 2 jobs; choose one with --job: a, b \(see stackviz history --help\)\n$/,
    );
    const h = json<HistoryFile>(sv(['history', '--db', db, '--job', 'b', '--json']));
    expect(h.runs.length).toBe(1);
  });

  it('takes the job from CI metadata, and run metadata from --meta and --env', async () => {
    const db = await engine.create();
    const r = sv(['record', '--db', db, '-e', '--meta', 'report_url=https://logs/x', '-f', FAILURE], {
      env: {
        ZUUL_JOB: 'tempest-full',
        ZUUL_CHANGE: '12345',
        ZUUL_PATCHSET: '3',
        ZUUL_PROJECT: 'openstack/nova',
      },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/of job 'tempest-full'/);
    const h = json<HistoryFile>(sv(['history', '--db', db, '--json']));
    expect(h.job).toBe('tempest-full');
    expect(h.runs[0]?.report_url).toBe('https://logs/x');
  });

  it("imports export folders (the original exporter's and ours) as the runs their streams are", async () => {
    const db = await engine.create();
    const dest = join(tmp(), 'report');
    const ex = spawnSync(process.execPath, [EXPORT_BIN, '-f', FAILURE, dest], { encoding: 'utf8' });
    expect(ex.status).toBe(0);
    const r = sv(['record', '--db', db, '--job', 'j', '-f', ORIGINAL_EXPORT, '-f', dest]);
    expect(r.stderr).toBe('');
    expect(r.stdout.match(/recorded run/g)?.length).toBe(2);
    const empty: CompareResult = {
      new_failures: [],
      fixed: [],
      still_failing: [],
      added: [],
      removed: [],
      slower: [],
      added_failing: [],
    };
    const same = json<CompareResult>(sv(['compare', ORIGINAL_EXPORT, FAILURE, '--json']));
    expect(same).toEqual({
      ...empty,
      still_failing: ['stestr.tests.test_subunit_trace.TestSubunitTrace.test_trace_with_all_skips'],
    });
    expect(json<CompareResult>(sv(['compare', dest, ORIGINAL_EXPORT, '--json']))).toEqual(same);
    // The exporter's call: the run it just read, with the identity `stackviz record` gives its stream.
    const entries = JSON.parse(
      readFileSync(join(ORIGINAL_EXPORT, 'stestr-failure.subunit-0-raw.json'), 'utf8'),
    ) as RawEntry[];
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(readFileSync(FAILURE)).digest('hex');
    const first = await recordExportedRun(db, { job: 'k', source: 'export', entries, contentSha256: sha });
    expect(first.recorded).toBe(true);
    expect(first.history.runs.length).toBe(1);
    expect(first.history.tests.length).toBe(63);
    const rec = sv(['record', '--db', db, '--job', 'k', '-f', FAILURE]);
    expect(rec.stdout).toMatch(/is already recorded; nothing changed/);
  });

  it('compare names stream files, export folders and run ids alike, in text too', async () => {
    const runs = seededHistory({ seed: 3, runs: 2, tests: 30, untimed: 0, empty: 0 });
    const dir = tmp();
    const files = runs.map((r, i) => {
      const f = join(dir, `run${i}.subunit`);
      writeFileSync(f, seedStream(r));
      return f;
    });
    const fold = (r: SeedRun): RunTests => {
      const t = new RunTests();
      for (const x of r.attempts) t.add(x.name, x.status, x.duration);
      return t;
    };
    const want = compareRuns(fold(runs[0] as SeedRun), fold(runs[1] as SeedRun));
    expect(json<CompareResult>(sv(['compare', files[0] as string, files[1] as string, '--json']))).toEqual(
      want,
    );
    const text = sv(['compare', files[0] as string, files[1] as string]);
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe(
      `${want.new_failures.length} new failures, ${want.fixed.length} fixed, ${want.still_failing.length} still failing, ` +
        `${want.added.length} added (${want.added_failing?.length ?? 0} failing), ${want.removed.length} removed, ` +
        `${want.slower.length} slower`,
    );
    const db = await engine.create();
    const out = sv(['record', '--db', db, '--job', 'c', '-f', files[0] as string, '-f', files[1] as string]);
    const ids = [...out.stdout.matchAll(/recorded run ([0-9a-f]{12})/g)].map((m) => m[1] as string);
    expect(ids.length).toBe(2);
    const h = json<HistoryFile>(sv(['history', '--db', db, '--json']));
    const full = (short: string): string => h.runs.find((r) => r.id.startsWith(short))?.id ?? short;
    expect(
      json<CompareResult>(sv(['compare', full(ids[0] as string), files[1] as string, '--db', db, '--json'])),
    ).toEqual(want);
    // The short id `record` printed names the run too.
    expect(
      json<CompareResult>(sv(['compare', ids[0] as string, ids[1] as string, '--db', db, '--json'])),
    ).toEqual(want);
    const missing = sv(['compare', 'deadbeef', files[1] as string, '--db', db]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /^stackviz compare: 'deadbeef' is neither a file or folder nor a run id of .*\n$/,
    );
  });

  it('refuses a store newer than it knows, in one line, changing nothing', async () => {
    const db = await engine.create();
    expect(sv(['record', '--db', db, '--job', 'j', '-f', FAILURE]).status).toBe(0);
    if (engine.name === 'sqlite') {
      const Database = (await import('better-sqlite3')).default;
      const d = new Database(db);
      d.prepare("INSERT INTO stackviz_schema VALUES (99, 'future', 'now')").run();
      d.close();
    } else {
      const c = new pg.Client({ connectionString: db });
      await c.connect();
      await c.query("INSERT INTO stackviz_schema VALUES (99, 'future', 'now')");
      await c.end();
    }
    const before = await engine.snapshot(db);
    for (const args of [
      ['record', '--db', db, '--job', 'j', '-f', join(STREAMS, 'tempest.subunit')],
      ['history', '--db', db],
      ['history', 'migrate', '--db', db],
    ]) {
      const r = sv(args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^stackviz [a-z ]+: .* has schema version 99, newer than this stackviz knows \(2\): use a newer stackviz\n$/,
      );
    }
    expect(await engine.snapshot(db)).toBe(before);
  });

  it('SIGINT while recording: exit 130, the store exactly as it was', async () => {
    const db = await engine.create();
    expect(sv(['record', '--db', db, '--job', 'j', '-f', FAILURE]).status).toBe(0);
    const before = await engine.snapshot(db);
    // While the input is still being read: nothing was written yet.
    {
      const child = spawn(process.execPath, [BIN, 'record', '--db', db, '--job', 'j', '-i'], {
        env: { ...process.env, STACKVIZ_DB: '' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.write(readFileSync(join(STREAMS, 'tempest.subunit')).subarray(0, 5000));
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      expect(await shellStatus(child)).toBe(130);
      expect(stderr).toBe('stackviz record: interrupted (SIGINT); the store is as it was\n');
      expect(await engine.snapshot(db)).toBe(before);
    }
    // Inside the run's transaction: the test holds a lock the recorder waits for, and lets go after the signal.
    const release = await engine.block(db);
    const child = spawn(
      process.execPath,
      [BIN, 'record', '--db', db, '--job', 'j', '-f', join(STREAMS, 'tempest.subunit')],
      {
        env: { ...process.env, STACKVIZ_DB: '' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    await release();
    expect(await shellStatus(child)).toBe(130);
    expect(stderr).toBe('stackviz record: interrupted (SIGINT); the run being recorded was rolled back\n');
    expect(await engine.snapshot(db)).toBe(before);
  });
});

describe('bad stores: one line, exit 1, nothing changed', () => {
  it('a file that is not a store, or an SQLite file of something else', () => {
    const dir = tmp();
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'just some text, not a database at all\n');
    for (const args of [
      ['record', '--db', text, '--job', 'j', '-f', FAILURE],
      ['history', '--db', text],
    ]) {
      const r = sv(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `stackviz ${args[0] as string}: '${text}' is not a stackviz store (not an SQLite database)\n`,
      );
    }
    expect(readFileSync(text, 'utf8')).toBe('just some text, not a database at all\n');
    const other = join(dir, 'other.sqlite');
    const mk = spawnSync('sqlite3', [other, 'CREATE TABLE x (a)'], { encoding: 'utf8' });
    if (mk.status !== 0) {
      // No sqlite3 shell: make it with the driver.
      writeFileSync(other, '');
    }
    const r = sv(['history', '--db', other]);
    expect(r.status).toBe(mk.status === 0 ? 1 : 2);
    if (mk.status === 0) {
      expect(r.stderr).toBe(
        `stackviz history: '${other}' is not a stackviz store (an SQLite database without its tables)\n`,
      );
    }
  });

  it('a missing store for history, and no store left behind by a bad input', () => {
    const dir = tmp();
    const db = join(dir, 'h.sqlite');
    const r = sv(['history', '--db', db]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`stackviz history: no store at '${db}' (stackviz record creates one)\n`);
    const bad = sv(['record', '--db', db, '-f', join(dir, 'missing.subunit')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^stackviz record: cannot read '.*missing\.subunit': no such file\n$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('usage mistakes exit 2', () => {
    for (const [args, message] of [
      [['record'], 'no input: give at least one of -f FILE, -r DIR, -i'],
      [['record', '-f', FAILURE, '--meta', 'novalue'], "--meta takes KEY=VALUE (got 'novalue')"],
      [['history', '--window', '0'], '--window takes a whole number of runs, 1 or more'],
    ] as const) {
      const r = sv([...args], { cwd: tmp() });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`stackviz ${args[0]}: ${message} (see stackviz ${args[0]} --help)\n`);
    }
    expect(sv(['record', '--bogus']).status).toBe(2);
  });

  it('a read-only embedded store', () => {
    const dir = tmp();
    const db = join(dir, 'h.sqlite');
    expect(sv(['record', '--db', db, '--job', 'j', '-f', FAILURE]).status).toBe(0);
    const before = readFileSync(db);
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    // root writes anyway: run the CLI as an unprivileged user then (nobody may read what root left here).
    const root = process.getuid?.() === 0;
    if (root) for (let d = dir; d !== '/' && d !== tmpdir(); d = join(d, '..')) chmodSync(d, 0o755);
    if (root) chmodSync(tmpdir(), 0o755);
    const args = ['record', '--db', db, '--job', 'j', '-f', join(STREAMS, 'tempest.subunit')];
    const r = root
      ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], {
          encoding: 'utf8',
          env: { ...process.env, STACKVIZ_DB: '' },
        })
      : sv(args);
    expect(r.stderr).toBe(`stackviz record: '${db}' is read-only: cannot write to the store\n`);
    expect(r.status).toBe(1);
    expect(readFileSync(db).equals(before)).toBe(true);
    const h = root
      ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'history', '--db', db, '--json'], {
          encoding: 'utf8',
        })
      : sv(['history', '--db', db, '--json']);
    expect(h.status).toBe(0);
    chmodSync(dir, 0o755);
  });

  it('an unreachable server', async () => {
    const port = await freePort();
    const url = `postgres://someone:secret@127.0.0.1:${port}/history`;
    for (const args of [
      ['record', '--db', url, '--job', 'j', '-f', FAILURE],
      ['history', '--db', url],
      ['history', 'migrate', '--db', url],
    ]) {
      const r = sv(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `stackviz ${args[0] === 'history' && args[1] === 'migrate' ? 'history migrate' : (args[0] as string)}: cannot connect to postgres://someone:***@127.0.0.1:${port}/history: connection refused (is the server running?)\n`,
      );
    }
  });

  describe('PostgreSQL stores', () => {
    let d: TestDatabase;
    beforeAll(async () => {
      d = await freshDatabase();
    });
    afterAll(() => d.drop());

    it('a database without the schema asks for migrate; a read-only role cannot record', async () => {
      const r = sv(['record', '--db', d.url, '--job', 'j', '-f', FAILURE]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^stackviz record: postgres:\/\/.*:\*\*\*@.* has no stackviz schema yet: run `stackviz history migrate --db .*`\n$/,
      );
      expect(sv(['history', 'migrate', '--db', d.url]).status).toBe(0);
      expect(sv(['record', '--db', d.url, '--job', 'j', '-f', FAILURE]).status).toBe(0);
      await grantRead(d);
      const ro = sv(['record', '--db', d.readOnlyUrl, '--job', 'j', '-f', join(STREAMS, 'tempest.subunit')]);
      expect(ro.status).toBe(1);
      expect(ro.stderr).toMatch(/^stackviz record: postgres:\/\/.*: permission denied for table runs\n$/);
      expect(sv(['history', '--db', d.readOnlyUrl, '--json']).status).toBe(0);
    });
  });

  it('a wrong password, and none, on a server that asks for one', async () => {
    const cluster = await passwordCluster();
    try {
      const wrong = cluster.url.replace('right-password', 'wrong-password');
      const r = sv(['history', 'migrate', '--db', wrong]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `stackviz history migrate: postgres://owner:***@127.0.0.1:${cluster.port}/postgres: password authentication failed for user "owner"\n`,
      );
      const none = sv(['history', '--db', `postgres://owner@127.0.0.1:${cluster.port}/postgres`], {
        env: { PGPASSWORD: '' },
      });
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(
        /^stackviz history: postgres:\/\/owner@127\.0\.0\.1:\d+\/postgres: (the server asks for a password and none was given|password authentication failed .*)\n$/,
      );
      // The right one works.
      expect(sv(['history', 'migrate', '--db', cluster.url]).status).toBe(0);
      expect(sv(['record', '--db', cluster.url, '--job', 'j', '-f', FAILURE]).status).toBe(0);
    } finally {
      cluster.stop();
    }
  });
});
