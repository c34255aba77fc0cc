// The files stackviz-export writes, as types: the one contract between the exporter and the viewer.
// The prose version is docs/export-format.md (from shared/spec/export-format.md); this file must agree with it.
// The viewer imports this module as types only (and the small pure helpers at the bottom).

/** Statuses that can appear in `_raw.json`. `unknown`: only file events were seen for the id. */
export type ExportStatus =
  'success' | 'fail' | 'skip' | 'xfail' | 'uxsuccess' | 'exists' | 'inprogress' | 'unknown';

export const EXPORT_STATUSES: readonly ExportStatus[] = [
  'success',
  'fail',
  'skip',
  'xfail',
  'uxsuccess',
  'exists',
  'inprogress',
  'unknown',
];

/** One test entry of `tempest_<source>_<id>_raw.json` (a JSON array of these, in completion order). */
export interface RawEntry {
  /** Cleaned name: trailing `[...]` removed, `method (some.Class)` → `some.Class.method`. */
  name: string;
  status: ExportStatus;
  /** The test's tags, sorted (`worker-N` names the worker). */
  tags: string[];
  /** First and last timestamp, Python `isoformat()` with `+00:00`; null where unknown. */
  timestamps: [string | null, string | null];
  /** end − start in seconds; null when either end is unknown. May be negative when the stream says so. */
  duration: number | null;
  /** Always `{}`: the attachments are in `_details.json`. */
  details: Record<string, never>;

  // ---- Our additions (extra fields are allowed by the contract; the original front-end ignores them) ----
  /** The subunit test id as sent, before cleaning. */
  id: string;
  /** The `[...]` attributes of the id split on `,` (e.g. `["id-5de4…", "smoke"]`); `[]` when none. */
  attributes: string[];
  /** Worker number from the `worker-N` tag; null when the test has none. */
  worker: number | null;
  /** Route code when the stream carried one. */
  route_code?: string;
  /**
   * Key of this test's entry in `_details.json` (every test has one, `{}` when it has no attachment).
   * The first occurrence of a name uses the name itself; a later occurrence of the same name (a retry)
   * uses `<name>#<n>` with n = 2, 3, ... (the first free key), so no occurrence's details are lost.
   * Null only in files of older exports, for a test without attachments.
   */
  details_key: string | null;
  /**
   * Where this test's entry value (the `{...}` after its key) lies in `_details.json`, as byte offsets
   * `[start, end)` of the uncompressed text (with `-z`, TempestRun.details_index maps them into the `.gz`
   * file); null when the test has no attachment (its value is `{}`).
   */
  details_range: ByteRange | null;
}

/** Byte offsets `[start, end)` in the uncompressed text of a file. */
export type ByteRange = [number, number];

/** `_details.json`: details key → attachment name (non-word chars removed) → text. */
export type DetailsFile = Record<string, Record<string, string>>;

/**
 * Flush points of `_details.json.gz` (with `-z`): its one gzip member's deflate stream is made of segments
 * that each end in a full flush, so segments `i..j` inflate on their own as raw deflate (after an empty final
 * block `03 00` is appended). Segment `i` holds the uncompressed bytes `[plain[i], plain[i + 1])` and lies at
 * `[packed[i], packed[i + 1])` in the `.gz` file; the last pair is the end of the last segment.
 */
export interface DetailsIndex {
  plain: number[];
  packed: number[];
}

/**
 * Our addition: `tempest_<source>_<id>_timeline.json.gz`, always gzipped (`-z` or not). The columns of
 * `_raw.json` the viewer's timeline draws and searches, entry i of each column describing entry i of `_raw.json`,
 * so a big run's timeline needs a file of ~3% of `_raw.json`'s size, not `_raw.json` itself. Derived from
 * `_raw.json` only; a reader without it (an older or the original export) reads `_raw.json`.
 */
export interface TimelineIndex {
  /** 1; a reader that does not know the version reads `_raw.json` instead. */
  version: number;
  /** The entries' `name`. */
  name: string[];
  /** The statuses `status` refers to. */
  statuses: ExportStatus[];
  /** One character per entry: the digit of its status's position in `statuses`. */
  status: string;
  /** The entries' `worker`. */
  worker: (number | null)[];
  /** Integer µs since the epoch that `start` and `end` count from (the earliest timestamp; 0 when none). */
  t0_us: number;
  /** The entries' `timestamps` as integer µs since `t0_us`; null where the timestamp is. */
  start: (number | null)[];
  end: (number | null)[];
  /**
   * Each entry's length in bytes in `_raw.json` (its text, gunzipped under `-z`), so that a reader can take one
   * entry alone (a Range request of a plain file). Entry 0 starts at byte 1 (after `[`); entry i + 1 at entry
   * i's start + its length + 1 (the comma). Absent from indexes written before it.
   */
  raw_len?: number[];
}

