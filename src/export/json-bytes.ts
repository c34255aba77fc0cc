// JSON string literals made straight from UTF-8 bytes: what JSON.stringify gives, without a string in between.
// The loop runs in WebAssembly (json-escape.wat), 16 bytes per step: a third of the exporter's time went here.
import { Buffer } from 'node:buffer';
import { JSON_ESCAPE_WASM } from './json-escape-wasm.js';
import { ESCAPER_BYTES, sharedMemory, WebAssembly, type SharedMemory } from './shared-memory.js';

/** Second byte of the short escapes (`\n`, `\"`...); 0 where JSON.stringify writes `\u00XX`; 0xFF: not escaped. */
const SHORT = new Uint8Array(256).fill(0xff);
for (let c = 0; c < 0x20; c++) SHORT[c] = 0;
SHORT[0x08] = 0x62; // b
SHORT[0x09] = 0x74; // t
SHORT[0x0a] = 0x6e; // n
SHORT[0x0c] = 0x66; // f
SHORT[0x0d] = 0x72; // r
SHORT[0x22] = 0x22; // "
SHORT[0x5c] = 0x5c; // \
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** Input bytes escaped per call; the output area holds the worst case (6 bytes each) plus a vector's slack. */
const BLOCK = 64 * 1024;
const IN = 1024;
const OUT = IN + BLOCK + 64;
/** Room for shifting either area by up to 7 bytes, to match the other side's alignment. */
const ALIGN_SLACK = 8;
if (OUT + ALIGN_SLACK + 6 * BLOCK + 16 > ESCAPER_BYTES)
  throw new Error('json-bytes.ts: areas outgrow ESCAPER_BYTES');

interface EscapeExports {
  escape(input: number, n: number, out: number): number;
}

/** The escaper, its memory's bytes, and that memory's buffer (views of it need no copy). */
interface Escaper {
  escape: EscapeExports['escape'];
  mem: Uint8Array;
  buffer: SharedArrayBuffer;
}

/** Instantiated on first use (synchronously: the module is a few hundred bytes), or by `escapeInMemory`. */
let wasm: Escaper | null = null;

function instantiate(memory: SharedMemory): EscapeExports {
  const module = new WebAssembly.Module(Buffer.from(JSON_ESCAPE_WASM, 'base64'));
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as EscapeExports;
}

function load(memory: SharedMemory): Escaper {
  const exports = instantiate(memory);
  const buffer = memory.buffer;
  const mem = new Uint8Array(buffer);
  mem.set(SHORT, 0);
  mem.set(HEX, 256);
  return { escape: exports.escape, mem, buffer };
}

/**
 * Escape in `memory` from now on (its first ESCAPER_BYTES are the escaper's): input that is a view of its
 * buffer is read where it is, and output into such a view written where it goes. One thread's memory: two
 * threads escaping in the same memory would share the copy areas.
 */
export function escapeInMemory(memory: SharedMemory): void {
  wasm = load(memory);
}

/**
 * Write `"<text>"` for valid UTF-8 `src` into `out` at `at`; returns the position after it. `out` must have
 * room for `src.length * 6 + 2` bytes. Multi-byte characters are copied as they are: JSON.stringify only
 * escapes ASCII controls, quotes and backslashes (and lone surrogates, which valid UTF-8 cannot hold).
 */
export function writeJsonString(src: Uint8Array, out: Uint8Array, at: number): number {
  out[at] = 0x22;
  const p = escapeJsonBytes(src, out, at + 1);
  out[p] = 0x22;
  return p + 1;
}

/**
 * The inside of a JSON string (no quotes) for `src`, written at `at`; returns the position after it. Valid
 * UTF-8 may be cut anywhere between calls: only ASCII bytes are ever escaped. Room: `src.length * 6` bytes.
 */
export function escapeJsonBytes(src: Uint8Array, out: Uint8Array, at: number): number {
  const w = (wasm ??= load(sharedMemory(ESCAPER_BYTES)));
  // Views of the escaper's memory (the input ring, a batch slot) are used in place.
  const inPlace = src.buffer === w.buffer;
  const outPlace = out.buffer === w.buffer;
  if (inPlace && outPlace) return w.escape(src.byteOffset, src.length, out.byteOffset + at) - out.byteOffset;
  let p = at;
  for (let i = 0; i < src.length; i += BLOCK) {
    const n = Math.min(BLOCK, src.length - i);
    let inAt = src.byteOffset + i;
    if (!inPlace) {
      // Each copy starts at the same address mod 8 on both sides: a copy into or out of a SharedArrayBuffer
      // is done word by word then, and byte by byte otherwise (~3x slower).
      inAt = IN + ((src.byteOffset + i) & 7);
      w.mem.set(i === 0 && n === src.length ? src : src.subarray(i, i + n), inAt);
    }
    if (outPlace) {
      p = w.escape(inAt, n, out.byteOffset + p) - out.byteOffset;
      continue;
    }
    const outAt = OUT + ((out.byteOffset + p) & 7);
    const end = w.escape(inAt, n, outAt);
    out.set(w.mem.subarray(outAt, end), p);
    p += end - outAt;
  }
  return p;
}

/** A character JSON.stringify escapes, or that is not printable ASCII. */
const NOT_PLAIN = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/**
 * Write `JSON.stringify(s)` as UTF-8 into `out` at `at`; returns the position after it. Room: `s.length * 6 + 2`
 * bytes. Printable ASCII without `"` or `\\` (nearly every test id and key) is written as it is, with no
 * string made (a regular expression finds the rest, which goes through JSON.stringify).
 */
export function putJsonString(out: Buffer, at: number, s: string): number {
  if (!isPlainJson(s)) return at + out.write(JSON.stringify(s), at, 'utf8');
  return putPlainJsonString(out, at, s);
}

/** True when `s` is printable ASCII without `"` or `\\`: its JSON is `"` + s + `"`. */
export function isPlainJson(s: string): boolean {
  return !NOT_PLAIN.test(s);
}

/** putJsonString for a string known to be plain (isPlainJson), or part of one: not tested again. */
export function putPlainJsonString(out: Buffer, at: number, s: string): number {
  out[at] = 0x22;
  const n = out.write(s, at + 1, 'latin1');
  out[at + 1 + n] = 0x22;
  return at + n + 2;
}

/** Copy the bytes of `b` (a short constant) into `out` at `at`; returns the position after them. */
export function putBytes(out: Uint8Array, at: number, b: Uint8Array): number {
  let p = at;
  for (let i = 0; i < b.length; i++) out[p++] = b[i] as number;
  return p;
}

/** Write `s`, ASCII only (a number's digits), into `out` at `at`; returns the position after it. */
export function putAscii(out: Uint8Array, at: number, s: string): number {
  let p = at;
  for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
  return p;
}
