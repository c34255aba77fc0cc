// What the exporter tells the outputs written beside DEST (--trace, --junit) and the quality gate: each run, each
// test as it is written, the end. One hook in the run writer, so these outputs need nothing else of its insides.
import type { RawEntry, StatsFile } from '../contract/export-format.js';
import type { StatsInput } from '../model/stats.js';
import type { RunNaming } from './run-writer.js';

/** One exported test, as the stats see it, with its worker and (parsed on demand) its whole raw entry. */
export interface ExportedTest extends StatsInput {
  worker: number | null;
  /** Position of the entry in the run's `_raw.json`. */
  index: number;
  /**
   * The entry as written to `_raw.json` (id, tags, attributes, ...). Parsed from its bytes when asked: call it
   * during `test`, not later.
   */
  entry(): RawEntry;
}

export interface ExportListener {
  beginRun(naming: RunNaming): Promise<void> | void;
  /** Each test in completion order; nothing may be kept of `t` but copies (the object is reused). */
  test(t: ExportedTest): void;
  /** After the run's files are written, with its stats. */
  endRun(stats: StatsFile): Promise<void>;
  /** True when the listener's output is full and the exporter should wait on `drained()`. */
  readonly full?: boolean;
  drained?(): Promise<void>;
  /** Every run done, before DEST is committed: finish writing. */
  finish?(): Promise<void>;
  /** Part of DEST's commit: put the finished output in place (a rename). */
  commit?(): Promise<void>;
  /** The export failed: remove whatever was written. */
  abort?(): Promise<void>;
}
