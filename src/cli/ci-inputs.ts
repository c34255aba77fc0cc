// The CI inputs beside the streams: devstack's performance.json and the classic copy of a pcp-dstat log (run
// metadata: run-metadata.ts). Each is checked before anything is written.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { parseDstat, sniffDstat, toClassicDstat } from '../formats/dstat/index.js';
import { parsePerformance, PerformanceFormatError } from '../formats/performance/index.js';
import { describeFsError, InputError, isGzip } from './inputs.js';

/** `--performance FILE` (gzipped or not): the bytes to copy, once they read as a devstack performance.json. */
export async function readPerformanceFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(path, `corrupt gzip data (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  try {
    parsePerformance(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (e) {
    if (!(e instanceof PerformanceFormatError)) throw e;
    throw new InputError(path, e.message, `'${path}': not a devstack performance.json: ${e.message}`);
  }
  return bytes;
}

/**
 * The classic Dstat copy of a pcp-dstat log (the original front-end rejects pcp-dstat's header), or null for a
 * classic log, or when the log's header rows cannot be read (then `warn` says so and the log is copied as is).
 */
export function classicDstatCopy(
  csv: Uint8Array,
  warn: (message: string) => void,
  path: string,
): Uint8Array | null {
  const text = Buffer.from(csv.buffer, csv.byteOffset, csv.length).toString('utf8');
  const firstLine =
    text
      .slice(0, 1024)
      .split(/\r?\n|\r/)
      .find((l) => l.trim() !== '') ?? '';
  if (sniffDstat(firstLine) !== 'pcp-dstat') return null;
  try {
    return new TextEncoder().encode(toClassicDstat(parseDstat(text)).csv);
  } catch (e) {
    warn(
      `'${path}': no classic Dstat copy for the original front-end (${e instanceof Error ? e.message : String(e)})`,
    );
    return null;
  }
}
