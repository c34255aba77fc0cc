// Byte helpers for the loader: gzip sniffing and inflating, base64 decoding of embedded files, JSON from bytes.

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates gzip bytes with the platform's DecompressionStream (no library, works from file:// too). */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** An empty final deflate block: ends a run of segments that each ended in a full flush (see DetailsIndex). */
const FINAL_BLOCK = new Uint8Array([0x03, 0x00]);

/** Inflates raw deflate segments cut at full-flush points (a range of `_details.json.gz`). */
export async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>, FINAL_BLOCK])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A file may reach us gzipped (a server that sent no Content-Encoding, or a `.gz` embedded file) or already
 * inflated (the server sent Content-Encoding: gzip and the browser undid it): the magic bytes decide, not the name.
 */
export async function maybeGunzip(bytes: Uint8Array): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes) : bytes;
}

interface Base64Static {
  fromBase64?: (s: string) => Uint8Array;
}

/** Base64 → bytes. Uses Uint8Array.fromBase64 where the browser has it, else atob in slices (whitespace ignored). */
export function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/[\s]+/g, '');
  const native = (Uint8Array as unknown as Base64Static).fromBase64;
  if (typeof native === 'function') return native(clean);
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let n = 0;
  // Slices of a multiple of 4 characters decode independently; 1 MiB keeps each binary string small.
  const slice = 1 << 20;
  for (let i = 0; i < clean.length; i += slice) {
    const bin = atob(clean.slice(i, i + slice));
    for (let j = 0; j < bin.length; j++) out[n++] = bin.charCodeAt(j);
  }
  return out.subarray(0, n);
}

const utf8 = new TextDecoder('utf-8');

export function bytesToText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
