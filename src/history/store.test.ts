// The store, the same suite on SQLite and on a real PostgreSQL: seeded histories give what the rules say,
// re-recording changes nothing, names come back exactly, four recorders at once, migrations, the fleet answers.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededHistory, seedResults, type SeedRun } from '../../bench/history-generate.js';
import { freshDatabase, type TestDatabase } from '../../test/history/pg-server.js';
import type { HistoryFile } from '../contract/history-format.js';
import { migrateStore, openStore } from './open.js';
import { migratePostgres } from './postgres.js';
import { analyseWindow, byCodePoint, FAILED, RunTests, selectWindow, type WindowRun } from './rules.js';
import { FAILED_CODES, SCHEMA_VERSION, STATUS_CODES } from './schema.js';
import { migrateSqlite } from './sqlite.js';
import {
  runIdentity,
  StoreError,
  type HistoryStore,
  type RecordedResult,
  type RunToRecord,
} from './store.js';

interface Engine {
  name: string;
  /** A new empty store at this code's schema (or at `version`), named by what `--db` takes. */
  create(version?: number): Promise<string>;
  /** Marks the store as written by a newer stackviz. */
  makeNewer(db: string): Promise<void>;
  /** Runs one statement (`?` placeholders) on the store, as a fleet's own SQL would. */
  exec(db: string, sql: string, params?: unknown[]): Promise<void>;
  /** Every row of results as stored, in (run, attempt) order. */
  results(db: string): Promise<unknown[][]>;
  cleanup(): Promise<void>;
}

const tmp = mkdtempSync(join(tmpdir(), 'stackviz-store-'));
let files = 0;

const sqlite: Engine = {
  name: 'sqlite',
  create: (version = SCHEMA_VERSION) => {
    const path = join(tmp, `store-${files++}.sqlite`);
    const db = new Database(path);
    migrateSqlite(db, path, version);
    db.close();
    return Promise.resolve(path);
  },
  exec: (path, sql, params = []) => {
    const db = new Database(path);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
    return Promise.resolve();
  },
  makeNewer: (path) => {
    const db = new Database(path);
    db.prepare("INSERT INTO stackviz_schema VALUES (99, 'future', 'now')").run();
    db.close();
    return Promise.resolve();
  },
  results: (path) => {
    const db = new Database(path, { readonly: true });
    try {
      return Promise.resolve(
        asRows(
          db
            .prepare(`SELECT ${RUN_RESULTS} FROM run_results ORDER BY run_seq`)
            .raw(true)
            .all() as unknown[][],
          db
            .prepare(`SELECT ${FAILURES} FROM failures ORDER BY run_seq, attempt`)
            .raw(true)
            .all() as unknown[][],
        ),
      );
    } finally {
      db.close();
    }
  },
  cleanup: () => Promise.resolve(),
};

const RUN_RESULTS = 'run_seq, test_ids, statuses, starts, durations, workers, subunit_ids, tags, attributes';
const FAILURES = 'run_seq, attempt, exception, traceback_tail';

/**
 * Every attempt as stored, one row each in (run, attempt) order: run_seq, attempt, test_id, status, subunit_id,
 * start_us, duration, worker, tags, attributes, exception, traceback_tail (a run's arrays zipped, its failures'
 * text joined).
 */
function asRows(runs: unknown[][], failures: unknown[][]): unknown[][] {
  const text = new Map(failures.map((f) => [`${Number(f[0])}/${Number(f[1])}`, [f[2], f[3]]]));
  const parse = (v: unknown, n: number): unknown[] =>
    v === null ? new Array<null>(n).fill(null) : (JSON.parse(v as string) as unknown[]);
  return runs.flatMap((r) => {
    const seq = Number(r[0]);
    const ids = parse(r[1], 0);
    const columns = r.slice(2).map((v) => parse(v, ids.length));
    for (const c of columns) expect(c.length).toBe(ids.length);
    return ids.map((id, i) => [
      seq,
      i,
      id,
      columns[0]?.[i],
      columns[4]?.[i],
      columns[1]?.[i],
      columns[2]?.[i],
      columns[3]?.[i],
      columns[5]?.[i],
      columns[6]?.[i],
      ...(text.get(`${seq}/${i}`) ?? [null, null]),
    ]);
  });
}

