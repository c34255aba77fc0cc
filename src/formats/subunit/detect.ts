// Subunit v1 or v2 from a stream's first bytes, and a reader that decides by itself before decoding.
import { crc32 } from 'node:zlib';
import type { EventSink, StreamReader } from './events.js';
import { V1_DIRECTIVE_WORDS, V1Reader } from './v1.js';
import { PyUtf8Tracker, V2Reader } from './v2.js';

export type SubunitVersion = 'v1' | 'v2';

/**
 * How many leading bytes detection looks at. Neither python-subunit nor stestr detects anything (each tool
 * is told the version: stestr stores v1 and reads v2), so the rule is ours; this much covers any runner
 * banner printed before the first packet or directive.
 */
export const DETECT_WINDOW = 64 * 1024;

const SIGNATURE = 0xb3;
/** The v1 words that start a directive line. */
const V1_WORDS = new Set(V1_DIRECTIVE_WORDS);

/**
 * The rule: walk the bytes once; the first piece of evidence decides.
 * - v2: a 0xB3 byte that python-subunit's v2 parser would take as a packet start (not inside a UTF-8
 *   character, tracked as that parser does) followed by a flags byte whose version nibble is 2;
 * - v1: a line (at the start or after LF) that begins with a v1 directive word, then `:` or a space/tab,
 *   then more text (`test: …`, `time: …`, `tags: …`, `success …`).
 * Bytes before the evidence (a runner's banner) are fine: both readers keep them as `stdout` output.
 * Returns null when the first DETECT_WINDOW bytes hold no evidence (e.g. empty, or only plain text).
 */
export function detectVersion(bytes: Uint8Array): SubunitVersion | null {
  const d = new Detector();
  d.feed(bytes.subarray(0, DETECT_WINDOW));
  return d.finish();
}

const MORE = 2;

/** Incremental detection over bytes that arrive in pieces; each byte is examined once (lookahead waits). */
class Detector {
  private readonly tracker = new PyUtf8Tracker();
  private buf = new Uint8Array(1024);
  private size = 0;
  private pos = 0;
  private lineStart = true;
  result: SubunitVersion | null = null;
  /** A v1 directive was seen; v1 unless a valid v2 packet follows within the window. */
  private v1Seen = false;

  get length(): number {
    return this.size;
  }

