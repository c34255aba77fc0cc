// The store's schema: numbered, forward-only migrations, the same tables on SQLite and PostgreSQL.
// A store records the versions applied in `stackviz_schema`; docs/history.md explains the tables.

export type Engine = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  /** What it does, recorded beside the version. */
  name: string;
  sql: Record<Engine, string[]>;
}

/** `seq` is the recording order; an identity on PostgreSQL, the rowid on SQLite. */
const serial: Record<Engine, string> = {
  sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

const RUN_META = `CREATE TABLE run_meta (
  run_seq BIGINT NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_seq, key)
)`;

/** The failed statuses' codes (fail, uxsuccess, inprogress: STATUS_CODES below), written out for the index. */
export const FAILED_CODES = '1, 4, 6';

/** Every failed attempt of a test across all runs (PostgreSQL): a few percent of the results. */
const FAILURES_BY_TEST = `CREATE INDEX results_test_failures ON results (test_id, run_seq)
  WHERE status IN (${FAILED_CODES})`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, test names and results',
    sql: {
      sqlite: base('sqlite'),
      postgres: base('postgres'),
    },
  },
  {
    version: 2,
    name: 'run metadata; results by test (PostgreSQL)',
    sql: {
      sqlite: [RUN_META],
      // By test, for a fleet's own queries across all runs (the store's answers read whole windows by the
      // primary key). Not on SQLite: each run adds an entry to every test's range of the index, a page each,
      // which in an embedded file cut inserts from ~250,000 to ~20,000 results/s at 300 runs and falling.
      postgres: [RUN_META, 'CREATE INDEX results_test_run ON results (test_id, run_seq)'],
    },
  },
  {
    version: 3,
    name: "a test's failures by test instead of all its results (PostgreSQL)",
    sql: {
      // SQLite keeps no index by test (version 2 says why); it pays to evaluate a partial index's condition on
      // every insert (0.35 µs a result as OR terms, 1.4 µs with IN: a quarter of its insert cost).
      sqlite: [],
      // All results by test cost the server more than the rest of an insert together (3 of 6 µs a result):
      // each run adds an entry in every test's range, a random page each. The store's answers do not need it
      // (they read whole windows by the primary key), and a fleet's own query for a test's failures across
      // all runs has the partial index, a few entries a run.
      postgres: ['DROP INDEX results_test_run', FAILURES_BY_TEST],
    },
  },
];

function base(e: Engine): string[] {
  return [
    `CREATE TABLE runs (
      seq ${serial[e]},
      id TEXT NOT NULL UNIQUE,
      job TEXT NOT NULL,
      start_us BIGINT,
      recorded_at TEXT NOT NULL,
      source TEXT NOT NULL,
      tests INTEGER NOT NULL,
      failures INTEGER NOT NULL,
      results INTEGER NOT NULL
    )`,
    'CREATE INDEX runs_job_start ON runs (job, start_us, seq)',
    `CREATE TABLE tests (
      id ${serial[e]},
      name TEXT NOT NULL UNIQUE
    )`,
    `CREATE TABLE results (
      run_seq BIGINT NOT NULL,
      attempt INTEGER NOT NULL,
      test_id BIGINT NOT NULL,
      status SMALLINT NOT NULL,
      subunit_id TEXT,
      start_us BIGINT,
      duration DOUBLE PRECISION,
      worker INTEGER,
      tags TEXT,
      attributes TEXT,
      exception TEXT,
      traceback_tail TEXT,
      PRIMARY KEY (run_seq, attempt)
    )${e === 'sqlite' ? ' WITHOUT ROWID' : ''}`,
  ];
}

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Statuses as stored (SMALLINT): their index here. The contract's EXPORT_STATUSES in the same order, copied on
 * purpose: a stored code must not move if that list ever does.
 */
export const STATUS_CODES = [
  'success',
  'fail',
  'skip',
  'xfail',
  'uxsuccess',
  'exists',
  'inprogress',
  'unknown',
] as const;
