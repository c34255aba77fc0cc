// The export's timeline index (`_timeline.json.gz`, TimelineIndex) → the timeline's columns; pure.
import type { TimelineIndex } from '../../../src/contract/export-format';
import type { TimelineTests } from '../model/types';
import { hasFields, msFromMicros, statusCode } from './test-table';

/** The one version this reader knows. */
const VERSION = 1;

function isCount(v: unknown, n: number): v is unknown[] {
  return Array.isArray(v) && v.length === n;
}

/**
 * A parsed timeline index as the columns `parseRawFile` would give for the same run (the same values, to the
 * bit: times go through msFromMicros, durations are (end − start) / 10⁶ as the exporter computes them), or null
 * when it is not an index this reader knows, so the caller reads `_raw.json` instead.
 */
export function parseTimelineIndex(doc: unknown): TimelineTests | null {
  if (!hasFields<TimelineIndex>(doc) || doc['version'] !== VERSION) return null;
  const names = doc['name'];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
  const count = names.length;
  const { statuses, status: digits, worker: workers, start, end } = doc;
  const t0 = doc['t0_us'];
  if (typeof t0 !== 'number' || !Array.isArray(statuses) || typeof digits !== 'string') return null;
  if (digits.length !== count || !isCount(workers, count) || !isCount(start, count) || !isCount(end, count))
    return null;
  // The file's status positions → the viewer's codes (unknown for a name it does not know).
  const codes = statuses.map((s) => statusCode(typeof s === 'string' ? s : ''));
  const status = new Uint8Array(count);
  const worker = new Int32Array(count);
  const startMs = new Float64Array(count);
  const endMs = new Float64Array(count);
  const durationS = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const code = codes[digits.charCodeAt(i) - 48];
    if (code === undefined) return null;
    status[i] = code;
    const w = workers[i];
    worker[i] = typeof w === 'number' && Number.isInteger(w) ? w : -1;
    const s = start[i];
    const e = end[i];
    const sUs = typeof s === 'number' ? t0 + s : NaN;
    const eUs = typeof e === 'number' ? t0 + e : NaN;
    startMs[i] = Number.isNaN(sUs) ? NaN : msFromMicros(sUs);
    endMs[i] = Number.isNaN(eUs) ? NaN : msFromMicros(eUs);
    durationS[i] = (eUs - sUs) / 1e6;
  }
  return { count, name: names as string[], status, worker, startMs, endMs, durationS };
}

/**
 * Where each entry lies in `_raw.json`'s text, from the index's `raw_len`: `[start, end)` at `2i`, `2i + 1`; null
 * when the index has no usable lengths (written before them, or not one per test).
 */
export function parseRawRanges(doc: unknown, count: number): Float64Array | null {
  const lengths = hasFields<TimelineIndex>(doc) ? doc['raw_len'] : undefined;
  if (!isCount(lengths, count)) return null;
  const ranges = new Float64Array(2 * count);
  let at = 1; // after `[`
  for (let i = 0; i < count; i++) {
    const len = lengths[i];
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 2) return null;
    ranges[2 * i] = at;
    ranges[2 * i + 1] = at + len;
    at += len + 1; // and the comma
  }
  return ranges;
}