/** A node of `_tree.json`. Inner nodes have children; leaves carry the test entry plus `name_full`. */
export interface TreeNode {
  name: string;
  children?: TreeNode[];
}
export type TreeLeaf = Omit<RawEntry, 'name'> & { name: string; name_full: string };

/** A failure in `_stats.json`. */
export interface StatsFailure {
  name: string;
  duration: number | null;
  /** Last traceback line, or the last two when the last contains `Details`; null without a traceback. */
  details: string[] | null;
  /** Our addition: the entry's details key, to open its details. */
  details_key?: string | null;
  /**
   * Our addition: the exception line (`Type: message`), then `\n` and its `Details` line when there is one
   * (src/model/failure-line.ts); null without a traceback.
   */
  exception?: string | null;
}
/** Our addition: a test still running when the stream stopped (`inprogress`, no end). */
export interface StatsInProgress {
  name: string;
  details_key: string | null;
}
export interface StatsSkip {
  name: string;
  duration: number | null;
  /** The `reason` attachment, or null. */
  details: string | null;
  details_key?: string | null;
}

/** `_stats.json`, also copied inline into config.json's `tempest[].stats`. */
export interface StatsFile {
  count: number;
  start: string | null;
  end: string | null;
  /** Sum of the tests' durations (seconds); negative durations are not added (see docs). */
  total_duration: number;
  failures: StatsFailure[];
  skips: StatsSkip[];
  // ---- Our additions ----
  /** Count of tests per status. */
  status_counts?: Partial<Record<ExportStatus, number>>;
  /** Tests still running when the stream stopped, in stream order. */
  inprogress?: StatsInProgress[];
  /** Number of `subunit.parser` entries (damaged packets) in the run. */
  parser_errors?: number;
  /** Key in `_details.json` of the run's own output (non-subunit bytes, attachments with no test id); null when none. */
  stream_output_key?: string | null;
  /** Where the run's own output lies in `_details.json` (as `RawEntry.details_range`); null when none. */
  stream_output_range?: ByteRange | null;
  /** Per worker (`worker-N` tag), by worker number: how busy it was. */
  workers?: WorkerUsage[];
  /** Seconds from the run's first test start to its last test end; null when no test has both. */
  makespan?: number | null;
  /** The worker that finished last and what kept it running; null with fewer than two workers. */
  long_pole?: LongPole | null;
}

/** One worker of a run (`StatsFile.workers`). */
export interface WorkerUsage {
  /** The tag, `worker-N`. */
  name: string;
  /** Entries with that tag, timed or not. */
  tests: number;
  /** Seconds covered by at least one of its tests (the union of their intervals). */
  busy: number;
  /** end − start − busy, in seconds. */
  idle: number;
  /** Its first test start and last test end (ISO, as `timestamps`); null when none has one. */
  start: string | null;
  end: string | null;
}

/** `StatsFile.long_pole`. */
export interface LongPole {
  /** The last worker to finish. */
  worker: string;
  /** Seconds the run went on after the second-to-last worker finished. */
  after: number;
  /** Its tests that ended after every other worker had finished, in completion order. */
  tests: LongPoleTest[];
}

export interface LongPoleTest {
  name: string;
  /** Position of the entry in the run's `_raw.json` (the viewer's test index). */
  index: number;
  start: string | null;
  end: string;
}

