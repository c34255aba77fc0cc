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

/** Every failed attempt of a test across all runs (PostgreSQL, version 3): a few percent of the results. */
const FAILURES_BY_TEST = `CREATE INDEX results_test_failures ON results (test_id, run_seq)
  WHERE status IN (${FAILED_CODES})`;

/**
 * A run's attempts as one row: JSON arrays in attempt order, one per column (docs/history.md). Text elements are
 * encoded as all the store's text is (text-codec.ts); a column of text is NULL when every element would be.
 */
const RUN_RESULTS = `CREATE TABLE run_results (
  run_seq BIGINT PRIMARY KEY REFERENCES runs (seq) ON DELETE CASCADE,
  test_ids TEXT NOT NULL,
  statuses TEXT NOT NULL,
  starts TEXT NOT NULL,
  durations TEXT NOT NULL,
  workers TEXT NOT NULL,
  subunit_ids TEXT,
  tags TEXT,
  attributes TEXT
)`;

/** The attempts of a failed status, and any other with an exception or traceback: a few percent of them. */
const FAILURES = `CREATE TABLE failures (
  run_seq BIGINT NOT NULL REFERENCES runs (seq) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  test_id BIGINT NOT NULL,
  status SMALLINT NOT NULL,
  exception TEXT,
  traceback_tail TEXT,
  PRIMARY KEY (run_seq, attempt)
)`;

/** A test's failures across all runs: the test page's, and a fleet's own queries. */
const FAILURES_BY_TEST_V4 = 'CREATE INDEX failures_test ON failures (test_id, run_seq)';

/** Version 3's results, one row a run: `agg` makes a JSON array of a column in attempt order. */
const resultsToRuns = (agg: (column: string) => string, textAgg: (column: string) => string): string =>
  `INSERT INTO run_results (run_seq, test_ids, statuses, starts, durations, workers, subunit_ids, tags, attributes)
   SELECT run_seq, ${agg('test_id')}, ${agg('status')}, ${agg('start_us')}, ${agg('duration')}, ${agg('worker')},
     ${textAgg('subunit_id')}, ${textAgg('tags')}, ${textAgg('attributes')}
   FROM results GROUP BY run_seq`;

const FAILURES_FROM_RESULTS = `INSERT INTO failures (run_seq, attempt, test_id, status, exception, traceback_tail)
  SELECT run_seq, attempt, test_id, status, exception, traceback_tail FROM results
  WHERE status IN (${FAILED_CODES}) OR exception IS NOT NULL OR traceback_tail IS NOT NULL`;

/**
 * SQLite's JSON functions print a REAL with 15 digits, which would change durations: the embedded engine
 * registers this aggregate (src/history/sqlite.ts), which prints each value as JavaScript does (exactly).
 */
export const SQLITE_JSON_ARRAY = 'stackviz_json_array';

/** The columns whose arrays PostgreSQL stores as they are: compressing them cost more than storing them. */
const UNCOMPRESSED = [
  'test_ids',
  'statuses',
  'starts',
  'durations',
  'workers',
  'subunit_ids',
  'tags',
  'attributes',
];

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
  {
    version: 4,
    name: "a run's results as one row of arrays; failed attempts by test",
    sql: {
      // A row a result cost each insert an index entry and a tuple a result; a row a run costs one of each,
      // and the failures, a few percent, keep their own rows (docs/history.md has the figures).
      sqlite: [
        RUN_RESULTS,
        FAILURES,
        FAILURES_BY_TEST_V4,
        resultsToRuns(
          (c) => `${SQLITE_JSON_ARRAY}(${c} ORDER BY attempt)`,
          (c) => `CASE WHEN count(${c}) = 0 THEN NULL ELSE ${SQLITE_JSON_ARRAY}(${c} ORDER BY attempt) END`,
        ),
        FAILURES_FROM_RESULTS,
        'DROP TABLE results',
      ],
      postgres: [
        // json_agg prints float8 by its output function: with extra_float_digits > 0, the shortest text that
        // reads back exactly, whatever the server's default.
        'SET LOCAL extra_float_digits = 1',
        RUN_RESULTS,
        ...UNCOMPRESSED.map((c) => `ALTER TABLE run_results ALTER COLUMN ${c} SET STORAGE EXTERNAL`),
        FAILURES,
        FAILURES_BY_TEST_V4,
        resultsToRuns(
          (c) => `json_agg(${c} ORDER BY attempt)::text`,
          (c) => `CASE WHEN count(${c}) = 0 THEN NULL ELSE json_agg(${c} ORDER BY attempt)::text END`,
        ),
        FAILURES_FROM_RESULTS,
        'DROP TABLE results',
      ],
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
