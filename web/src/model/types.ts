// The viewer's in-memory model of a report. Columnar per run, so 100,000 tests cost a few typed arrays, not objects.
import type { ExportStatus, StatsFile, TempestRun } from '../../../src/contract/export-format';

/**
 * What the timeline draws and searches of a run's tests, as columns in `_raw.json` order: index i describes the
 * same test in every column. Read from the export's timeline index when it has one (loader.loadTimelineTests).
 */
export interface TimelineTests {
  readonly count: number;
  /** Cleaned names (RawEntry.name). */
  readonly name: string[];
  /** Index into EXPORT_STATUSES (src/contract/export-format.ts). */
  readonly status: Uint8Array;
  /** Worker number from `worker-N`; -1 when the test has none. */
  readonly worker: Int32Array;
  /** Start and end as UTC milliseconds since the epoch (µs kept as the fraction); NaN when unknown. */
  readonly startMs: Float64Array;
  readonly endMs: Float64Array;
  /** Duration in seconds as exported; NaN when unknown. */
  readonly durationS: Float64Array;
}

/** Every column of a run's `_raw.json` (loader.loadTests). */
export interface TestTable extends TimelineTests {
  /** Subunit ids as sent (RawEntry.id, or the name for files without it). */
  readonly id: string[];
  readonly tags: string[][];
  readonly attributes: string[][];
  /** Key into the details file; null when the test has no attachments (older exports). */
  readonly detailsKey: (string | null)[];
}

/** What a test's panel and page show of it beyond the timeline's columns (loader.loadTestFacts). */
export interface TestFacts {
  readonly id: string;
  readonly tags: readonly string[];
  readonly attributes: readonly string[];
  /** Key into the details file; null when the test has no attachments (older exports). */
  readonly detailsKey: string | null;
  /**
   * `[start, end)` of its details in `_details.json` (start −1: it has none); null when the entry does not say
   * (the original's files: the details file is read whole and looked up by key).
   */
  readonly detailsRange: readonly [number, number] | null;
}

export interface RunFiles {
  raw: string;
  details: string;
  stats: string | null;
  tree: string | null;
  /** The run's timeline index (TempestRun.timeline), or null when the export has none. */
  timeline: string | null;
  dstat: string | null;
}

export interface RunModel {
  /** Stable key for URLs (TempestRun.key or the artifact name). */
  readonly key: string;
  readonly index: number;
  readonly name: string;
  readonly stats: StatsFile;
  readonly files: RunFiles;
  /** Loaded on demand (loader.loadTests). */
  tests: TestTable | null;
  readonly config: TempestRun | null;
}

export interface DatasetMeta {
  name: string | null;
  url: string | null;
  status: string | null;
  ci_username: string | null;
  pipeline: string | null;
  change_id: string | null;
  revision: string | null;
  change_project: string | null;
  change_subject: string | null;
  /** Other metadata (`--meta`, the Zuul inventory's tenant, branch, build, ...), keys sorted. */
  metadata: Record<string, string>;
}

export interface ReportModel {
  readonly runs: RunModel[];
  readonly dataset: DatasetMeta | null;
  /** devstack's performance.json (path from the page), or null when the export has none. */
  readonly performance: string | null;
}

export type { ExportStatus };
