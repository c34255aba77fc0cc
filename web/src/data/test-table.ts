// raw.json entries → the columnar TestTable: one pass, typed arrays, no object per test kept.
import {
  EXPORT_STATUSES,
  parseIsoUtcMs,
  workerOf,
  type ExportStatus,
  type RawEntry,
} from '../../../src/contract/export-format';
import type { TestTable } from '../model/types';

/** Thrown for data that is present but not what the contract describes; the message is shown on the page. */
export class DataFormatError extends Error {
  override name = 'DataFormatError';
}

const STATUS_CODE = new Map<string, number>(EXPORT_STATUSES.map((s, i) => [s, i]));
export const UNKNOWN_STATUS_CODE = EXPORT_STATUSES.indexOf('unknown');

// Shared with the single-file writer (which reads a dstat log against the run's start as the viewer would).
export { parseIsoUtcMs };

export function statusCode(status: string): number {
  return STATUS_CODE.get(status) ?? UNKNOWN_STATUS_CODE;
}

/** Integer µs since the epoch → UTC ms, the microseconds kept as the fraction (as parseIsoUtcMs gives them). */
export function msFromMicros(us: number): number {
  const sec = Math.floor(us / 1e6);
  return sec * 1000 + (us - sec * 1e6) / 1000;
}

/**
 * A parsed JSON object read through a contract type's field names: each value is still `unknown` (checked as it
 * is read), but a name the contract does not have (a field renamed there) fails to compile.
 */
export type Fields<T> = { readonly [K in keyof T]?: unknown };

/** True for a JSON object (not null, not an array), to read as `Fields<T>`. */
export function hasFields<T>(v: unknown): v is Fields<T> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** `name[id-…,smoke]` → the bracket's parts; the original's files have no `attributes` field. */
function attributesFromId(id: string): string[] {
  const m = /\[([^\]]*)\]$/.exec(id);
  return m?.[1] ? m[1].split(',').filter((a) => a !== '') : [];
}

/** Builds the table from a parsed `_raw.json` (see parseRawFile). */
export function buildTestTable(doc: unknown): TestTable {
  return parseRawFile(doc).table;
}

/** A parsed `_raw.json`: the test table, and where each test's details lie in `_details.json`. */
export interface RawFile {
  table: TestTable;
  /**
   * Per test, `[start, end)` of its entry value in `_details.json` (RawEntry.details_range) at `2i`, `2i + 1`:
   * -1 when the entry says it has none (`null`), NaN when the entry does not say (older and original exports:
   * the details file is then read whole and looked up by key).
   */
  detailsRange: Float64Array;
}

/** A byte offset from the file, or NaN. */
const offset = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : NaN);

/**
 * Parses a `_raw.json` document. Accepts the original exporter's entries (no id, worker, details_key) as well
 * as ours. Throws DataFormatError when the document is not a list of entries.
 */
export function parseRawFile(doc: unknown): RawFile {
  if (!Array.isArray(doc)) throw new DataFormatError('the test list (raw.json) is not a JSON array');
  const count = doc.length;
  const name: string[] = new Array<string>(count);
  const id: string[] = new Array<string>(count);
  const tags: string[][] = new Array<string[]>(count);
  const attributes: string[][] = new Array<string[]>(count);
  const detailsKey: (string | null)[] = new Array<string | null>(count);
  const status = new Uint8Array(count);
  const worker = new Int32Array(count);
  const startMs = new Float64Array(count);
  const endMs = new Float64Array(count);
  const durationS = new Float64Array(count);
  const detailsRange = new Float64Array(2 * count);
  const noAttributes: string[] = [];
  for (let i = 0; i < count; i++) {
    const e: unknown = doc[i];
    if (!hasFields<RawEntry>(e) || typeof e['name'] !== 'string') {
      throw new DataFormatError(`test entry ${i} of raw.json has no name`);
    }
    const n = e['name'];
    name[i] = n;
    const testId = typeof e['id'] === 'string' ? e['id'] : n;
    id[i] = testId;
    status[i] = statusCode(typeof e['status'] === 'string' ? e['status'] : 'unknown');
    const t = stringList(e['tags']);
    tags[i] = t;
    const attrs = Array.isArray(e['attributes']) ? stringList(e['attributes']) : attributesFromId(testId);
    attributes[i] = attrs.length === 0 ? noAttributes : attrs;
    const w = typeof e['worker'] === 'number' ? e['worker'] : e['worker'] === null ? null : workerOf(t);
    worker[i] = w === null || !Number.isInteger(w) ? -1 : w;
    const ts = e['timestamps'];
    startMs[i] = Array.isArray(ts) ? parseIsoUtcMs(ts[0] as string | null) : NaN;
    endMs[i] = Array.isArray(ts) ? parseIsoUtcMs(ts[1] as string | null) : NaN;
    const dur = e['duration'];
    durationS[i] = typeof dur === 'number' ? dur : NaN;
    // The original's files have no details_key: its details file is keyed by name.
    const dk = e['details_key'];
    detailsKey[i] = typeof dk === 'string' ? dk : dk === null ? null : n;
    const range = e['details_range'];
    const start = Array.isArray(range) ? offset(range[0]) : range === null ? -1 : NaN;
    const end = Array.isArray(range) ? offset(range[1]) : start;
    const known = start < 0 || (start <= end && !Number.isNaN(end));
    detailsRange[2 * i] = known ? start : NaN;
    detailsRange[2 * i + 1] = known ? end : NaN;
  }
  const table: TestTable = {
    count,
    name,
    id,
    status,
    worker,
    startMs,
    endMs,
    durationS,
    tags,
    attributes,
    detailsKey,
  };
  return { table, detailsRange };
}

/** Counts per status of a table (used when a run has no stats file, and to check stats). */
export function countStatuses(table: TestTable): Map<ExportStatus, number> {
  const counts = new Uint32Array(EXPORT_STATUSES.length);
  for (let i = 0; i < table.count; i++) {
    const c = table.status[i] ?? UNKNOWN_STATUS_CODE;
    counts[c] = (counts[c] ?? 0) + 1;
  }
  const out = new Map<ExportStatus, number>();
  EXPORT_STATUSES.forEach((s, i) => {
    if ((counts[i] ?? 0) > 0) out.set(s, counts[i] ?? 0);
  });
  return out;
}
