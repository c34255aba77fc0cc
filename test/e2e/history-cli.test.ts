// Black-box tests of `stackviz record`, `history`, `history migrate` and `compare` (the built CLI), on an
// embedded store and on a real PostgreSQL: seeded repositories recorded by four recorders at once give what the
// rules say, re-recording changes nothing, SIGINT leaves the store as it was. Bad stores: history-errors.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { seededHistory, seedStream, type SeedRun } from '../../bench/history-generate.js';
import type { RawEntry } from '../../src/contract/export-format.js';
import type { CompareResult, HistoryFile } from '../../src/contract/history-format.js';
import { recordExportedRun } from '../../src/history/for-export.js';
import { openStore } from '../../src/history/open.js';
import {
  analyseWindow,
  compareRuns,
  RunTests,
  selectWindow,
  type WindowRun,
} from '../../src/history/rules.js';
import { BIN, FAILURE, json, shellStatus, STREAMS, sv, svAsync, tmp } from '../history/cli.js';
import { freshDatabase, type TestDatabase } from '../history/pg-server.js';

const EXPORT_BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const ORIGINAL_EXPORT = join(process.cwd(), 'test', 'fixtures', 'expected', 'stestr-failure');
const EXAMPLE_REPO = join(process.cwd(), 'examples', 'stestr-repo', '.stestr');

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
      expect(r.stdout).toMatch(/schema version 0 → 4/);
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
        for (const t of ['stackviz_schema', 'runs', 'run_meta', 'tests', 'run_results', 'failures']) {
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

  it('takes the job and the change from a Zuul v3 inventory; a bad one changes nothing', async () => {
    const db = await engine.create();
    const inventory = join(process.cwd(), 'test', 'fixtures', 'zuul', 'inventory-unsafe.yaml');
    const r = sv([
      'record',
      '--db',
      db,
      '--zuul-inventory',
      inventory,
      '--meta',
      'revision=8',
      '-f',
      FAILURE,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/of job 'tempest-full-py3'/);
    const store = await openStore(db, 'read');
    try {
      const [run] = await store.runs('tempest-full-py3');
      // --meta over the inventory, field by field.
      expect(run?.meta).toMatchObject({
        change_project: 'openstack/nova',
        change_id: '951234',
        revision: '8',
      });
      expect(run?.meta['name']).toBeUndefined();
    } finally {
      await store.close();
    }
    const before = await engine.snapshot(db);
    const bad = join(tmp(), 'inventory.yaml');
    writeFileSync(bad, 'all:\n  vars: {}\n');
    const b = sv(['record', '--db', db, '--zuul-inventory', bad, '-f', FAILURE]);
    expect(b.status).toBe(1);
    expect(b.stderr).toBe(
      `stackviz record: '${bad}': not a usable Zuul inventory: no all.vars.zuul (not a Zuul inventory.yaml?)\n`,
    );
    expect(await engine.snapshot(db)).toBe(before);
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
        /^stackviz [a-z ]+: .* has schema version 99, newer than this stackviz knows \(4\): use a newer stackviz\n$/,
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
