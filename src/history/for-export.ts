// What `stackviz-export --history DB` calls: record a run the exporter has just read and return its history
// (the report's per-run history file), with the same identity `stackviz record` gives the same stream.
import { createHash } from 'node:crypto';
import type { RawEntry } from '../contract/export-format.js';
import type { HistoryFile } from '../contract/history-format.js';
import { openStore } from './open.js';
import { resultOfEntry } from './read-runs.js';
import { DEFAULT_WINDOW } from './rules.js';
import { runIdentity, type HistoryStore } from './store.js';

export interface ExportedRun {
  job: string;
  /** `--meta` pairs, `--env` metadata (change_project, change_id, revision, report_url, …). */
  meta?: Readonly<Record<string, string>>;
  /** The input, for people (`run.subunit`, `repo run 3`). */
  source: string;
  /** `--run-id`: the run's identity as given. */
  runId?: string;
  /** A repository's run id (part of the identity, as for `stackviz record -r`). */
  repoRunId?: number | null;
  /**
   * SHA-256 (hex) of the run's inflated subunit bytes: with it the run has the identity `stackviz record`
   * gives the same stream, so recording it both ways is one run. Without it the entries are hashed.
   */
  contentSha256?: string;
  /** The run's raw.json entries, in the run's order. */
  entries: readonly RawEntry[];
  /** The traceback of failing entries, by index into `entries`, when the exporter has them. */
  tracebacks?: ReadonlyMap<number, string>;
}

export interface ExportedRunHistory {
  /** False when the store already held the run (then nothing changed). */
  recorded: boolean;
  id: string;
  /** The run's history: the window that ends with it (empty when it has no timestamped test). */
  history: HistoryFile;
}

/** Records the run into `db` (a store name as `--db` takes, or an open store) and returns its history. */
export async function recordExportedRun(
  db: string | HistoryStore,
  run: ExportedRun,
  window = DEFAULT_WINDOW,
): Promise<ExportedRunHistory> {
  const store = typeof db === 'string' ? await openStore(db, 'write') : db;
  try {
    const content =
      run.contentSha256 ?? createHash('sha256').update(JSON.stringify(run.entries)).digest('hex');
    const id = run.runId ?? runIdentity(run.job, run.repoRunId ?? null, content);
    const results = run.entries.map((e, i) => resultOfEntry(e, run.tracebacks?.get(i) ?? null));
    const res = await store.record({ id, job: run.job, source: run.source, meta: run.meta ?? {}, results });
    const history =
      res.run.startUs === null
        ? { job: run.job, window, runs: [], tests: [] }
        : await store.history(run.job, window, id);
    return { recorded: res.recorded, id, history };
  } finally {
    if (typeof db === 'string') await store.close();
  }
}
