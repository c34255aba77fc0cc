// The history store: one interface over two engines (embedded SQLite, PostgreSQL for a fleet). Everything
// above the engines' few differences (connection, migrations, the test-name lookup) is written once, here; how
// a run's attempts are laid out in its row is run-results.ts.
// (Under 600 lines: the interface, its types and the one implementation both engines share belong together.)
import { createHash } from 'node:crypto';
import type { HistoryFile, HistoryRun, JobSummary, TestHistoryPage } from '../contract/history-format.js';
import {
  ANALYSED_COLUMNS,
  eachAttempt,
  encodeRun,
  FAILURE_COLUMNS,
  INSERT_RUN_RESULTS,
  insertFailures,
  type RecordedResult,
} from './run-results.js';
import { decodeText, encodeText } from './text-codec.js';
import { WindowMatrix } from './window-matrix.js';
import {
  byCodePoint,
  DEFAULT_WINDOW,
  isoOfMicros,
  PARSER_TEST_NAME,
  RunCounter,
  RunTests,
  type WindowRun,
} from './rules.js';
import { FAILED_CODES, STATUS_CODES, type Engine } from './schema.js';

/** A problem with the store (unreachable, not a store, too new, read-only): one line, exit 1. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Recording stopped by a signal: the run's transaction was rolled back. */
export class InterruptedError extends Error {
  constructor(readonly signal: string) {
    super(`interrupted (${signal})`);
    this.name = 'InterruptedError';
  }
}

export type { RecordedResult } from './run-results.js';

/** A run to record: its identity, job, metadata and every attempt in the run's order. */
export interface RunToRecord {
  id: string;
  job: string;
  /** Where it came from (file, repository run, export folder), for people. */
  source: string;
  meta: Readonly<Record<string, string>>;
  results: readonly RecordedResult[];
}

/** A run of the store, timed or not. */
export interface StoredRun extends WindowRun {
  job: string;
  tests: number;
  failures: number;
  results: number;
  source: string;
  recordedAt: string;
}

export interface RecordOutcome {
  /** False when the run was already in the store (nothing changed). */
  recorded: boolean;
  run: StoredRun;
}

export interface HistoryStore {
  readonly engine: Engine;
  /** The store as named to people (a PostgreSQL URL without its password). */
  readonly label: string;
  /** Records a run in one transaction; a run already there is left as it is. */
  record(run: RunToRecord, interrupted?: () => string | null): Promise<RecordOutcome>;
  /** Every job, in code-point order. */
  jobs(): Promise<string[]>;
  /** A job's runs in recording order, untimed ones included. */
  runs(job: string): Promise<StoredRun[]>;
  /** The job's latest run against its window (`upTo`: the run to analyse instead of the latest). */
  history(job: string, window?: number, upTo?: string): Promise<HistoryFile>;
  /** A run's tests, for compare; null when the store has no such run. */
  runTests(runId: string): Promise<{ run: StoredRun; tests: RunTests } | null>;
  /** Every job with its trend and top flaky tests (the fleet view). */
  jobSummaries(): Promise<JobSummary[]>;
  /** One job's summary, as in `jobSummaries`. */
  jobSummary(job: string): Promise<JobSummary>;
  /** One test of one job over the job's latest window; null when the window never saw it. */
  testPage(job: string, name: string, window?: number): Promise<TestHistoryPage | null>;
  close(): Promise<void>;
}