  /** The bytes fed so far. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.size);
  }

  feed(chunk: Uint8Array): SubunitVersion | null {
    if (this.size + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.size + chunk.length));
      grown.set(this.buf.subarray(0, this.size));
      this.buf = grown;
    }
    this.buf.set(chunk, this.size);
    this.size += chunk.length;
    return this.scan(false);
  }

  finish(): SubunitVersion | null {
    return this.scan(true);
  }

  private scan(final: boolean): SubunitVersion | null {
    if (this.result !== null) return this.result;
    const bytes = this.buf;
    const n = Math.min(this.size, DETECT_WINDOW);
    // The window is all there will be: nothing more can arrive for it.
    const last = final || this.size >= DETECT_WINDOW;
    for (let k = this.pos; k < n; k++) {
      const b = bytes[k] as number;
      if (b === SIGNATURE && !this.tracker.mid) {
        if (k + 1 >= n && !last) return this.wait(k);
        if (k + 1 < n && ((bytes[k + 1] as number) & 0xf0) === 0x20) {
          if (!this.v1Seen) return (this.result = 'v2');
          // After a v1 directive only a whole packet with a good CRC counts: a v2 stream behind a runner's
          // line such as `error: could not load plugin` is still v2.
          const packet = wholePacketAt(bytes, k, n, last);
          if (packet === MORE) return this.wait(k);
          if (packet === 1) return (this.result = 'v2');
        }
      } else if (this.lineStart && !this.v1Seen) {
        const v1 = isV1Directive(bytes, k, n, last);
        if (v1 === MORE) return this.wait(k);
        if (v1 === 1) this.v1Seen = true;
      }
      this.tracker.step(b);
      this.lineStart = b === 0x0a;
    }
    this.pos = n;
    return last && this.v1Seen ? (this.result = 'v1') : null;
  }

  private wait(k: number): null {
    this.pos = k;
    return null;
  }
}

/**
 * The packet length a v2 header's length field (bytes 3..5 of the packet) claims, or -1 for one that no
 * packet with a CRC can have: a 4-byte field, or shorter than the signature, flags, length field and CRC.
 */
export function claimedLength(b3: number, b4: number, b5: number): number {
  const kind = b3 & 0xc0;
  if (kind === 0x00) return (b3 & 0x3f) >= 8 ? b3 & 0x3f : -1;
  if (kind === 0x40) {
    const n = ((b3 & 0x3f) << 8) | b4;
    return n >= 9 ? n : -1;
  }
  if (kind === 0x80) {
    const n = ((b3 & 0x3f) << 16) | (b4 << 8) | b5;
    return n >= 10 ? n : -1;
  }
  return -1;
}

/**
 * 1: a whole v2 packet with a good CRC starts at `at` (its signature and version checked by the caller);
 * 0: not one; MORE: it runs past the bytes so far, and more may come.
 */
function wholePacketAt(bytes: Uint8Array, at: number, n: number, last: boolean): number {
  if (at + 6 > n) return last ? 0 : MORE;
  const length = claimedLength(bytes[at + 3] as number, bytes[at + 4] as number, bytes[at + 5] as number);
  if (length < 10) return 0;
  if (at + length > n) return last ? 0 : MORE;
  const crcAt = at + length - 4;
  const stored =
    (((bytes[crcAt] as number) << 24) |
      ((bytes[crcAt + 1] as number) << 16) |
      ((bytes[crcAt + 2] as number) << 8) |
      (bytes[crcAt + 3] as number)) >>>
    0;
  return crc32(bytes.subarray(at, crcAt)) >>> 0 === stored ? 1 : 0;
}

/** 1: a v1 directive starts at `at`; 0: it does not; MORE: the bytes end before that is known. */
function isV1Directive(bytes: Uint8Array, at: number, n: number, final: boolean): number {
  const more = final ? 0 : MORE;
  let k = at;
  while (k < n && k - at < 11 && (bytes[k] as number) >= 0x61 && (bytes[k] as number) <= 0x7a) k++;
  if (k >= n) return more;
  if (k === at || !V1_WORDS.has(String.fromCharCode(...bytes.subarray(at, k)))) return 0;
  while (k < n && bytes[k] === 0x3a) k++;
  if (k >= n) return more;
  if (bytes[k] !== 0x20 && bytes[k] !== 0x09) return 0;
  while (k < n && (bytes[k] === 0x20 || bytes[k] === 0x09)) k++;
  if (k >= n) return more;
  return bytes[k] !== 0x0a && bytes[k] !== 0x0d ? 1 : 0;
}

export interface ReaderOptions {
  /** File name for bytes that are not subunit (both readers); default `stdout`. */
  nonSubunitName?: string;
  /** v2: chunks are never reused after `push`, so attachment bytes may be views into them (see V2ReaderOptions). */
  ownChunks?: boolean;
  /** v2: the sink keeps no event object after its call (see V2ReaderOptions). */
  reuseEvents?: boolean;
}

/** A reader for the version the first bytes show; v2 (the current protocol) when they show nothing. */
export function createReader(
  firstBytes: Uint8Array,
  sink: EventSink,
  opts: ReaderOptions = {},
): StreamReader {
  return detectVersion(firstBytes) === 'v1' ? new V1Reader(sink, opts) : new V2Reader(sink, opts);
}

/**
 * A StreamReader that holds the first bytes until the version is known (or DETECT_WINDOW bytes or the end
 * arrive), then hands them and everything after to the chosen reader. For callers whose first chunk may be
 * tiny (stdin, pipes).
 */
export class AutoReader implements StreamReader {
  private readonly sink: EventSink;
  private readonly opts: ReaderOptions;
  private inner: StreamReader | null = null;
  private detector: Detector | null = new Detector();
  /** The version used, once decided. */
  version: SubunitVersion | null = null;

  constructor(sink: EventSink, opts: ReaderOptions = {}) {
    this.sink = sink;
    this.opts = opts;
  }

  get bytesRead(): number {
    return this.inner === null ? 0 : this.inner.bytesRead;
  }

  /** The first bytes are held in a buffer of its own until the version is known. */
  get holdsFrom(): number {
    return this.inner === null ? Infinity : this.inner.holdsFrom;
  }

  push(chunk: Uint8Array): void {
    if (this.inner !== null) {
      this.inner.push(chunk);
      return;
    }
    const d = this.detector as Detector;
    const v = d.feed(chunk);
    if (v !== null || d.length >= DETECT_WINDOW) this.start(v ?? 'v2');
  }

  end(): void {
    if (this.inner === null) this.start((this.detector as Detector).finish() ?? 'v2');
    (this.inner as StreamReader).end();
  }

  private start(version: SubunitVersion): void {
    const head = (this.detector as Detector).bytes();
    this.detector = null;
    this.version = version;
    this.inner = version === 'v1' ? new V1Reader(this.sink, this.opts) : new V2Reader(this.sink, this.opts);
    if (head.length > 0) this.inner.push(head);
  }
}
