// The viewer's only I/O seam: finds and reads the report's files (embedded in the page, or fetched beside it).
import type { ByteRange, DetailsFile, DetailsIndex, StatsFile } from '../../../src/contract/export-format';
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import type { ReportModel, RunModel, TestFacts, TestTable, TimelineTests } from '../model/types';
import { bytesToText, decodeBase64, gunzip, inflateRaw, isGzip, maybeGunzip } from './bytes';
import { asStats, parseConfig } from './config';
import { countStatuses, DataFormatError, parseIsoUtcMs, parseRawFile } from './test-table';
import {
  DstatFormatError,
  isPackedDstat,
  parseDstat,
  unpackDstatLog,
  type DstatLog,
} from '../../../src/formats/dstat/index';
import { parseRawRanges, parseTimelineIndex } from './timeline-index';

export { DataFormatError } from './test-table';

/** A file that could not be read; `kind` lets the page say what to do about it. */
export class LoadError extends Error {
  override name = 'LoadError';
  constructor(
    message: string,
    readonly kind: 'missing' | 'network' | 'malformed',
    readonly path: string,
  ) {
    super(message);
  }
}

const EMBEDDED_TYPE = 'application/x-stackviz-file';

/** One embedded element: a whole file, or the piece of it that starts at `offset` of its uncompressed bytes. */
interface EmbeddedPiece {
  offset: number;
  el: HTMLScriptElement;
}
let embeddedIndex: Map<string, EmbeddedPiece[]> | null = null;

/**
 * The single-file report's embedded files by path, each as its pieces in file order (a big details file is
 * embedded in pieces, each decoded only when a test it holds is opened). Scanned once.
 */
function embeddedFiles(): Map<string, EmbeddedPiece[]> {
  if (embeddedIndex) return embeddedIndex;
  embeddedIndex = new Map();
  if (typeof document !== 'undefined') {
    for (const el of document.querySelectorAll<HTMLScriptElement>(`script[type="${EMBEDDED_TYPE}"]`)) {
      const p = el.dataset['path'];
      if (p === undefined) continue;
      const offset = Number(el.dataset['offset'] ?? 0);
      const pieces = embeddedIndex.get(p) ?? [];
      // A whole file once: a second element of the same path without an offset is ignored.
      if (pieces.length === 0 || offset > (pieces.at(-1) as EmbeddedPiece).offset)
        pieces.push({ offset, el });
      embeddedIndex.set(p, pieces);
    }
  }
  return embeddedIndex;
}