/** What an engine provides: `?` placeholders in SQL, numbered by the PostgreSQL engine. */
export interface Db {
  readonly engine: Engine;
  readonly label: string;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Rows as arrays of column values (no object per row: for the big reads). */
  rows(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
  /** Begin a write transaction (SQLite takes its write lock at once). */
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Ids of test names (encoded), inserting those missing in sorted order (no deadlock between recorders). */
  testIds(names: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** A run's identity: SHA-256 of its job, its repository run id and (the hash of) its inflated bytes. */
export function runIdentity(job: string, repoRunId: number | string | null, contentSha256: string): string {
  return createHash('sha256')
    .update(`stackviz-run\n${job.length}:${job}\n${repoRunId ?? ''}\n${contentSha256}`)
    .digest('hex');
}

const statusName = (code: number): string => STATUS_CODES[code] ?? 'unknown';
const dec = (s: string | null): string | null => (s === null ? null : decodeText(s));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

interface RunRow {
  seq: number | string;
  id: string;
  job: string;
  start_us: number | string | null;
  tests: number;
  failures: number;
  results: number;
  source: string;
  recorded_at: string;
}

const RUN_COLUMNS = 'seq, id, job, start_us, tests, failures, results, source, recorded_at';
const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Test names a store remembers the ids of (~10 MB of a process's memory at most). */
const KNOWN_IDS_MAX = 100_000;

/** The store over an engine. */
export class SqlStore implements HistoryStore {
  /**
   * Test names (as recorded, not encoded) and their ids, as committed: a name's id never changes and no name is ever deleted,
   * so a store recording many runs looks each name up once. At most KNOWN_IDS_MAX names: past that it starts
   * over, so a long-lived recorder of many jobs stays flat.
   */
  private readonly knownIds = new Map<string, number>();

  constructor(private readonly db: Db) {}

  get engine(): Engine {
    return this.db.engine;
  }

  get label(): string {
    return this.db.label;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async withMeta(rows: RunRow[]): Promise<StoredRun[]> {
    const meta = new Map<number, Record<string, string>>();
    const seqs = rows.map((r) => Number(r.seq));
    for (let i = 0; i < seqs.length; i += 500) {
      const part = seqs.slice(i, i + 500);
      const m = await this.db.all<{ run_seq: number | string; key: string; value: string }>(
        `SELECT run_seq, key, value FROM run_meta WHERE run_seq IN (${placeholders(part.length)})`,
        part,
      );
      for (const r of m) {
        const seq = Number(r.run_seq);
        let o = meta.get(seq);
        if (o === undefined) meta.set(seq, (o = {}));
        o[decodeText(r.key)] = decodeText(r.value);
      }
    }
    return rows.map((r) => ({
      id: r.id,
      seq: Number(r.seq),
      job: decodeText(r.job),
      startUs: num(r.start_us),
      tests: Number(r.tests),
      failures: Number(r.failures),
      results: Number(r.results),
      source: decodeText(r.source),
      recordedAt: r.recorded_at,
      meta: meta.get(Number(r.seq)) ?? {},
    }));
  }

  async record(run: RunToRecord, interrupted: () => string | null = () => null): Promise<RecordOutcome> {
    // The run's counts, start and names in one pass (this runs on every result recorded: no object per name),
    // each attempt's name as its slot in the counter.
    const counter = new RunCounter();
    const slotOf = new Int32Array(run.results.length);
    let startUs: number | null = null;
    for (let i = 0; i < run.results.length; i++) {
      const r = run.results[i] as RecordedResult;
      slotOf[i] = counter.add(r.name, r.status);
      if (r.startUs !== null && (startUs === null || r.startUs < startUs) && r.name !== PARSER_TEST_NAME)
        startUs = r.startUs;
    }
    const { tests, failures } = counter.counts();
    const db = this.db;
    const check = (): void => {
      const sig = interrupted();
      if (sig !== null) throw new InterruptedError(sig);
    };
    check();
    await db.begin();
    try {
      const inserted = await db.all<{ seq: number | string }>(
        `INSERT INTO runs (id, job, start_us, recorded_at, source, tests, failures, results)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`,
        [
          run.id,
          encodeText(run.job),
          startUs,
          new Date().toISOString(),
          encodeText(run.source),
          tests,
          failures,
          run.results.length,
        ],
      );
      if (inserted.length === 0) {
        await db.rollback();
        const [existing] = await this.withMeta(
          await db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`, [run.id]),
        );
        if (existing === undefined) throw new StoreError(`run ${run.id} vanished while recording`);
        return { recorded: false, run: existing };
      }
      const seq = Number((inserted[0] as { seq: number | string }).seq);
      // The metadata in one statement (a few hundred keys at a time: SQLite's limit on parameters).
      const meta = Object.entries(run.meta);
      for (let i = 0; i < meta.length; i += 500) {
        const part = meta.slice(i, i + 500);
        await db.all(
          `INSERT INTO run_meta (run_seq, key, value) VALUES ${part.map(() => '(?, ?, ?)').join(', ')}`,
          part.flatMap(([key, value]) => [seq, encodeText(key), encodeText(value)]),
        );
      }
      check();
      // Each slot's test id: known to this store object, else looked up, or added, in the transaction.
      const known = this.knownIds;
      const names = [...counter.names()];
      const slotIds = names.map((name) => known.get(name) ?? 0);
      const fresh = new Map<string, number>();
      const unknown = new Map<string, string>(); // encoded name -> name
      names.forEach((name, k) => {
        if (slotIds[k] === 0) unknown.set(encodeText(name), name);
      });
      if (unknown.size > 0) {
        const found = await db.testIds([...unknown.keys()].sort());
        for (const [stored, name] of unknown) fresh.set(name, found.get(stored) as number);
        names.forEach((name, k) => {
          if (slotIds[k] === 0) slotIds[k] = fresh.get(name) as number;
        });
      }
      check();
      await this.insertResults(seq, run.results, (i) => slotIds[slotOf[i] as number] as number);
      // A signal is handled when the event loop polls: let it turn once through its poll phase before deciding
      // to commit (SQLite's calls are synchronous, so a signal may have come in during them). Two immediates:
      // the first may run in the same turn, before any poll; the second runs after the next poll.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      check();
      await db.commit();
      if (known.size + fresh.size > KNOWN_IDS_MAX) known.clear();
      for (const [name, id] of fresh) known.set(name, id);
      const stored: StoredRun = {
        id: run.id,
        seq,
        job: run.job,
        startUs,
        tests,
        failures,
        results: run.results.length,
        source: run.source,
        recordedAt: new Date().toISOString(),
        meta: { ...run.meta },
      };
      return { recorded: true, run: stored };
    } catch (e) {
      await db.rollback().catch(() => undefined);
      throw e;
    }
  }

  /** A run's attempts as one row of run_results, and its failures, at most 500 rows a statement. */
  private async insertResults(
    seq: number,
    results: readonly RecordedResult[],
    idOf: (attempt: number) => number,
  ): Promise<void> {
    if (results.length === 0) return;
    const { row, failures } = encodeRun(seq, results, idOf);
    await this.db.all(INSERT_RUN_RESULTS, row);
    const width = FAILURE_COLUMNS * 500; // SQLite's limit on parameters is 32,766
    for (let i = 0; i < failures.length; i += width) {
      const part = failures.slice(i, i + width);
      await this.db.all(insertFailures(part.length / FAILURE_COLUMNS), part);
    }
  }

  async jobs(): Promise<string[]> {
    const rows = await this.db.all<{ job: string }>('SELECT DISTINCT job FROM runs');
    return rows.map((r) => decodeText(r.job)).sort(byCodePoint);
  }

  async runs(job: string): Promise<StoredRun[]> {
    return this.withMeta(
      await this.db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE job = ? ORDER BY seq`, [
        encodeText(job),
      ]),
    );
  }

  /** The window's runs, oldest first: through the (job, start_us, seq) index, newest first, N of them. */
  private async window(job: string, size: number, upTo?: StoredRun): Promise<StoredRun[]> {
    if (size <= 0) return [];
    const rows =
      upTo === undefined
        ? await this.db.all<RunRow>(
            `SELECT ${RUN_COLUMNS} FROM runs WHERE job = ? AND start_us IS NOT NULL
             ORDER BY start_us DESC, seq DESC LIMIT ?`,
            [encodeText(job), size],
          )
        : upTo.startUs === null
          ? []
          : await this.db.all<RunRow>(
              `SELECT ${RUN_COLUMNS} FROM runs WHERE job = ? AND start_us IS NOT NULL
               AND (start_us < ? OR (start_us = ? AND seq <= ?))
               ORDER BY start_us DESC, seq DESC LIMIT ?`,
              [encodeText(job), upTo.startUs, upTo.startUs, upTo.seq, size],
            );
    return (await this.withMeta(rows)).reverse();
  }

  /**
   * The attempts of runs `seqs` whose test `keep` accepts (all when null), as (run, test id, status code,
   * duration): each run's in attempt order, the runs in any order. A run's row of run_results, by its primary
   * key, and three of its arrays parsed: one row a run for the client, no sort, no row an attempt.
   */
  private async attempts(
    seqs: readonly number[],
    keep: ((testId: number) => boolean) | null,
    each: (seq: number, testId: number, status: number, duration: number | null) => void,
  ): Promise<void> {
    for (let i = 0; i < seqs.length; i += 500) {
      const part = seqs.slice(i, i + 500);
      const rows = await this.db.rows(
        `SELECT run_seq, ${ANALYSED_COLUMNS} FROM run_results WHERE run_seq IN (${placeholders(part.length)})`,
        part,
      );
      for (const [s, ...columns] of rows) {
        const seq = Number(s);
        eachAttempt(columns, keep, (id, status, duration) => each(seq, id, status, duration));
      }
    }
  }

  /** The attempts of the window's runs, folded per run, then the names of the test ids seen. */
  private async windowTests(runs: readonly StoredRun[]): Promise<RunTests[]> {
    const index = new Map(runs.map((r, i) => [r.seq, i]));
    const tests = runs.map(() => new RunTests());
    if (runs.length === 0) return tests;
    const rows: [number, number, number, number | null][] = [];
    await this.attempts(
      runs.map((r) => r.seq),
      null,
      (seq, id, status, duration) => rows.push([seq, id, status, duration]),
    );
    const names = await this.names(new Set(rows.map((r) => r[1])));
    for (const [seq, id, status, duration] of rows) {
      const t = tests[index.get(seq) as number] as RunTests;
      t.add(names.get(id) as string, statusName(status), duration);
    }
    return tests;
  }

  /** The names of test ids, by the tests primary key. */
  private async names(ids: Iterable<number>): Promise<Map<number, string>> {
    const names = new Map<number, string>();
    const all = [...ids];
    for (let i = 0; i < all.length; i += 500) {
      const part = all.slice(i, i + 500);
      const found = await this.db.rows(
        `SELECT id, name FROM tests WHERE id IN (${placeholders(part.length)})`,
        part,
      );
      for (const [id, name] of found) names.set(Number(id), decodeText(name as string));
    }
    return names;
  }

  /** The window analysed: its attempts read as `windowTests` does, folded straight into a WindowMatrix. */
  private async analyse(
    job: string,
    window: number,
    runs: readonly StoredRun[],
    tests: number | 'all' | 'failing' = 'all',
  ): Promise<HistoryFile> {
    const index = new Map(runs.map((r, i) => [r.seq, i]));
    const m = new WindowMatrix(runs.length);
    if (runs.length > 0) {
      const seqs = runs.map((r) => r.seq);
      let keep: ((id: number) => boolean) | null = null;
      if (tests === 'failing') {
        // The tests with a failed attempt in the window, by the failures' primary key.
        const failing = new Set<number>();
        for (let i = 0; i < seqs.length; i += 500) {
          const part = seqs.slice(i, i + 500);
          const rows = await this.db.rows(
            `SELECT DISTINCT test_id FROM failures
             WHERE run_seq IN (${placeholders(part.length)}) AND status IN (${FAILED_CODES})`,
            part,
          );
          for (const [id] of rows) failing.add(Number(id));
        }
        keep = (id) => failing.has(id);
      } else if (tests !== 'all') {
        keep = (id) => id === tests;
      }
      await this.attempts(seqs, keep, (seq, id, status, duration) =>
        m.add(index.get(seq) as number, id, statusName(status), duration),
      );
    }
    return m.analyse(job, window, runs, await this.names(m.testKeys));
  }

  private async runById(runId: string): Promise<StoredRun | null> {
    const [run] = await this.withMeta(
      await this.db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`, [runId]),
    );
    return run ?? null;
  }

  async history(job: string, window = DEFAULT_WINDOW, upTo?: string): Promise<HistoryFile> {
    let last: StoredRun | undefined;
    if (upTo !== undefined) {
      const r = await this.runById(upTo);
      if (r === null) throw new StoreError(`no run ${upTo} in ${this.label}`);
      last = r;
      job = r.job;
    }
    const runs = await this.window(job, window, last);
    return this.analyse(job, window, runs);
  }

  async runTests(runId: string): Promise<{ run: StoredRun; tests: RunTests } | null> {
    let run = await this.runById(runId);
    if (run === null && /^[0-9a-f]{8,63}$/.test(runId)) {
      // The 12 characters `stackviz record` prints name a run when no other run starts with them.
      const found = await this.db.all<{ id: string }>('SELECT id FROM runs WHERE id LIKE ? LIMIT 2', [
        `${runId}%`,
      ]);
      if (found.length === 1) run = await this.runById((found[0] as { id: string }).id);
    }
    if (run === null) return null;
    const [tests] = await this.windowTests([run]);
    return { run, tests: tests as RunTests };
  }

  async jobSummaries(): Promise<JobSummary[]> {
    const out: JobSummary[] = [];
    for (const job of await this.jobs()) out.push(await this.jobSummary(job));
    return out;
  }

  async jobSummary(job: string): Promise<JobSummary> {
    const counted = await this.db.all<{ n: number | string }>(
      'SELECT count(*) AS n FROM runs WHERE job = ?',
      [encodeText(job)],
    );
    const runs = await this.window(job, DEFAULT_WINDOW);
    // Only a test with a failed attempt in the window can be flaky (two flips, a flaky run, a pass and a fail on
    // the same change: each needs one), so the rules run over those tests' rows alone, a few percent of the
    // window's; the runs' counts are those recorded with them, which are the rules' counts of the whole run.
    const h = await this.analyse(job, DEFAULT_WINDOW, runs, 'failing');
    const trend = runs.map((r, i) => ({
      ...(h.runs[i] as HistoryRun),
      tests: r.tests,
      failures: r.failures,
    }));
    return {
      job,
      runs: Number(counted[0]?.n ?? 0),
      latest: trend.length === 0 ? null : (trend[trend.length - 1] as HistoryRun).start,
      trend,
      top_flaky: h.tests
        .filter((t) => t.flaky)
        .sort((a, b) => b.flips - a.flips || byCodePoint(a.name, b.name))
        .slice(0, 10)
        .map((t) => ({ name: t.name, flips: t.flips, runs: t.runs, failures: t.failures })),
    };
  }

  async testPage(job: string, name: string, window = DEFAULT_WINDOW): Promise<TestHistoryPage | null> {
    const [test] = await this.db.all<{ id: number | string }>('SELECT id FROM tests WHERE name = ?', [
      encodeText(name),
    ]);
    if (test === undefined) return null;
    const testId = Number(test.id);
    const runs = await this.window(job, window);
    const h = await this.analyse(job, window, runs, testId);
    const t = h.tests.find((x) => x.name === name);
    if (t === undefined) return null;
    // The runs' counts as recorded (the folded tests here hold this one name only).
    const runInfo = runs.map((r, i): HistoryRun => {
      const base = h.runs[i] as HistoryRun;
      return { ...base, tests: r.tests, failures: r.failures };
    });
    const index = new Map(runs.map((r, i) => [r.seq, i]));
    const failed = await this.db.all<{
      run_seq: number | string;
      status: number;
      exception: string | null;
      traceback_tail: string | null;
    }>(
      `SELECT run_seq, status, exception, traceback_tail FROM failures
       WHERE test_id = ? AND run_seq IN (${placeholders(runs.length)}) AND status IN (${FAILED_CODES})
       ORDER BY run_seq DESC, attempt DESC`,
      [testId, ...runs.map((r) => r.seq)],
    );
    const failures = failed
      .map((f) => ({
        run: index.get(Number(f.run_seq)) as number,
        status: statusName(Number(f.status)),
        exception: dec(f.exception),
        traceback_tail: dec(f.traceback_tail),
      }))
      .sort((a, b) => b.run - a.run);
    return { job, name, runs: runInfo, test: t, failures };
  }
}

/** The start of a run as the contract writes it. */
export const startOf = (r: StoredRun): string | null => (r.startUs === null ? null : isoOfMicros(r.startUs));
