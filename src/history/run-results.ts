// A run's attempts as the store keeps them: one row of `run_results`, a JSON array a column in attempt order,
// and the failed attempts (with any other that has an exception or traceback) as rows of `failures`. Both
// engines store the same text; docs/history.md explains the layout and why.
import { encodeText } from './text-codec.js';
import { FAILED_CODES, STATUS_CODES } from './schema.js';

/** One attempt of a test as recorded (an entry of raw.json, and a failure's last traceback lines). */
export interface RecordedResult {
  /** Cleaned name, as raw.json's `name`. */
  name: string;
  /** The subunit test id as sent. */
  id: string;
  status: string;
  startUs: number | null;
  duration: number | null;
  worker: number | null;
  tags: readonly string[];
  attributes: readonly string[];
  /** A failure's exception line (src/model/failure-line.ts), with its Details line. */
  exception: string | null;
  /** A failure's last traceback lines. */
  tracebackTail: string | null;
}

export const INSERT_RUN_RESULTS = `INSERT INTO run_results (run_seq, test_ids, statuses, starts, durations, workers,
  subunit_ids, tags, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The columns of a failures row, in `insertFailures`' order. */
export const FAILURE_COLUMNS = 6;

/** An INSERT of `n` failures rows. */
export const insertFailures = (n: number): string =>
  `INSERT INTO failures (run_seq, attempt, test_id, status, exception, traceback_tail) VALUES
   ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`;

/** The columns read to analyse a run: `eachAttempt` takes them in this order. */
export const ANALYSED_COLUMNS = 'test_ids, statuses, durations';

const STATUS_INDEX = new Map<string, number>(STATUS_CODES.map((s, i) => [s, i]));
const UNKNOWN = STATUS_CODES.indexOf('unknown');
const FAILED_STATUS = new Set(FAILED_CODES.split(', ').map(Number));
const enc = (s: string | null): string | null => (s === null ? null : encodeText(s));
const jsonList = (l: readonly string[]): string | null =>
  l.length === 0 ? null : encodeText(JSON.stringify(l));

/** `jsonList`, remembering the lists of one element (nearly all: `worker-N`) for the attempts of one run. */
function jsonLists(): (l: readonly string[]) => string | null {
  const one = new Map<string, string>();
  return (l) => {
    if (l.length !== 1) return jsonList(l);
    const t = l[0] as string;
    let s = one.get(t);
    if (s === undefined) one.set(t, (s = jsonList(l) as string));
    return s;
  };
}

/** A column of optional texts: its JSON array, or null while every element is null. */
class TextColumn {
  private values: (string | null)[] | null = null;

  constructor(private readonly length: number) {}

  set(i: number, v: string | null): void {
    if (v === null) return;
    this.values ??= new Array<string | null>(this.length).fill(null);
    this.values[i] = v;
  }

  json(): string | null {
    return this.values === null ? null : JSON.stringify(this.values);
  }
}

/**
 * Run `seq`'s attempts as the parameters of INSERT_RUN_RESULTS, and its failures rows (FAILURE_COLUMNS values
 * each, one after the other); `idOf(i)` is attempt i's test id.
 */
export function encodeRun(
  seq: number,
  results: readonly RecordedResult[],
  idOf: (attempt: number) => number,
): { row: unknown[]; failures: unknown[] } {
  const n = results.length;
  const ids = new Array<number>(n);
  const statuses = new Array<number>(n);
  const starts = new Array<number | null>(n);
  const durations = new Array<number | null>(n);
  const workers = new Array<number | null>(n);
  const subunitIds = new TextColumn(n);
  const tags = new TextColumn(n);
  const attributes = new TextColumn(n);
  const list = jsonLists();
  const failures: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const r = results[i] as RecordedResult;
    const id = idOf(i);
    const status = STATUS_INDEX.get(r.status) ?? UNKNOWN;
    ids[i] = id;
    statuses[i] = status;
    starts[i] = r.startUs;
    durations[i] = r.duration;
    workers[i] = r.worker;
    if (r.id !== r.name) subunitIds.set(i, encodeText(r.id));
    tags.set(i, list(r.tags));
    attributes.set(i, list(r.attributes));
    if (FAILED_STATUS.has(status) || r.exception !== null || r.tracebackTail !== null)
      failures.push(seq, i, id, status, enc(r.exception), enc(r.tracebackTail));
  }
  const row = [
    seq,
    JSON.stringify(ids),
    JSON.stringify(statuses),
    JSON.stringify(starts),
    JSON.stringify(durations),
    JSON.stringify(workers),
    subunitIds.json(),
    tags.json(),
    attributes.json(),
  ];
  return { row, failures };
}

/**
 * A run's attempts from its ANALYSED_COLUMNS, in attempt order: (test id, status code, duration) of those whose
 * test `keep` accepts (all when null).
 */
export function eachAttempt(
  columns: readonly unknown[],
  keep: ((testId: number) => boolean) | null,
  each: (testId: number, status: number, duration: number | null) => void,
): void {
  const ids = JSON.parse(columns[0] as string) as number[];
  const statuses = JSON.parse(columns[1] as string) as number[];
  const durations = JSON.parse(columns[2] as string) as (number | null)[];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k] as number;
    if (keep === null || keep(id)) each(id, statuses[k] as number, durations[k] ?? null);
  }
}