/** One exported run in config.json's `tempest` list (the seed document's layout). */
export interface TempestRun {
  id: number;
  name: string;
  source: string;
  raw: string;
  details: string;
  tree: string;
  stats: StatsFile;
  /**
   * The dstat log every load lane uses (`dstat_log.csv`). When the log was recorded by pcp-dstat, this is a copy
   * in classic Dstat's CSV layout (the only one the original front-end parses), and `dstat_recorded` names the
   * log as recorded.
   */
  dstat?: string;
  /** Our addition: the pcp-dstat log as recorded (`dstat_pcp.csv`), when `dstat` is its classic copy. */
  dstat_recorded?: string;
  /** Our addition: the run's TimelineIndex (`_timeline.json.gz`), relative to DEST. */
  timeline?: string;
  /** Our addition, with `-z` only: where `details_range` offsets lie in `_details.json.gz`. */
  details_index?: DetailsIndex;
  /** Our addition: a stable key naming this run in URLs (equals the artifacts' `artifact_name`). */
  key?: string;
  /**
   * Our addition, with `--history DB`: the run's history file (a `HistoryFile` of
   * src/contract/history-format.ts, this run the latest of its window), relative to DEST.
   */
  history?: string;
}

export interface Artifact {
  path: string;
  artifact_name: string;
  /** Our additions: `dstat-recorded` (see TempestRun.dstat_recorded), `performance` (devstack's performance.json). */
  artifact_type:
    | 'subunit'
    | 'subunit-details'
    | 'subunit-stats'
    | 'subunit-tree'
    | 'dstat'
    | 'dstat-recorded'
    | 'performance'
    | string;
  content_type: string;
  primary: boolean;
  content_encoding?: 'gzip';
}

export interface Dataset {
  name: string | null;
  url: string | null;
  status: string | null;
  ci_username: string | null;
  pipeline: string | null;
  change_id: string | null;
  revision: string | null;
  change_project: string | null;
  change_subject: string | null;
  artifacts: Artifact[];
  /**
   * Our addition: run metadata beyond the fields above (`--meta KEY=VALUE` with other keys, and the Zuul
   * inventory's tenant, branch, ref, build, buildset, ...), keys sorted; absent when there is none.
   */
  metadata?: Record<string, string>;
}

/** `config.json`: both the `tempest` layout and the `datasets` layout. Never gzipped. */
export interface ConfigFile {
  tempest?: TempestRun[];
  deployer: boolean;
  datasets: Dataset[];
  /** Our addition: the exporter's name and version. */
  generator?: string;
  /** Our addition: devstack's performance.json copied by `--performance` (path relative to DEST). */
  performance?: string;
}

/** The worker number of a tag set (`worker-N`), or null. Shared by writer and viewer. */
export function workerOf(tags: readonly string[]): number | null {
  for (const t of tags) {
    const m = /^worker-(\d+)$/.exec(t);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * Python's order for strings (`sorted(tags)`, sorted names): by code point. JavaScript's default compares UTF-16 units,
 * which puts an astral character (a surrogate pair) before U+E000–U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    return sx === sy ? x - y : sx ? 1 : -1;
  }
  return a.length - b.length;
}

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * ISO 8601 (`2018-09-28T02:46:35.626800+00:00`, `Z`, any offset, 0–9 fraction digits) → UTC ms with the
 * microseconds kept as the fraction. Date.parse would drop digits past the millisecond; this is also faster.
 * NaN for anything else. With 6 digits or fewer the result is exactly msFromMicros of the same instant. Shared by the viewer and the single-file writer (which must take a run's start as the
 * viewer does).
 */
export function parseIsoUtcMs(s: string | null | undefined): number {
  if (typeof s !== 'string' || s.length < 19) return NaN;
  if (s[4] !== '-' || s[7] !== '-' || (s[10] !== 'T' && s[10] !== ' ') || s[13] !== ':' || s[16] !== ':')
    return NaN;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  let i = 19;
  // Whole microseconds (the first 6 digits), then what finer digits add.
  let fracUs = 0;
  if (s[i] === '.') {
    i++;
    let scale = 100_000;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      fracUs += (s.charCodeAt(i) - 48) * scale;
      scale = scale >= 10 ? scale / 10 : scale * 0.1;
      i++;
    }
  }
  let offsetMin = 0;
  if (i < s.length) {
    const sign = s[i];
    if (sign === 'Z' && i === s.length - 1) offsetMin = 0;
    else if ((sign === '+' || sign === '-') && s.length - i === 6 && s[i + 3] === ':') {
      offsetMin = (digits(s, i + 1, 2) * 60 + digits(s, i + 4, 2)) * (sign === '-' ? -1 : 1);
    } else return NaN;
  }
  const base = Date.UTC(y, mo - 1, d, h, mi, sec);
  const ms = base + fracUs / 1000 - offsetMin * 60000;
  return Number.isFinite(ms) ? ms : NaN;
}
