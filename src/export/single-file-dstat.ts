// The single-file report's dstat logs: read here as the viewer would read them, and embedded packed, not as CSV.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIsoUtcMs } from '../contract/export-format.js';
import { DstatFormatError, packDstatLog, parseDstat } from '../formats/dstat/index.js';

/** What of config.json says which dstat log a run shows and when the run started. */
export interface DstatConfig {
  tempest?: { stats?: unknown; dstat?: unknown; dstat_recorded?: unknown }[];
  datasets?: { artifacts?: { path?: unknown; artifact_type?: unknown }[] }[];
}

const relPath = (p: unknown): string | null => (typeof p === 'string' ? p.replace(/^\.\//, '') : null);

/**
 * The run's start as the viewer takes it for reading the dstat log (web/src/data/loader.ts, runStartMs): the
 * stats' `start`. NaN when config.json does not give it (the viewer would then look at the tests).
 */
function runStartMs(stats: unknown): number {
  if (typeof stats !== 'object' || stats === null) return NaN;
  const s = stats as { count?: unknown; start?: unknown };
  return typeof s.count === 'number' && typeof s.start === 'string' ? parseIsoUtcMs(s.start) : NaN;
}

/**
 * Each dstat log among the `embedded` files that the viewer shows, parsed against each run's start (the reference that gives a
 * yearless, zoneless log its year) and packed (packDstatLog): by path, relative to the folder. A log is left
 * out, and embedded as its CSV text, when a run that shows it has no start in config.json, when it does not read
 * the same for every run that shows it (different starts can pick different years or zones), or when it does
 * not parse (the viewer then says why, as it does from a folder).
 */
export async function packedDstatLogs(
  exportDir: string,
  config: DstatConfig,
  embedded: readonly string[],
): Promise<Map<string, Uint8Array>> {
  // The viewer's choice of log (web/src/data/config.ts): the run's own (as recorded, else its classic copy),
  // else the dataset's.
  let datasetLog: string | null = null;
  let datasetRecorded: string | null = null;
  for (const ds of Array.isArray(config.datasets) ? config.datasets : []) {
    for (const a of Array.isArray(ds.artifacts) ? ds.artifacts : []) {
      if (a.artifact_type === 'dstat') datasetLog ??= relPath(a.path);
      if (a.artifact_type === 'dstat-recorded') datasetRecorded ??= relPath(a.path);
    }
  }
  const starts = new Map<string, Set<number>>();
  for (const run of Array.isArray(config.tempest) ? config.tempest : []) {
    const path = relPath(run.dstat_recorded) ?? relPath(run.dstat) ?? datasetRecorded ?? datasetLog;
    if (path === null || !embedded.includes(path)) continue;
    const set = starts.get(path) ?? new Set<number>();
    set.add(runStartMs(run.stats));
    starts.set(path, set);
  }
  const packed = new Map<string, Uint8Array>();
  for (const [path, refs] of starts) {
    if ([...refs].some(Number.isNaN)) continue;
    const text = await readText(join(exportDir, ...path.split('/')));
    let first: Uint8Array | null = null;
    try {
      for (const ref of refs) {
        const p = packDstatLog(parseDstat(text, { referenceUtcMs: ref }));
        if (first === null) first = p;
        else if (!Buffer.from(p).equals(first)) {
          first = null;
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof DstatFormatError)) throw e;
      first = null;
    }
    if (first !== null) packed.set(path, first);
  }
  return packed;
}

/**
 * A log's text, as the viewer decodes it (TextDecoder: a BOM is dropped, bad bytes become U+FFFD). Its bytes are
 * not kept past the decoding: a long log is tens of MB twice over otherwise.
 */
async function readText(path: string): Promise<string> {
  let bytes: Uint8Array = await readFile(path);
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  return new TextDecoder().decode(bytes);
}