const databases: TestDatabase[] = [];
const postgres: Engine = {
  name: 'postgres',
  create: async (version = SCHEMA_VERSION) => {
    const db = await freshDatabase();
    databases.push(db);
    await migratePostgres(db.url, version);
    return db.url;
  },
  exec: async (url, sql, params = []) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    let n = 0;
    try {
      await c.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
    } finally {
      await c.end();
    }
  },
  makeNewer: async (url) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query("INSERT INTO stackviz_schema VALUES (99, 'future', 'now')");
    await c.end();
  },
  results: async (url) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const rows = async (sql: string): Promise<unknown[][]> =>
        (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
      return asRows(
        await rows(`SELECT ${RUN_RESULTS} FROM run_results ORDER BY run_seq`),
        await rows(`SELECT ${FAILURES} FROM failures ORDER BY run_seq, attempt`),
      );
    } finally {
      await c.end();
    }
  },
  cleanup: async () => {
    for (const d of databases.splice(0)) await d.drop();
  },
};

/** What the rules say, computed from the seeded runs in memory (no store involved). */
function expected(runs: SeedRun[], job: string, window: number): HistoryFile {
  const mine = runs.filter((r) => r.job === job);
  const withStart = mine.map((r) => {
    let start: number | null = null;
    for (const a of r.attempts)
      if (a.startUs !== null && (start === null || a.startUs < start)) start = a.startUs;
    return { run: r, w: { id: idOf(r), startUs: start, seq: r.seq, meta: r.meta } as WindowRun };
  });
  const chosen = selectWindow(
    withStart.map((x) => x.w),
    window,
  );
  const tests = chosen.map((w) => {
    const t = new RunTests();
    const run = withStart.find((x) => x.w === w)?.run as SeedRun;
    for (const a of run.attempts) t.add(a.name, a.status, a.duration);
    return t;
  });
  return analyseWindow(job, window, chosen, tests);
}

const idOf = (r: SeedRun): string => runIdentity(r.job, null, `seed-${r.seq}`);

async function recordAll(store: HistoryStore, runs: SeedRun[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const r of runs) {
    const res = await store.record({
      id: idOf(r),
      job: r.job,
      source: `seed ${r.seq}`,
      meta: r.meta,
      results: seedResults(r),
    });
    out.push(res.recorded);
  }
  return out;
}

const result = (
  name: string,
  status: string,
  startUs: number | null,
  duration: number | null,
): RecordedResult => ({
  name,
  id: name,
  status,
  startUs,
  duration,
  worker: null,
  tags: [],
  attributes: [],
  exception: null,
  tracebackTail: null,
});

const run = (id: string, names: string[]): RunToRecord => ({
  id,
  job: 'j',
  source: id,
  meta: {},
  results: names.map((n, i) => result(n, 'success', 1_000_000 * (id.length + i), 1)),
});

