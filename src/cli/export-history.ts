// `stackviz-export --history [DB] [--job NAME] [--fail-on new-failures]`: the store opened before the export,
// each run hashed as it is read, recorded and its history written before the commit (src/export/history-file.ts).
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TempestRun } from '../contract/export-format.js';
import type { HistoryFile } from '../contract/history-format.js';
import type { ExportRun } from '../export/export.js';
import { hashingRuns, newFailuresReason, recordHistory, type RunDigest } from '../export/history-file.js';
import type { OutputDir } from '../export/output.js';
import { openStore, storeName } from '../history/open.js';
import { StoreError, type HistoryStore } from '../history/store.js';
import { describeFsError } from './inputs.js';
import { jobName, storedMeta, type DatasetMetadata } from './run-metadata.js';

export { StoreError };

export interface ExportHistoryOptions {
  /** `--history`'s value; true when given without one (then STACKVIZ_DB, else the default file). */
  db: string | true;
  job?: string;
  /**
   * The dataset's metadata (`--env`, `--zuul-inventory`, `--meta`): recorded with each run (the change and
   * revision for the same-change flaky rule, `report_url` for the fleet view's links); its `name` is the job.
   */
  metadata: DatasetMetadata | null;
  warn(message: string): void;
}

/** The recording side of one export. */
export class ExportHistory {
  private readonly digests = new Map<string, RunDigest>();
  private readonly warned = new Set<string>();
  /** Runs recorded now, and those that were already in the store. */
  recorded = 0;
  already = 0;
  /** The history of the export's last run (for `--fail-on new-failures`). */
  latest: HistoryFile | null = null;

  private constructor(
    private readonly store: HistoryStore,
    private readonly o: ExportHistoryOptions,
  ) {}

  /** Opens (an embedded store: creates) the store; a StoreError is one line, before anything is written. */
  static async open(o: ExportHistoryOptions): Promise<ExportHistory> {
    const db = storeName(o.db === true ? undefined : o.db);
    // `--history DEST` when DB's value was left out and DEST followed: say so rather than "not a store".
    if (!/^postgres(ql)?:\/\//i.test(db) && statSync(db, { throwIfNoEntry: false })?.isDirectory() === true)
      throw new StoreError(
        `--history ${db}: is a folder, not a history store (give the store's file, e.g. --history history.sqlite)`,
      );
    if (!/^postgres(ql)?:\/\//i.test(db)) {
      // An embedded store is created with the folders it needs (e.g. beside DEST, which does not exist yet).
      try {
        mkdirSync(dirname(resolve(db)), { recursive: true });
      } catch (e) {
        throw new StoreError(`--history ${db}: cannot create its folder: ${describeFsError(e)}`);
      }
    }
    try {
      return new ExportHistory(await openStore(db, 'write'), o);
    } catch (e) {
      if (e instanceof StoreError || !(e instanceof Error)) throw e;
      throw new StoreError(`--history ${db}: ${e.message}`);
    }
  }

  get label(): string {
    return this.store.label;
  }

  /** The runs, each hashed as the export reads it (a run's identity is made of its bytes). */
  wrap(runs: AsyncIterable<ExportRun>): AsyncIterable<ExportRun> {
    return hashingRuns(runs, this.digests);
  }

  private jobOf(run: TempestRun): string {
    const job = jobName(this.o.job, this.o.metadata, process.env);
    if (job !== null) return job;
    if (!this.warned.has(run.source)) {
      this.warned.add(run.source);
      this.o.warn(`no --job and no CI job name; recording under the input's name '${run.source}'`);
    }
    return run.source;
  }

  /** runExport's hook: record every run, write its history file; returns the files. */
  readonly beforeCommit = async (runs: TempestRun[], out: OutputDir): Promise<string[]> => {
    try {
      return await this.recordAll(runs, out);
    } catch (e) {
      // A store that fails mid-way (connection lost, disk full): one line naming it; the export is not committed.
      if (e instanceof StoreError || !(e instanceof Error) || e.name === 'InterruptedError') throw e;
      if ((e as NodeJS.ErrnoException).syscall !== undefined) throw e;
      throw new StoreError(`${this.store.label}: cannot record the runs: ${e.message}`);
    }
  };

  private async recordAll(runs: TempestRun[], out: OutputDir): Promise<string[]> {
    const meta = storedMeta(this.o.metadata);
    const files: string[] = [];
    // Runs of one job are recorded together, in export order (a repository's runs: oldest first).
    for (const run of runs) {
      const res = await recordHistory(out, [run], {
        store: this.store,
        job: this.jobOf(run),
        meta,
        digests: this.digests,
        onRun: (_r, recorded) => (recorded ? this.recorded++ : this.already++),
      });
      files.push(...res.files);
      this.latest = res.latest;
    }
    return files;
  }

  /** `--fail-on new-failures`: why the gate fails, or "". */
  newFailures(): string {
    return newFailuresReason(this.latest);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
