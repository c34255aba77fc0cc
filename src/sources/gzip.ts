// Gzip recognised by its magic bytes and inflated as a stream (multi-member too); corrupt data is an InputError
// (a DamagedInputError once some bytes were inflated).
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DamagedInputError, describeFsError, InputError } from './errors.js';

/** The two gzip magic bytes (RFC 1952). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Passes the chunks through, or inflates them when the first two bytes are the gzip magic. Node's gunzip
 * reads concatenated members one after another (as `gzip -d` does). `label` names the input in errors.
 */
export async function* maybeGunzip(
  source: AsyncIterable<Uint8Array>,
  label: string,
): AsyncIterable<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let first = await it.next();
  while (first.done !== true && first.value.length === 0) first = await it.next();
  if (first.done === true) return;
  let head = first.value;
  // The magic needs two bytes; a one-byte first chunk (a pipe) must not hide it.
  if (head.length < 2) {
    const second = await it.next();
    if (second.done !== true) head = Buffer.concat([head, second.value]);
  }
  const all = async function* (): AsyncIterable<Uint8Array> {
    yield head;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
  };
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  // pipeline (not pipe) so that a read error on the source reaches the loop below instead of hanging it.
  pipeline(Readable.from(all(), { objectMode: false }), gunzip, () => undefined);
  let inflated = 0;
  try {
    for await (const chunk of gunzip) {
      inflated += (chunk as Uint8Array).length;
      yield chunk as Uint8Array;
    }
  } catch (e) {
    throw gzipError(e, label, inflated);
  }
}

/** Corrupt data after some inflated bytes is damage (a DamagedInputError); before any, the input is unusable. */
function gzipError(e: unknown, label: string, inflated: number): InputError {
  if (e instanceof InputError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  // zlib's own errors carry Z_* codes (Z_DATA_ERROR, Z_BUF_ERROR for a truncated member).
  if (typeof code === 'string' && code.startsWith('Z_')) {
    const why = e instanceof Error ? e.message : String(e);
    if (inflated > 0) return new DamagedInputError(label, `corrupt gzip data (${why})`, inflated);
    return new InputError(label, `corrupt gzip data (${why})`);
  }
  return new InputError(label, `read error: ${describeFsError(e)}`);
}