describe.each([sqlite, postgres])('the history store on $name', (engine) => {
  const runs = seededHistory({ seed: 15, runs: 90, tests: 60, jobs: 2 });
  let db = '';
  beforeAll(async () => {
    db = await engine.create();
    const store = await openStore(db, 'write');
    try {
      await recordAll(store, runs);
    } finally {
      await store.close();
    }
  });
  afterAll(() => engine.cleanup());

  it('gives what the rules say for every job and window, test by test', async () => {
    const store = await openStore(db, 'read');
    try {
      expect(await store.jobs()).toEqual(['job-0', 'job-1']);
      for (const job of ['job-0', 'job-1']) {
        for (const w of [1, 2, 5, 30, 100]) {
          const got = await store.history(job, w);
          const want = expected(runs, job, w);
          expect(got.runs).toEqual(want.runs);
          expect(got.tests.length).toBe(want.tests.length);
          for (let i = 0; i < want.tests.length; i++) expect(got.tests[i]).toEqual(want.tests[i]);
        }
      }
      // The stories are there to be found.
      const h = await store.history('job-0', 30);
      expect(h.tests.some((t) => t.flaky)).toBe(true);
      expect(h.runs.length).toBe(30);
    } finally {
      await store.close();
    }
  });

  it('gives what the rules say with each run of a job as the one analysed', async () => {
    const store = await openStore(db, 'read');
    const stories = new Map<string, number>();
    try {
      const all = await store.history('job-1', 1000);
      for (const run of all.runs) {
        const got = await store.history('job-1', 8, run.id);
        const i = all.runs.indexOf(run);
        const ids = new Set(all.runs.slice(0, i + 1).map((r) => r.id));
        const want = expected(
          runs.filter((r) => ids.has(idOf(r))),
          'job-1',
          8,
        );
        expect(got).toEqual(want);
        for (const t of got.tests) {
          for (const f of ['new_failure', 'new_test', 'fixed', 'flaky', 'slower'] as const) {
            if (t[f]) stories.set(f, (stories.get(f) ?? 0) + 1);
          }
        }
      }
      // Every story the rules look for happened, several times.
      for (const f of ['new_failure', 'new_test', 'fixed', 'flaky', 'slower']) {
        expect(stories.get(f) ?? 0).toBeGreaterThan(3);
      }
    } finally {
      await store.close();
    }
  });

  it('keeps untimed and empty runs, listed but with no place in the window', async () => {
    const store = await openStore(db, 'read');
    try {
      const all = await store.runs('job-0');
      expect(all.length).toBe(runs.filter((r) => r.job === 'job-0').length);
      const untimed = all.filter((r) => r.startUs === null);
      expect(untimed.length).toBeGreaterThan(0);
      const h = await store.history('job-0', 1000);
      for (const u of untimed) expect(h.runs.some((r) => r.id === u.id)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('re-recording changes nothing and says so', async () => {
    const store = await openStore(db, 'write');
    try {
      const before = await store.history('job-1', 30);
      expect(new Set(await recordAll(store, runs.slice(0, 10)))).toEqual(new Set([false]));
      expect(await store.history('job-1', 30)).toEqual(before);
      expect((await store.runs('job-1')).length).toBe(runs.filter((r) => r.job === 'job-1').length);
    } finally {
      await store.close();
    }
  });

  it('analyses an earlier run against the window that ends with it', async () => {
    const store = await openStore(db, 'read');
    try {
      const h = await store.history('job-0', 30);
      const mid = h.runs[10];
      if (mid === undefined) throw new Error('window too short');
      const upTo = await store.history('job-0', 5, mid.id);
      expect(upTo.runs.map((r) => r.id)).toEqual(h.runs.slice(6, 11).map((r) => r.id));
    } finally {
      await store.close();
    }
  });

  it('answers the fleet view: jobs with their trend and top flaky tests, and a test page', async () => {
    const store = await openStore(db, 'read');
    try {
      const jobs = await store.jobSummaries();
      expect(jobs.map((j) => j.job)).toEqual(['job-0', 'job-1']);
      for (const j of jobs) {
        const want = expected(runs, j.job, 30);
        expect(j.runs).toBe(runs.filter((r) => r.job === j.job).length);
        expect(j.trend).toEqual(want.runs);
        expect(j.latest).toBe(want.runs[want.runs.length - 1]?.start);
        const flaky = want.tests
          .filter((t) => t.flaky)
          .sort((a, b) => b.flips - a.flips || byCodePoint(a.name, b.name));
        expect(j.top_flaky).toEqual(
          flaky
            .slice(0, 10)
            .map((t) => ({ name: t.name, flips: t.flips, runs: t.runs, failures: t.failures })),
        );
      }
      const want = expected(runs, 'job-0', 30);
      const failing = want.tests.find((t) => t.failures > 0);
      if (failing === undefined) throw new Error('no failing test in the window');
      const page = await store.testPage('job-0', failing.name, 30);
      expect(page?.test).toEqual(failing);
      expect(page?.runs).toEqual(want.runs);
      expect(page?.failures.length).toBeGreaterThanOrEqual(failing.failures);
      expect(page?.failures[0]?.exception).toMatch(/^AssertionError: case \d+ failed in run \d+$/);
      const runsIdx = page?.failures.map((f) => f.run) ?? [];
      expect([...runsIdx].sort((a, b) => b - a)).toEqual(runsIdx);
      expect(await store.testPage('job-0', 'no.such.test', 30)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('stores names exactly: NUL, the escape character, lone surrogates, astral characters', async () => {
    const names = [
      'tab\there',
      'line\nbreak\r\n',
      'back\\slash\\N',
      '\\.',
      'a\0b',
      '\0',
      'x\u0001y',
      '\u00010',
      'lone\ud800',
      '\udc00lone',
      'smile\u{1F600}',
      'plain',
    ];
    const db = await engine.create();
    const store = await openStore(db, 'write');
    try {
      const results = names.map((n, i) => ({
        ...result(n, 'fail', 1_000_000 + i, 1),
        exception: `E: ${n}`,
        id: `${n}[x]`,
        tags: [`t\t${n}`],
      }));
      await store.record({ id: 'nul-run', job: 'j\0b', source: 's\0', meta: { 'k\0': 'v\0' }, results });
      expect(await store.jobs()).toEqual(['j\0b']);
      const h = await store.history('j\0b');
      expect(h.tests.map((t) => t.name)).toEqual([...names].sort(byCodePoint));
      const page = await store.testPage('j\0b', 'a\0b');
      expect(page?.failures[0]?.exception).toBe('E: a\0b');
      const runsOf = await store.runs('j\0b');
      expect(runsOf[0]?.meta).toEqual({ 'k\0': 'v\0' });
      expect(runsOf[0]?.source).toBe('s\0');
      // Again, with the names' ids remembered by this store, then looked up by another: the same tests.
      const again = results.map((r) => ({ ...r, startUs: (r.startUs ?? 0) + 10_000_000 }));
      await store.record({ id: 'nul-run-2', job: 'j\0b', source: 's', meta: {}, results: again });
      const other = await openStore(db, 'write');
      try {
        const later = again.map((r) => ({ ...r, startUs: (r.startUs ?? 0) + 10_000_000 }));
        await other.record({ id: 'nul-run-3', job: 'j\0b', source: 's', meta: {}, results: later });
      } finally {
        await other.close();
      }
      const h3 = await store.history('j\0b');
      expect(h3.tests.map((t) => [t.name, t.runs])).toEqual([...names].sort(byCodePoint).map((n) => [n, 3]));
    } finally {
      await store.close();
    }
  });

  it('stores every column exactly, the same on both engines', async () => {
    const db = await engine.create();
    const store = await openStore(db, 'write');
    try {
      await store.record({
        id: 'columns',
        job: 'j',
        source: 's',
        meta: {},
        results: [
          { ...result('a', 'success', 0, 0), worker: 0, tags: ['worker-0'] },
          {
            ...result('b', 'fail', -86_400_000_000, 1e-9),
            id: 'b[smoke,id-1]',
            worker: 2 ** 31 - 1,
            tags: ['worker-1', 'smoke'],
            attributes: ['smoke', 'id-1'],
            exception: 'E: ünï \u{1F600}',
            tracebackTail: 'line 1\n\tline 2\\',
          },
          { ...result('a', 'uxsuccess', 2 ** 53 - 1, 123456.789012345), worker: -3 },
          { ...result('c', 'bogus', null, null), tags: ['only'] },
        ],
      });
    } finally {
      await store.close();
    }
    const rows = await engine.results(db);
    const ids = rows.map((r) => r[2]);
    expect(ids[0]).toBe(ids[2]);
    expect(new Set(ids).size).toBe(3);
    expect(rows.map((r) => [r[1], ...r.slice(3)])).toEqual([
      [0, 0, null, 0, 0, 0, '["worker-0"]', null, null, null],
      [
        1,
        1,
        'b[smoke,id-1]',
        -86_400_000_000,
        1e-9,
        2 ** 31 - 1,
        '["worker-1","smoke"]',
        '["smoke","id-1"]',
        'E: ünï \u{1F600}',
        'line 1\n\tline 2\\',
      ],
      [2, 4, null, 2 ** 53 - 1, 123456.789012345, -3, null, null, null, null],
      [3, 7, null, null, null, null, '["only"]', null, null, null],
    ]);
  });

  it('records runs of many chunks, and values bigger than a chunk', async () => {
    const db = await engine.create();
    const store = await openStore(db, 'write');
    const big = `E: ${'x'.repeat(300_000)}ü`;
    try {
      const results = Array.from({ length: 5000 }, (_, i) =>
        result(`t${i}`, i % 1000 === 7 ? 'fail' : 'success', 1_000_000 + i, i / 1000),
      );
      (results[7] as RecordedResult).exception = big;
      await store.record({ id: 'big', job: 'j', source: 's', meta: {}, results });
      const h = await store.history('j');
      expect(h.tests.length).toBe(5000);
      expect(h.tests.filter((t) => t.failures === 1).map((t) => t.name)).toEqual([
        't1007',
        't2007',
        't3007',
        't4007',
        't7',
      ]);
      expect((await store.testPage('j', 't7'))?.failures[0]?.exception).toBe(big);
    } finally {
      await store.close();
    }
    const rows = await engine.results(db);
    expect(rows.map((r) => r[1])).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(rows[4999]?.[6]).toBe(4.999);
  });

  it('forgets the names a rolled-back run added', async () => {
    const store = await openStore(await engine.create(), 'write');
    try {
      await store.record(run('first', ['old']));
      // Stopped after its new names were added: they are rolled back with the run.
      let checks = 0;
      await expect(
        store.record(run('stopped', ['old', 'new']), () => (++checks >= 3 ? 'SIGINT' : null)),
      ).rejects.toThrow(/interrupted/);
      await store.record(run('again', ['new', 'old']));
      const h = await store.history('j', 30);
      expect(h.runs.map((r) => r.id)).toEqual(['first', 'again']);
      expect(h.tests.map((t) => [t.name, t.runs])).toEqual([
        ['new', 1],
        ['old', 2],
      ]);
    } finally {
      await store.close();
    }
  });

  it('breaks ties of start by recording order', async () => {
    const store = await openStore(await engine.create(), 'write');
    try {
      for (const [id, start] of [
        ['first', 5],
        ['second', 5],
        ['earlier', 1],
        ['untimed', null],
      ] as const) {
        await store.record({
          id,
          job: 'j',
          source: id,
          meta: {},
          results: [result('t', 'success', start, 1)],
        });
      }
      const h = await store.history('j', 30);
      expect(h.runs.map((r) => r.id)).toEqual(['earlier', 'first', 'second']);
      expect((await store.history('j', 2)).runs.map((r) => r.id)).toEqual(['first', 'second']);
      expect((await store.runs('j')).map((r) => r.id)).toEqual(['first', 'second', 'earlier', 'untimed']);
    } finally {
      await store.close();
    }
  });

  it("migrates version 3's results to a row a run, every value as it was", async () => {
    const db = await engine.create(3);
    const x = (sql: string, params: unknown[] = []): Promise<void> => engine.exec(db, sql, params);
    await x(`INSERT INTO tests (name) VALUES ('a'), ('b\u00010'), ('c')`);
    await x(
      `INSERT INTO runs (id, job, start_us, recorded_at, source, tests, failures, results)
       VALUES ('old', 'j', 5, 'then', 's', 3, 1, 4), ('empty', 'j', NULL, 'then', 's', 0, 0, 0),
       ('next', 'j', 9, 'then', 's', 1, 0, 1)`,
    );
    const rows: unknown[][] = [
      [1, 0, 1, 0, null, 5, 0.1 + 0.2, 0, '["worker-0"]', null, null, null],
      [1, 1, 2, 1, 'b\u00010[id]', -86_400_000_000, 1e-9, 2 ** 31 - 1, '["a","b"]', '["x"]', 'E: ü', 'tb\n'],
      [1, 2, 1, 3, null, 2 ** 53 - 1, 123456.789012345, null, null, null, 'expected', null],
      [1, 3, 3, 6, null, null, null, -3, null, null, null, null],
      [3, 0, 1, 0, null, 9, 2, 1, null, null, null, null],
    ];
    for (const r of rows) {
      await x(
        `INSERT INTO results (run_seq, attempt, test_id, status, subunit_id, start_us, duration, worker, tags,
         attributes, exception, traceback_tail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        r,
      );
    }
    if (engine.name === 'sqlite') await (await openStore(db, 'write')).close();
    else expect(await migrateStore(db)).toMatchObject({ from: 3, to: SCHEMA_VERSION });
    expect(await engine.results(db)).toEqual(rows);
    const store = await openStore(db, 'read');
    try {
      const h = await store.history('j');
      expect(h.runs.map((r) => [r.id, r.tests, r.failures])).toEqual([
        ['old', 3, 2],
        ['next', 1, 0],
      ]);
      expect(h.tests.map((t) => [t.name, t.runs, t.passes, t.failures])).toEqual([
        ['a', 2, 2, 0],
        ['b\u0000', 1, 0, 1],
        ['c', 1, 0, 1],
      ]);
      const page = await store.testPage('j', 'b\u0000');
      expect(page?.failures).toEqual([{ run: 0, status: 'fail', exception: 'E: ü', traceback_tail: 'tb\n' }]);
    } finally {
      await store.close();
    }
  });

  it('migrates forward, and refuses a store newer than it knows', async () => {
    const old = await engine.create(1);
    if (engine.name === 'sqlite') {
      // An embedded store migrates itself.
      const s = await openStore(old, 'write');
      await s.close();
    } else {
      // A shared one only with `stackviz history migrate`.
      await expect(openStore(old, 'write')).rejects.toThrow(
        /schema version 1, this stackviz needs 4: run `stackviz history migrate/,
      );
      expect(await migrateStore(old)).toMatchObject({ from: 1, to: SCHEMA_VERSION });
      expect(await migrateStore(old)).toMatchObject({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    }
    const s = await openStore(old, 'write');
    await s.record({
      id: 'r',
      job: 'j',
      source: 's',
      meta: { a: 'b' },
      results: [result('t', 'success', 1, 1)],
    });
    expect((await s.runs('j'))[0]?.meta).toEqual({ a: 'b' });
    await s.close();
    await engine.makeNewer(old);
    await expect(openStore(old, 'read')).rejects.toThrow(StoreError);
    await expect(openStore(old, 'write')).rejects.toThrow(
      /schema version 99, newer than this stackviz knows \(4\)/,
    );
  });
});

it('indexes the failed statuses by their stored codes', () => {
  expect(FAILED_CODES).toBe(STATUS_CODES.flatMap((s, i) => (FAILED.has(s) ? [i] : [])).join(', '));
});

describe('four recorders at once on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
    await migratePostgres(db.url);
  });
  afterAll(() => db.drop());

  it('lose no run and double none', async () => {
    const runs = seededHistory({ seed: 99, runs: 40, tests: 50, jobs: 1 });
    const order = (k: number): SeedRun[] =>
      runs.map((_, i) => runs[(i * (2 * k + 1)) % runs.length] as SeedRun);
    const stores = await Promise.all([0, 1, 2, 3].map(() => openStore(db.url, 'write')));
    try {
      const recorded = await Promise.all(stores.map((s, k) => recordAll(s, order(k))));
      expect(recorded.flat().filter(Boolean).length).toBe(runs.length);
      const h = await (stores[0] as HistoryStore).history('job-0', 30);
      const want = expected(runs, 'job-0', 30);
      // Recording order differs from the seed's: compare where ties of start cannot reorder runs.
      expect(h.runs.map((r) => r.id).sort()).toEqual(want.runs.map((r) => r.id).sort());
      expect((await (stores[0] as HistoryStore).runs('job-0')).length).toBe(runs.length);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