/** An embedded element's bytes, inflated. */
async function decodeEmbedded(el: HTMLScriptElement): Promise<Uint8Array> {
  const encoding = el.dataset['encoding'] ?? '';
  const text = el.textContent ?? '';
  const bytes = encoding.startsWith('base64') ? decodeBase64(text) : new TextEncoder().encode(text);
  return encoding.endsWith('gzip') || isGzip(bytes) ? gunzip(bytes) : bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** True when the page carries its data inside (the single-file report). */
export function isSingleFile(): boolean {
  return embeddedFiles().size > 0;
}

/** Removes `./` and resolves `..` so embedded paths and config paths compare equal. */
function normalisePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/**
 * The bytes of a report file, inflated. Embedded files first (base64, gunzipped when marked so), else fetched
 * relative to the page; a fetched file is inflated when it starts with the gzip magic, whatever its name says.
 */
export async function loadBytes(path: string): Promise<Uint8Array> {
  const pieces = embeddedFiles().get(normalisePath(path));
  if (pieces) return concat(await Promise.all(pieces.map((p) => decodeEmbedded(p.el))));
  let res: Response;
  try {
    res = await fetch(path);
  } catch (e) {
    const fromFile = typeof location !== 'undefined' && location.protocol === 'file:';
    throw new LoadError(
      fromFile
        ? `cannot read ${path} from a file:// page (browsers forbid it). Serve the folder (\`stackviz serve DIR\`) or export a single file (--single-file).`
        : `cannot fetch ${path}: ${e instanceof Error ? e.message : String(e)}`,
      'network',
      path,
    );
  }
  if (!res.ok)
    throw new LoadError(
      `${path}: the server answered ${res.status} ${res.statusText}`.trim(),
      'missing',
      path,
    );
  try {
    return await maybeGunzip(new Uint8Array(await res.arrayBuffer()));
  } catch (e) {
    throw new LoadError(`${path} looks gzipped but does not inflate: ${String(e)}`, 'malformed', path);
  }
}

export async function loadJson(path: string): Promise<unknown> {
  const bytes = await loadBytes(path);
  try {
    return JSON.parse(bytesToText(bytes)) as unknown;
  } catch (e) {
    throw new LoadError(
      `${path} is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      'malformed',
      path,
    );
  }
}

/** Where config.json was found ('' or 'data/'); data paths are relative to it. */
let baseDir = '';

function resolve(path: string): string {
  return normalisePath(baseDir + path);
}

/** config.json beside index.html, else data/config.json (the original front-end's layout); both config layouts. */
export async function loadReport(): Promise<ReportModel> {
  let doc: unknown = undefined;
  let lastError: LoadError | null = null;
  for (const dir of ['', 'data/']) {
    try {
      doc = await loadJson(`${dir}config.json`);
      baseDir = dir;
      lastError = null;
      break;
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      // A malformed config is the answer; only a missing one sends us to look elsewhere.
      if (e.kind === 'malformed') throw e;
      lastError ??= e;
    }
  }
  if (lastError) {
    throw new LoadError(
      lastError.kind === 'network'
        ? lastError.message
        : 'No report data here: neither config.json nor data/config.json was found next to this page. ' +
            'Export a run into this folder with `stackviz-export --html DEST`.',
      lastError.kind,
      'config.json',
    );
  }
  let parsed;
  try {
    parsed = parseConfig(doc);
  } catch (e) {
    if (e instanceof DataFormatError) throw new LoadError(e.message, 'malformed', 'config.json');
    throw e;
  }
  const runs = await Promise.all(
    parsed.runs.map(async (r, index): Promise<RunModel> => {
      const files = {
        raw: resolve(r.files.raw),
        details: r.files.details === '' ? '' : resolve(r.files.details),
        stats: r.files.stats === null ? null : resolve(r.files.stats),
        tree: r.files.tree === null ? null : resolve(r.files.tree),
        timeline: r.files.timeline === null ? null : resolve(r.files.timeline),
        dstat: r.files.dstat === null ? null : resolve(r.files.dstat),
      };
      const run: RunModel = {
        key: r.key,
        index,
        name: r.name,
        stats: emptyStats(),
        files,
        tests: null,
        config: r.config,
      };
      let stats = r.stats;
      if (stats === null && files.stats !== null) {
        stats = asStats(await loadJson(files.stats));
        if (stats === null)
          throw new LoadError(`${files.stats} is not a stats file`, 'malformed', files.stats);
      }
      // No stats anywhere (a hand-made config): derive them from the tests.
      stats ??= statsFromTable(await loadTests(run));
      return { ...run, stats, tests: run.tests };
    }),
  );
  return {
    runs,
    dataset: parsed.dataset,
    performance: parsed.performance === null ? null : resolve(parsed.performance),
  };
}

function emptyStats(): StatsFile {
  return { count: 0, start: null, end: null, total_duration: 0, failures: [], skips: [] };
}

/** Stats computed from the tests, for configs that carry none (failure tracebacks are not known here). */
export function statsFromTable(t: TestTable): StatsFile {
  let start = Infinity;
  let end = -Infinity;
  let total = 0;
  const failures: StatsFile['failures'] = [];
  const skips: StatsFile['skips'] = [];
  for (let i = 0; i < t.count; i++) {
    const s = t.startMs[i] ?? NaN;
    const e = t.endMs[i] ?? NaN;
    if (s < start) start = s;
    if (e > end) end = e;
    const d = t.durationS[i] ?? NaN;
    if (d > 0) total += d;
    const status = EXPORT_STATUSES[t.status[i] ?? 0];
    const duration = Number.isNaN(d) ? null : d;
    if (status === 'fail')
      failures.push({ name: t.name[i] ?? '', duration, details: null, details_key: t.detailsKey[i] ?? null });
    if (status === 'skip')
      skips.push({ name: t.name[i] ?? '', duration, details: null, details_key: t.detailsKey[i] ?? null });
  }
  return {
    count: t.count,
    start: Number.isFinite(start) ? new Date(start).toISOString() : null,
    end: Number.isFinite(end) ? new Date(end).toISOString() : null,
    total_duration: total,
    failures,
    skips,
    status_counts: Object.fromEntries(countStatuses(t)),
  };
}

const pendingTests = new Map<RunModel['files']['raw'], Promise<TestTable>>();
/** Each loaded table's details ranges (RawFile.detailsRange): what the loader needs, not the views. */
const detailsRanges = new WeakMap<TestTable, Float64Array>();

/** raw.json → columns, parsed once per run (cached on run.tests). */
export async function loadTests(run: RunModel): Promise<TestTable> {
  if (run.tests) return run.tests;
  let p = pendingTests.get(run.files.raw);
  if (!p) {
    p = loadJson(run.files.raw).then((doc) => {
      try {
        const { table, detailsRange } = parseRawFile(doc);
        detailsRanges.set(table, detailsRange);
        return table;
      } catch (e) {
        if (e instanceof DataFormatError)
          throw new LoadError(`${run.files.raw}: ${e.message}`, 'malformed', run.files.raw);
        throw e;
      }
    });
    pendingTests.set(run.files.raw, p);
    p.catch(() => pendingTests.delete(run.files.raw));
  }
  const table = await p;
  run.tests = table;
  return table;
}

const timelineTests = new Map<string, Promise<TimelineTests | null>>();
/** Where each test's entry lies in `_raw.json`, from the run's timeline index (parseRawRanges). */
const rawRanges = new WeakMap<TimelineTests, Float64Array>();

/**
 * What the timeline needs of a run's tests: from the export's timeline index when it has one (a few % of
 * `_raw.json`'s bytes), else (no index, an index this viewer cannot read, or one the single file did not embed)
 * the whole table. The index is read once per run.
 */
export async function loadTimelineTests(run: RunModel): Promise<TimelineTests> {
  const path = run.files.timeline;
  if (run.tests || path === null || (isSingleFile() && !embeddedFiles().has(path))) return loadTests(run);
  let p = timelineTests.get(path);
  if (!p) {
    p = loadJson(path).then(
      (doc) => {
        const tests = parseTimelineIndex(doc);
        const ranges = tests === null ? null : parseRawRanges(doc, tests.count);
        if (tests !== null && ranges !== null) rawRanges.set(tests, ranges);
        return tests;
      },
      () => null,
    );
    timelineTests.set(path, p);
  }
  return (await p) ?? loadTests(run);
}

function factsOf(t: TestTable, i: number, ranges = detailsRanges.get(t)): TestFacts {
  const start = ranges?.[2 * i] ?? NaN;
  const end = ranges?.[2 * i + 1] ?? NaN;
  return {
    id: t.id[i] ?? '',
    tags: t.tags[i] ?? [],
    attributes: t.attributes[i] ?? [],
    detailsKey: t.detailsKey[i] ?? null,
    detailsRange: Number.isNaN(start) ? null : [start, end],
  };
}

/**
 * The facts of test `index` beyond the timeline's columns: from the whole table when it is read, else from its own
 * entry, read alone where the timeline index says it lies (a Range request; loadRange falls back to the whole
 * file, kept for the next test), else (no index, or one without entry lengths) from the whole table.
 */
export async function loadTestFacts(run: RunModel, index: number): Promise<TestFacts> {
  if (run.tests) return factsOf(run.tests, index);
  const path = run.files.timeline;
  const tests = path === null ? null : await (timelineTests.get(path) ?? Promise.resolve(null));
  const ranges = tests === null ? undefined : rawRanges.get(tests);
  const start = ranges?.[2 * index];
  const end = ranges?.[2 * index + 1];
  if (start !== undefined && end !== undefined) {
    try {
      const entry: unknown = JSON.parse(bytesToText(await loadRange(run.files.raw, [start, end], null)));
      const { table, detailsRange } = parseRawFile([entry]);
      // The entry where the index says it is: the same test, or the index and the file disagree.
      if (table.name[0] === tests?.name[index]) return factsOf(table, 0, detailsRange);
    } catch {
      // Read the whole table instead.
    }
  }
  return factsOf(await loadTests(run), index);
}

const detailsFiles = new Map<string, Promise<DetailsFile>>();

function loadDetailsFile(path: string): Promise<DetailsFile> {
  let p = detailsFiles.get(path);
  if (!p) {
    p = loadJson(path).then((doc) => {
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        throw new LoadError(`${path} is not a details file`, 'malformed', path);
      }
      return doc as DetailsFile;
    });
    detailsFiles.set(path, p);
    p.catch(() => detailsFiles.delete(path));
  }
  return p;
}

/**
 * One test's attachments (name → text), or null when it has none. Reads only the test's bytes of the details
 * file when the export recorded where they are (and the server answers ranges); the whole file otherwise (the
 * original exporter's files, our older ones).
 */
export async function loadDetails(run: RunModel, index: number): Promise<Map<string, string> | null> {
  const tests = await loadTimelineTests(run);
  if (index < 0 || index >= tests.count) return null;
  return loadDetailsOf(run, await loadTestFacts(run, index));
}

/** `loadDetails` for a test whose facts are already read. */
export function loadDetailsOf(run: RunModel, f: TestFacts): Promise<Map<string, string> | null> {
  return readDetails(run, f.detailsKey, f.detailsRange === null ? null : [...f.detailsRange]);
}

/** The run's own output (bytes outside any test, attachments with no test id), or null when it has none. */
export function loadRunOutput(run: RunModel): Promise<Map<string, string> | null> {
  const range = run.stats.stream_output_range;
  const known = Array.isArray(range) && range.every((n) => Number.isSafeInteger(n) && n >= 0);
  return readDetails(run, run.stats.stream_output_key ?? null, known ? range : null);
}

/** The details under `key`, at `range` of the details file (null: look the key up in the whole file). */
async function readDetails(
  run: RunModel,
  key: string | null,
  range: ByteRange | null,
): Promise<Map<string, string> | null> {
  const path = run.files.details;
  // A start below 0: the test has no attachment (`{}` in the file).
  if (key === null || path === '' || (range !== null && range[0] < 0)) return null;
  if (range === null) return readDetailsEntry(path, key);
  const bytes = await loadRange(path, range, run.config?.details_index ?? null);
  let value: unknown;
  try {
    value = JSON.parse(bytesToText(bytes)) as unknown;
  } catch {
    throw new LoadError(`${path}: the details of ${key} are not where raw.json says`, 'malformed', path);
  }
  return attachments(value);
}

/** An entry's attachments as a map (only string values), or null when it is not an object. */
function attachments(entry: unknown): Map<string, string> | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const out = new Map<string, string>();
  for (const [name, text] of Object.entries(entry)) if (typeof text === 'string') out.set(name, text);
  return out;
}

async function readDetailsEntry(path: string, key: string): Promise<Map<string, string> | null> {
  const file = await loadDetailsFile(path);
  // Test names are data: own properties only, so a test called `constructor` finds nothing inherited.
  return attachments(Object.hasOwn(file, key) ? file[key] : undefined);
}

/** Whole files read for their ranges (a server that ignored a Range request sent all of it), inflated. */
const wholeFiles = new Map<string, Promise<Uint8Array>>();

function loadWhole(path: string, bytes?: Promise<Uint8Array>): Promise<Uint8Array> {
  let p = wholeFiles.get(path);
  if (!p) {
    p = bytes ?? loadBytes(path);
    wholeFiles.set(path, p);
    p.catch(() => wholeFiles.delete(path));
  }
  return p;
}

/**
 * Bytes `[start, end)` of a file's uncompressed text: from the embedded pieces that hold them, or with one HTTP
 * Range request (under -z, of the gzip segments that hold them: `index`), inflated as raw deflate. A server that
 * answers with the whole file (200) gives the whole file, kept for the next test; any failure of the range
 * path falls back to reading the whole file.
 */
async function loadRange(
  path: string,
  [start, end]: ByteRange,
  index: DetailsIndex | null,
): Promise<Uint8Array> {
  const whole = wholeFiles.get(path);
  if (whole) return (await whole).subarray(start, end);
  const pieces = embeddedFiles().get(normalisePath(path));
  if (pieces) return embeddedRange(pieces, start, end);
  const gzipped = index !== null && index.plain.length > 1;
  // A gzipped file without an index cannot be read in parts.
  if (!gzipped && path.endsWith('.gz')) return (await loadWhole(path)).subarray(start, end);
  let from = start;
  let to = end;
  let base = start;
  if (gzipped) {
    const { plain, packed } = index;
    let i = 0;
    while (i + 2 < plain.length && (plain[i + 1] as number) <= start) i++;
    let j = i;
    while (j + 2 < plain.length && (plain[j + 1] as number) < end) j++;
    [from, to, base] = [packed[i] as number, packed[j + 1] as number, plain[i] as number];
  }
  try {
    const res = await fetch(path, { headers: { Range: `bytes=${from}-${to - 1}` } });
    if (res.status === 206 && (res.headers.get('Content-Range') ?? '').startsWith(`bytes ${from}-`)) {
      let bytes: Uint8Array = new Uint8Array(await res.arrayBuffer());
      if (gzipped) bytes = await inflateRaw(bytes);
      if (bytes.length >= end - base) return bytes.subarray(start - base, end - base);
    } else if (res.status === 200) {
      const body = res.arrayBuffer().then((b) => maybeGunzip(new Uint8Array(b)));
      return (await loadWhole(path, body)).subarray(start, end);
    }
  } catch {
    // A network error or bytes that do not inflate: the whole file says what is wrong, if anything is.
  }
  return (await loadWhole(path)).subarray(start, end);
}

/** Decoded embedded pieces (each decoded once, when a test it holds is first opened). */
const decodedPieces = new WeakMap<HTMLScriptElement, Promise<Uint8Array>>();

/** Bytes `[start, end)` of an embedded file, from the pieces that hold them only. */
async function embeddedRange(pieces: EmbeddedPiece[], start: number, end: number): Promise<Uint8Array> {
  const parts: Promise<Uint8Array>[] = [];
  let base = -1;
  pieces.forEach(({ offset, el }, i) => {
    const next = pieces[i + 1]?.offset ?? Infinity;
    if (next <= start || offset >= end) return;
    if (base < 0) base = offset;
    let p = decodedPieces.get(el);
    if (!p) decodedPieces.set(el, (p = decodeEmbedded(el)));
    parts.push(p);
  });
  return concat(await Promise.all(parts)).subarray(start - base, end - base);
}

const dstatLogs = new Map<string, Promise<DstatLog>>();

/** The run's start (UTC ms): dstat's yearless local times take their year from it when the log has no date. */
function runStartMs(run: RunModel): number {
  const fromStats = parseIsoUtcMs(run.stats.start);
  if (Number.isFinite(fromStats)) return fromStats;
  let min = Infinity;
  for (const v of run.tests?.startMs ?? []) if (v < min) min = v;
  return min;
}

/** The run's dstat log, parsed with the run's start as reference; null when the run has none. */
export async function loadDstat(run: RunModel): Promise<DstatLog | null> {
  const path = run.files.dstat;
  if (path === null || path === '') return null;
  const ref = runStartMs(run);
  const cacheKey = `${path}\n${ref}`;
  let p = dstatLogs.get(cacheKey);
  if (!p) {
    p = loadBytes(path).then((bytes) => {
      try {
        // The single-file report embeds the log as read at export, packed (src/export/single-file-dstat.ts).
        if (isPackedDstat(bytes)) return unpackDstatLog(bytes);
        return parseDstat(bytesToText(bytes), Number.isFinite(ref) ? { referenceUtcMs: ref } : {});
      } catch (e) {
        if (e instanceof DstatFormatError) throw new LoadError(`${path}: ${e.message}`, 'malformed', path);
        throw e;
      }
    });
    dstatLogs.set(cacheKey, p);
    p.catch(() => dstatLogs.delete(cacheKey));
  }
  return p;
}

/** The run's history file (`--history`, config.json's `history`) as JSON; null when the run has none. */
export function loadHistoryJson(run: RunModel): Promise<unknown> | null {
  const path = run.config?.history;
  return typeof path === 'string' && path !== '' ? loadJson(resolve(path)) : null;
}

/** For tests: forget what was cached between loads. */
export function resetLoaderCaches(): void {
  dstatLogs.clear();
  embeddedIndex = null;
  baseDir = '';
  pendingTests.clear();
  timelineTests.clear();
  detailsFiles.clear();
  wholeFiles.clear();
}
