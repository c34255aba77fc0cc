// The viewer's only I/O seam: finds and reads the report's files (embedded in the page, or fetched beside it).
import type { DetailsFile, StatsFile } from '../../../src/contract/export-format';
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import type { ReportModel, RunModel, TestTable } from '../model/types';
import { bytesToText, decodeBase64, gunzip, isGzip, maybeGunzip } from './bytes';
import { asStats, parseConfig } from './config';
import { buildTestTable, countStatuses, DataFormatError, parseIsoUtcMs } from './test-table';
import { parseDstat, DstatFormatError, type DstatLog } from '../../../src/formats/dstat/index';

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
let embeddedIndex: Map<string, HTMLScriptElement> | null = null;

/** The single-file report's embedded files by path (scanned once; the elements are decoded only on demand). */
function embeddedFiles(): Map<string, HTMLScriptElement> {
  if (embeddedIndex) return embeddedIndex;
  embeddedIndex = new Map();
  if (typeof document !== 'undefined') {
    for (const el of document.querySelectorAll<HTMLScriptElement>(`script[type="${EMBEDDED_TYPE}"]`)) {
      const p = el.dataset['path'];
      if (p !== undefined && !embeddedIndex.has(p)) embeddedIndex.set(p, el);
    }
  }
  return embeddedIndex;
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
  const el = embeddedFiles().get(normalisePath(path));
  if (el) {
    const encoding = el.dataset['encoding'] ?? '';
    const text = el.textContent ?? '';
    let bytes = encoding.startsWith('base64') ? decodeBase64(text) : new TextEncoder().encode(text);
    if (encoding.endsWith('gzip') || isGzip(bytes)) bytes = await gunzip(bytes);
    return bytes;
  }
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
        detailsShards: r.files.detailsShards.map(resolve),
        stats: r.files.stats === null ? null : resolve(r.files.stats),
        tree: r.files.tree === null ? null : resolve(r.files.tree),
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

/** raw.json → columns, parsed once per run (cached on run.tests). */
export async function loadTests(run: RunModel): Promise<TestTable> {
  if (run.tests) return run.tests;
  let p = pendingTests.get(run.files.raw);
  if (!p) {
    p = loadJson(run.files.raw).then((doc) => {
      try {
        return buildTestTable(doc);
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
 * One test's attachments (name → text), or null when it has none. Reads only the test's shard when the run has
 * shards; the whole details file otherwise (the spec's layout, and the original exporter's files).
 */
export async function loadDetails(run: RunModel, index: number): Promise<Map<string, string> | null> {
  const tests = await loadTests(run);
  if (index < 0 || index >= tests.count) return null;
  const key = tests.detailsKey[index] ?? null;
  if (key === null) return null;
  const shard = tests.detailsShard[index] ?? -1;
  const shardPath = shard >= 0 ? run.files.detailsShards[shard] : undefined;
  const path = shardPath ?? run.files.details;
  if (path === '') return null;
  return readDetailsEntry(path, key);
}

async function readDetailsEntry(path: string, key: string): Promise<Map<string, string> | null> {
  const file = await loadDetailsFile(path);
  // Test names are data: own properties only, so a test called `constructor` finds nothing inherited.
  const entry: unknown = Object.hasOwn(file, key) ? file[key] : undefined;
  if (typeof entry !== 'object' || entry === null) return null;
  const out = new Map<string, string>();
  for (const [name, text] of Object.entries(entry)) if (typeof text === 'string') out.set(name, text);
  return out;
}

/** The run's own output (bytes outside any test, attachments with no test id), or null when it has none. */
export async function loadRunOutput(run: RunModel): Promise<Map<string, string> | null> {
  const key = run.stats.stream_output_key;
  if (key === null || key === undefined) return null;
  const shard = run.stats.stream_output_shard;
  const path =
    (shard !== null && shard !== undefined ? run.files.detailsShards[shard] : undefined) ?? run.files.details;
  return path === '' ? null : readDetailsEntry(path, key);
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
  detailsFiles.clear();
}
