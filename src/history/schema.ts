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
