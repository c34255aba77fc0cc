// For `stackviz compare`: the devstack performance report of one side (an export folder or a performance.json).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parsePerformance, type PerformanceReport } from '../formats/performance/index.js';
import { describeFsError, InputError, isGzip } from './inputs.js';

async function readText(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  return Buffer.from(isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
}

/**
 * The performance report of a compare side: an export folder's (config.json's `performance`), or the file
 * itself when it is a performance.json; null when the side has none (a stream, a repository, an export
 * without one). A performance file that does not parse throws PerformanceFormatError.
 */
export async function performanceOfSide(path: string): Promise<PerformanceReport | null> {
  const st = await stat(path).catch(() => null);
  if (st === null) return null;
  if (st.isDirectory()) {
    const config = await readFile(join(path, 'config.json'), 'utf8').catch(() => null);
    if (config === null) return null;
    let rel: unknown;
    try {
      rel = (JSON.parse(config) as { performance?: unknown }).performance;
    } catch {
      return null;
    }
    return typeof rel === 'string' ? parsePerformance(await readText(join(path, rel))) : null;
  }
  if (/performance[^/]*\.json(\.gz)?$/.test(path)) return parsePerformance(await readText(path));
  return null;
}
