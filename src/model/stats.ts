// The run summary (`_stats.json`), accumulated one test at a time so nothing but failures and skips is kept.
import type {
  ExportStatus,
  StatsFailure,
  StatsFile,
  StatsInProgress,
  StatsSkip,
} from '../contract/export-format.js';
import { exceptionLine } from './failure-line.js';
import { isoFromMicros } from './time.js';
import { WorkerAccumulator } from './workers.js';

/** What the accumulator needs of one exported test. */
export interface StatsInput {
  name: string;
  status: ExportStatus;
  startUs: number | null;
  endUs: number | null;
  duration: number | null;
  /** Decoded `traceback` attachment, when the test has one. */
  traceback: string | null;
  /** Decoded `reason` attachment, when the test has one. */
  reason: string | null;
  detailsKey: string | null;
  /** True for the `subunit.parser` entries the decoder makes for damaged packets. */
  parserError: boolean;
  /** Worker number from the `worker-N` tag (absent or null: none). */
  worker?: number | null;
}

// Python's str.strip()/splitlines() character sets, which are wider than JS's trim() and \n.
const PY_SPACE =
  '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');
// eslint-disable-next-line no-control-regex -- Python's splitlines() really does break on \x1c-\x1e
const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/**
 * The failure summary the original meant to compute: the traceback's last line, or its last two
 * lines when the last contains `Details`. Null when there is no traceback (or only whitespace);
 * a one-line traceback gives that line (the original crashed on it).
 */
export function tracebackSummary(traceback: string | null): string[] | null {
  if (traceback === null) return null;
  const stripped = traceback.replace(PY_STRIP, '');
  if (stripped === '') return null;
  const lines = stripped.split(PY_LINE_BREAK);
  const last = lines[lines.length - 1] as string;
  if (lines.length >= 2 && last.includes('Details')) return [lines[lines.length - 2] as string, last];
  return [last];
}

/** Where the failures and skips go instead of memory (the exporter spills them to a file). */
export interface StatsListSink {
  failure(f: StatsFailure): void;
  skip(s: StatsSkip): void;
}

export class StatsAccumulator {
  private count = 0;
  private failed = 0;
  private startUs: number | null = null;
  private endUs: number | null = null;
  private total = 0;
  private readonly failures: StatsFailure[] = [];
  private readonly skips: StatsSkip[] = [];
  private readonly inprogress: StatsInProgress[] = [];
  private readonly statusCounts = new Map<ExportStatus, number>();
  private parserErrors = 0;
  private readonly workers = new WorkerAccumulator();
  /** With a sink, `result()` gives empty lists: the caller has them. */
  private readonly sink: StatsListSink | null;

  constructor(sink: StatsListSink | null = null) {
    this.sink = sink;
  }

  add(t: StatsInput): void {
    this.workers.add(
      { name: t.name, worker: t.worker ?? null, startUs: t.startUs, endUs: t.endUs },
      this.count,
    );
    this.count++;
    if (t.startUs !== null && (this.startUs === null || t.startUs < this.startUs)) this.startUs = t.startUs;
    if (t.endUs !== null && (this.endUs === null || t.endUs > this.endUs)) this.endUs = t.endUs;
    // A negative duration (clock skew in the stream) is kept on the entry but not added: a total made
    // smaller by a broken clock would be nonsense. Summing in stream order matches Python's float sum.
    if (t.duration !== null && t.duration > 0) this.total += t.duration;
    this.statusCounts.set(t.status, (this.statusCounts.get(t.status) ?? 0) + 1);
    if (t.parserError) this.parserErrors++;
    if (t.status === 'fail') {
      this.failed++;
      const f: StatsFailure = {
        name: t.name,
        duration: t.duration,
        details: tracebackSummary(t.traceback),
        details_key: t.detailsKey,
        exception: exceptionLine(t.traceback),
      };
      if (this.sink === null) this.failures.push(f);
      else this.sink.failure(f);
    } else if (t.status === 'inprogress') {
      this.inprogress.push({ name: t.name, details_key: t.detailsKey });
    } else if (t.status === 'skip') {
      const s: StatsSkip = {
        name: t.name,
        duration: t.duration,
        details: t.reason,
        details_key: t.detailsKey,
      };
      if (this.sink === null) this.skips.push(s);
      else this.sink.skip(s);
    }
  }

  get testCount(): number {
    return this.count;
  }

  /** Entries that stand for damaged packets (`subunit.parser`), not tests of the suite. */
  get parserErrorCount(): number {
    return this.parserErrors;
  }

  get failureCount(): number {
    return this.failed;
  }

  result(streamOutputKey: string | null): StatsFile {
    const counts: Partial<Record<ExportStatus, number>> = {};
    for (const [status, n] of this.statusCounts) counts[status] = n;
    return {
      count: this.count,
      start: this.startUs === null ? null : isoFromMicros(this.startUs),
      end: this.endUs === null ? null : isoFromMicros(this.endUs),
      total_duration: this.total,
      failures: this.failures,
      skips: this.skips,
      status_counts: counts,
      inprogress: this.inprogress,
      parser_errors: this.parserErrors,
      stream_output_key: streamOutputKey,
      workers: this.workers.workersResult(),
      makespan: this.workers.makespan(),
      long_pole: this.workers.longPole(),
    };
  }
}
