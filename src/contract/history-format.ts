// The history data the CLI prints and the viewer reads: `stackviz history --json`, the per-run history file an
// export writes with `--history DB`, `stackviz compare --json`, and the JSON answers of `stackviz serve --db`.
// The rules that produce these values are in docs/history.md; the viewer imports this module as types only.

/** A test's outcome in one run, from all its attempts there (docs/history.md, "Outcome"). */
export type Outcome = 'flaky' | 'fail' | 'pass' | 'skip' | 'absent';

/** One run of a history window, oldest first. */
export interface HistoryRun {
  /** The run's identity in the store (hex SHA-256, or the `--run-id` given). */
  id: string;
  /** Earliest test timestamp of the run, ISO 8601 UTC. */
  start: string;
  /** Names whose outcome in this run is not `absent`. */
  tests: number;
  /** Names whose outcome in this run is `fail`. */
  failures: number;
  /** `--meta report_url=...` when the run was recorded with one. */
  report_url?: string;
}

/** One attempt-summarised point of a test's strip: its outcome and duration in one run of the window. */
export interface HistoryPoint {
  /** Index into `HistoryFile.runs`. */
  run: number;
  outcome: Outcome;
  /** Duration in seconds of the run's last `success` attempt, else of its last timed attempt; null if none. */
  duration: number | null;
}

/** One test name of the window and what the rules say about it. */
export interface HistoryTest {
  name: string;
  runs: number;
  passes: number;
  failures: number;
  skips: number;
  flips: number;
  new_failure: boolean;
  new_test: boolean;
  fixed: boolean;
  flaky: boolean;
  slower: boolean;
  /** Outcome in the latest run. */
  outcome: Outcome;
  /** Non-absent outcomes over the window, oldest first. */
  recent: HistoryPoint[];
  /**
   * Our addition, for a `slower` test only: the median (s) of the earlier runs' last `success` durations that
   * the latest one was held against.
   */
  baseline?: number;
}

/** `stackviz history --json`, and the per-run history file of an export made with `--history`. */
export interface HistoryFile {
  job: string;
  window: number;
  /** The window, oldest first; the last one is the run analysed. */
  runs: HistoryRun[];
  /** One entry per test name seen in the window, in code-point order of `name`. */
  tests: HistoryTest[];
}

/** `stackviz compare A B --json`: every list sorted by name. */
export interface CompareResult {
  new_failures: string[];
  fixed: string[];
  still_failing: string[];
  added: string[];
  removed: string[];
  slower: { name: string; before: number; after: number }[];
  /** Our addition: the names of `added` whose outcome in B is `fail` (a new test that fails). */
  added_failing?: string[];
}

// ---- The fleet view's JSON answers (`stackviz serve --db DB`, under /api/) ----

/** `GET /api/jobs`: every job of the store, newest run first. */
export interface JobSummary {
  job: string;
  /** Runs recorded for the job (untimed ones included). */
  runs: number;
  /** Start of the job's latest timed run, ISO 8601 UTC; null when it has none. */
  latest: string | null;
  /** The job's last runs (at most 30), oldest first, for a pass-rate trend: pass rate = 1 − failures / tests. */
  trend: HistoryRun[];
  /** Names flagged `flaky` over the job's latest window, most flips first, at most 10. */
  top_flaky: { name: string; flips: number; runs: number; failures: number }[];
}

/** `GET /api/test?job=J&name=N[&window=W]`: one test of one job across its latest runs, oldest first. */
export interface TestHistoryPage {
  job: string;
  name: string;
  /** The window's runs, as in `HistoryFile.runs` (report links included). */
  runs: HistoryRun[];
  /** What the rules say about the test over that window. */
  test: HistoryTest;
  /** Its failing attempts, newest first: run index, status and the last traceback lines. */
  failures: { run: number; status: string; exception: string | null; traceback_tail: string | null }[];
}
