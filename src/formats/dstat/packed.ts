// A parsed dstat log as compact bytes and back: what the single-file report embeds instead of the CSV text.
// Only the numbers the reader kept (times and series), columnar, so gzip sees runs of like bytes, not CSV text.
import type { DstatSeriesName } from './series.js';
import { DstatFormatError, type DstatLog } from './types.js';

/**
 * Starts every packed log. The NUL first byte can never start a dstat CSV (the exporter refuses binary data),
 * so a reader tells the two apart by the first bytes alone.
 */
const MAGIC = [0x00, 0x53, 0x56, 0x44, 0x4c, 0x01]; // \0 S V D L, version 1

/** Exact powers of ten (a literal table: `10 ** k` need not be exact on every engine). */
const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/** Largest magnitude of a scaled value: deltas and their zigzag codes then stay exact below 2^53. */
const MAX_SCALED = 2 ** 50;

/** A column's encoding: decimals (values are integers / 10^decimals, in byte planes) or raw float64. */
const SCALED = 0;
const FLOAT64 = 1;

/** Header of a packed log: every DstatLog field except the number arrays, and the series' names in order. */
interface Header extends Omit<DstatLog, 'timeMs' | 'series'> {
  series: DstatSeriesName[];
}

/** True when `bytes` is a packed log (not CSV text). */
export function isPackedDstat(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * The log as bytes: magic, header length (u32 LE), the header as JSON, then timeMs and each series as one column.
 * Lossless: unpackDstatLog gives back the same log, every number bit for bit (NaN stays NaN).
 */
export function packDstatLog(log: DstatLog): Uint8Array {
  const { timeMs, series, ...rest } = log;
  const names = Object.keys(series) as DstatSeriesName[];
  const header: Header = { ...rest, series: names };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const columns = [timeMs, ...names.map((n) => series[n] as Float64Array)].map(packColumn);
  const out = new Uint8Array(MAGIC.length + 4 + json.length + columns.reduce((s, c) => s + c.length, 0));
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  let at = MAGIC.length + 4;
  for (const part of [json, ...columns]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The log packDstatLog wrote. Throws DstatFormatError on bytes that are not one (truncated, another version). */
export function unpackDstatLog(bytes: Uint8Array): DstatLog {
  if (!isPackedDstat(bytes)) throw new DstatFormatError('not a packed dstat log');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonEnd = MAGIC.length + 4 + view.getUint32(MAGIC.length, true);
  if (jsonEnd > bytes.length) throw new DstatFormatError('truncated packed dstat log');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, jsonEnd))) as Header;
  } catch {
    throw new DstatFormatError('packed dstat log: bad header');
  }
  if (!Number.isSafeInteger(header.rows) || header.rows < 0 || !Array.isArray(header.series))
    throw new DstatFormatError('packed dstat log: bad header');
  const reader = { bytes, view, at: jsonEnd, rows: header.rows };
  const timeMs = unpackColumn(reader);
  const series: Partial<Record<DstatSeriesName, Float64Array>> = {};
  for (const name of header.series) series[name] = unpackColumn(reader);
  if (reader.at !== bytes.length) throw new DstatFormatError('packed dstat log: bytes left over');
  const { series: _names, ...rest } = header;
  return { ...rest, timeMs, series };
}

/** The fewest decimals that give every value back exactly from an integer, or -1 when none up to 9 does. */
function decimalsOf(values: Float64Array): number {
  next: for (let k = 0; k < POW10.length; k++) {
    const p = POW10[k] as number;
    for (const v of values) {
      if (Number.isNaN(v)) continue;
      // `+ 0` turns -0 into 0, which then fails the check: -0 is kept as float64.
      const n = Math.round(v * p) + 0;
      if (!(Math.abs(n) <= MAX_SCALED) || !Object.is(n / p, v)) continue next;
    }
    return k;
  }
  return -1;
}

/**
 * One column: [SCALED, decimals, width] then `width` byte planes (all rows' lowest bytes, then the next…) of
 * each row's code: 0 for NaN, else 1 + the zigzag of the difference from the previous number; or [FLOAT64]
 * then the values as float64 LE.
 */
function packColumn(values: Float64Array): Uint8Array {
  const k = decimalsOf(values);
  if (k < 0) {
    const out = new Uint8Array(1 + values.length * 8);
    out[0] = FLOAT64;
    const view = new DataView(out.buffer);
    values.forEach((v, i) => view.setFloat64(1 + i * 8, v, true));
    return out;
  }
  const p = POW10[k] as number;
  const codes = new Float64Array(values.length);
  let prev = 0;
  let max = 0;
  values.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    const n = Math.round(v * p) + 0;
    const d = n - prev;
    prev = n;
    const code = (d >= 0 ? 2 * d : -2 * d - 1) + 1;
    codes[i] = code;
    if (code > max) max = code;
  });
  let width = 1;
  while (max >= 256 ** width) width++;
  const out = new Uint8Array(3 + width * values.length);
  out.set([SCALED, k, width]);
  for (let b = 0; b < width; b++) {
    const base = 3 + b * values.length;
    const unit = 256 ** b;
    codes.forEach((c, i) => (out[base + i] = Math.floor(c / unit) % 256));
  }
  return out;
}

function unpackColumn(r: { bytes: Uint8Array; view: DataView; at: number; rows: number }): Float64Array {
  const { bytes, view, rows } = r;
  if (r.at + 1 > bytes.length) throw new DstatFormatError('truncated packed dstat log');
  const out = new Float64Array(rows);
  const kind = bytes[r.at];
  if (kind === FLOAT64) {
    if (r.at + 1 + rows * 8 > bytes.length) throw new DstatFormatError('truncated packed dstat log');
    for (let i = 0; i < rows; i++) out[i] = view.getFloat64(r.at + 1 + i * 8, true);
    r.at += 1 + rows * 8;
    return out;
  }
  const p = POW10[bytes[r.at + 1] ?? -1];
  const width = bytes[r.at + 2] ?? 0;
  if (kind !== SCALED || p === undefined || width < 1 || width > 7)
    throw new DstatFormatError('packed dstat log: bad column');
  const start = r.at + 3;
  if (start + width * rows > bytes.length) throw new DstatFormatError('truncated packed dstat log');
  const codes = new Float64Array(rows);
  for (let b = width - 1; b >= 0; b--) {
    const base = start + b * rows;
    for (let i = 0; i < rows; i++) codes[i] = (codes[i] as number) * 256 + (bytes[base + i] as number);
  }
  let n = 0;
  for (let i = 0; i < rows; i++) {
    const c = codes[i] as number;
    if (c === 0) {
      out[i] = NaN;
      continue;
    }
    const z = c - 1;
    n += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    out[i] = n / p;
  }
  r.at = start + width * rows;
  return out;
}
