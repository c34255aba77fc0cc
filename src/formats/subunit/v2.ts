// Streaming subunit v2 decoder: byte chunks in, SubunitEvents out, damage reported the way python-subunit does.
/*
 * Where this decoder knowingly differs from python-subunit 1.4 (everything else is matched, and checked
 * against it by test/reference/):
 * - every `Parser Error` reason ends with ` at byte N`, N being the offset of the packet's signature;
 * - where python-subunit itself crashes (struct.error on a number or timestamp past the packet end,
 *   ValueError on a length below 5, or of 5 with bytes after it, struct.error on a 3-byte length
 *   below 10), we emit the same two `subunit.parser` events with our own reason (`Number at offset
 *   …`, `Timestamp at offset …`, `Packet length N is less than the minimum of M bytes`) and read on
 *   after the packet;
 * - non-packet bytes are handed on in pieces of at most 1 MiB, as python-subunit does when reading a
 *   file; it also cuts them on 50 ms read pauses (pipes), which a byte-stream decoder cannot see.
 */
import { crc32 } from 'node:zlib';
import type { EventSink, StreamReader, SubunitEvent } from './events.js';
import { emptyEvent, nonSubunitEvent, STATUS_BY_CODE } from './events.js';

export interface V2ReaderOptions {
  /** File name given to bytes that are not packets (python-subunit's `non_subunit_name`). */
  nonSubunitName?: string;
  /**
   * The caller never reuses or changes a chunk after pushing it: attachment bytes may then be handed out as
   * views into the chunks instead of copies (no allocation per packet; a chunk lives as long as a view).
   * A packet cut by a chunk's end is then kept as a view too while the next chunks follow it in the same
   * buffer (a ring of input slots), and copied only when they do not (see `holdsFrom`).
   */
  ownChunks?: boolean;
  /**
   * The sink keeps no event object after its `event` call returns (it may keep the fields' values): one
   * object is then filled in for every packet instead of a new one each (less garbage on the hot path).
   */
  reuseEvents?: boolean;
}

const SIGNATURE = 0xb3;
/** python-subunit hands non-packet bytes on in pieces of at most this many bytes. */
const NON_SUBUNIT_PIECE = 1048576;
/** Test id of the synthetic test that carries parse errors, as python-subunit names it. */
export const PARSER_TEST_ID = 'subunit.parser';

const STEP_COMPLETE = 0;
const STEP_PENDING = 1;
const STEP_ERROR = 2;

/**
 * CPython's incremental UTF-8 decoder reduced to what python-subunit asks of it: after each byte, is a
 * character still incomplete? Its quirks matter because they decide which 0xB3 bytes start a packet:
 * on an invalid byte it raises and keeps its pending bytes unchanged (it does not reset), and at the
 * prefix stage it accepts ED A0..BF, rejecting the surrogate only when the third byte arrives.
 */
export class PyUtf8Tracker {
  /** Pending bytes of an incomplete character (0-3 used). */
  private p0 = 0;
  private p1 = 0;
  private pending = 0;
  private need = 0;
  /** python-subunit's `mid_character`: true after a byte that left a character incomplete. */
  mid = false;

  /** Feed one byte; returns STEP_COMPLETE (0), STEP_PENDING (1) or STEP_ERROR (2) and updates `mid`. */
  step(b: number): number {
    const r = this.classify(b);
    this.mid = r === STEP_PENDING;
    return r;
  }

  private classify(b: number): number {
    const n = this.pending;
    if (n === 0) {
      if (b < 0x80) return STEP_COMPLETE;
      if (b >= 0xc2 && b <= 0xf4) {
        this.p0 = b;
        this.pending = 1;
        this.need = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        return STEP_PENDING;
      }
      return STEP_ERROR;
    }
    if (b < 0x80 || b > 0xbf) return STEP_ERROR;
    const p0 = this.p0;
    if (n === 1) {
      if ((p0 === 0xe0 && b < 0xa0) || (p0 === 0xf0 && b < 0x90) || (p0 === 0xf4 && b > 0x8f)) {
        return STEP_ERROR;
      }
      this.p1 = b;
    } else if (n === 2 && p0 === 0xed && this.p1 >= 0xa0) {
      // A surrogate: CPython let the second byte through and rejects it now, for any third byte.
      return STEP_ERROR;
    }
    if (n + 1 === this.need) {
      this.pending = 0;
      return STEP_COMPLETE;
    }
    this.pending = n + 1;
    return STEP_PENDING;
  }
}

/**
 * The failing `subunit.parser` event whose `Parser Error` attachment is `reason`: the decoder's report of a
 * damaged packet, and the record of damage found outside the subunit bytes (a gzip stream that breaks off).
 */
export function parserErrorEvent(reason: string): SubunitEvent {
  return {
    testId: PARSER_TEST_ID,
    routeCode: null,
    timestampUs: null,
    tags: null,
    runnable: true,
    eof: true,
    status: 'fail',
    mimeType: 'text/plain;charset=utf8',
    fileName: 'Parser Error',
    fileBytes: encoder.encode(reason),
  };
}

/** Thrown inside packet parsing only; turned into the two `subunit.parser` events. */
class PacketError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Size - 1 of the decoded-string cache (a power of two). */
const CACHE_MASK = 255;
/** Longest string the cache keeps. */
const CACHE_MAX = 512;
/** Bytes of the decoded-string cache's strings. */
export const STRING_CACHE_BYTES = (CACHE_MASK + 1) * CACHE_MAX;

const MODE_SCAN = 0;
const MODE_HEADER = 1;
const MODE_BODY = 2;

/**
 * The decoder. Memory is one packet at most (< 4 MiB) plus up to 1 MiB of pending non-packet bytes;
 * a packet that lies wholly inside a pushed chunk is parsed in place without copying it.
 */
export class V2Reader implements StreamReader {
  private readonly sink: EventSink;
  private readonly nonSubunitName: string;
  private readonly ownChunks: boolean;
  /** The event filled in for every packet, with `reuseEvents`. */
  private readonly reused: SubunitEvent | null;
  private readonly tracker = new PyUtf8Tracker();
  private consumed = 0;
  private mode = MODE_SCAN;
  private ended = false;
  /** Non-packet bytes waiting to be handed on (copies: callers may reuse their chunks). */
  private textParts: Uint8Array[] = [];
  private textSize = 0;
  /** Signature + the 5 header bytes python-subunit always reads, while a header spans chunks. */
  private readonly header = new Uint8Array(6);
  private headerFill = 0;
  private packetStart = 0;
  private packet: Uint8Array | null = null;
  /** With ownChunks: the packet read so far as one view, while the chunks arrive adjacent in one buffer. */
  private span: Uint8Array | null = null;
  private packetFill = 0;
  private packetLength = 0;
  /** Header of a packet claiming 5 bytes, reported once we know whether the stream ends right after it. */
  private lengthFive: Uint8Array | null = null;

  constructor(sink: EventSink, options: V2ReaderOptions = {}) {
    this.sink = sink;
    this.nonSubunitName = options.nonSubunitName ?? 'stdout';
    this.ownChunks = options.ownChunks === true;
    this.reused = options.reuseEvents === true ? emptyEvent() : null;
  }

  get bytesRead(): number {
    return this.consumed;
  }

  /**
   * Stream offset of the first byte still used from an earlier chunk (a packet being read as a view), or
   * Infinity: bytes before it may be reused by the caller once no handed-out view points into them.
   */
  get holdsFrom(): number {
    return this.span === null ? Infinity : this.packetStart;
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('V2Reader: push() after end()');
    const n = chunk.length;
    const base = this.consumed;
    let i = 0;
    while (i < n) {
      if (this.lengthFive !== null) {
        this.parseError('Packet length 5 is less than the minimum of 6 bytes', this.lengthFive);
        this.lengthFive = null;
      }
      if (this.mode === MODE_SCAN) {
        if (!this.tracker.mid && chunk[i] === SIGNATURE) {
          this.flushText();
          this.packetStart = base + i;
          if (i + 6 <= n) {
            // Fast path: the header is here; if the whole packet is too, parse it in place.
            const length = this.checkHeader(chunk, i);
            if (length < 0) {
              i += 6;
            } else if (i + length <= n) {
              this.parsePacket(chunk, i, length, this.ownChunks);
              i += length;
            } else if (this.ownChunks) {
              // The rest of the chunk, as a view: the next chunk may follow it in the same buffer.
              this.span = chunk.subarray(i, n);
              this.packetFill = n - i;
              this.packetLength = length;
              this.mode = MODE_BODY;
              i = n;
            } else {
              this.startBody(chunk.subarray(i, i + 6), length);
              i += 6;
            }
          } else {
            this.header[0] = SIGNATURE;
            this.headerFill = 1;
            this.mode = MODE_HEADER;
            i += 1;
          }
          continue;
        }
        i = this.scanText(chunk, i);
      } else if (this.mode === MODE_HEADER) {
        const take = Math.min(6 - this.headerFill, n - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFill);
        this.headerFill += take;
        i += take;
        if (this.headerFill === 6) {
          this.mode = MODE_SCAN;
          const length = this.checkHeader(this.header, 0);
          if (length >= 0) this.startBody(this.header, length);
        }
      } else {
        const span = this.span;
        if (span !== null) {
          const take = Math.min(this.packetLength - this.packetFill, n - i);
          if (chunk.buffer === span.buffer && chunk.byteOffset + i === span.byteOffset + span.length) {
            this.span = new Uint8Array(span.buffer, span.byteOffset, span.length + take);
            this.packetFill += take;
            i += take;
            if (this.packetFill === this.packetLength) this.finishBody();
            continue;
          }
          // Not adjacent (the end of a ring, or separate buffers): the packet is copied from here on.
          const packet = new Uint8Array(this.packetLength);
          packet.set(span, 0);
          this.packet = packet;
          this.span = null;
        }
        const packet = this.packet as Uint8Array;
        const take = Math.min(this.packetLength - this.packetFill, n - i);
        packet.set(chunk.subarray(i, i + take), this.packetFill);
        this.packetFill += take;
        i += take;
        if (this.packetFill === this.packetLength) this.finishBody();
      }
    }
    this.consumed = base + n;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.lengthFive !== null) {
      this.parseError('Short read - got 0 bytes, wanted -1 bytes', this.lengthFive);
      this.lengthFive = null;
    }
    if (this.mode === MODE_HEADER) {
      // python-subunit reads 5 bytes after the signature before anything else, and loses what it got.
      this.parseError(
        `Short read - got ${this.headerFill - 1} bytes, wanted 5 bytes`,
        Uint8Array.of(SIGNATURE),
      );
    } else if (this.mode === MODE_BODY) {
      const packet = this.span ?? (this.packet as Uint8Array);
      this.parseError(
        `Short read - got ${this.packetFill - 6} bytes, wanted ${this.packetLength - 6} bytes`,
        copyOf(packet, 0, 6),
      );
      this.packet = null;
      this.span = null;
    }
    this.mode = MODE_SCAN;
    this.flushText();
  }

  /** Consume non-packet bytes from `i` up to the next packet start (or a full piece); returns the new index. */
  private scanText(chunk: Uint8Array, i: number): number {
    const tracker = this.tracker;
    const limit = Math.min(chunk.length, i + (NON_SUBUNIT_PIECE - this.textSize));
    let j = i;
    while (j < limit) {
      const b = chunk[j] as number;
      if (b < 0x80) {
        // ASCII either completes a character or (after a stuck lead byte) raises without changing the
        // pending bytes: either way the decoder's state is untouched and no character is pending.
        tracker.mid = false;
        j++;
        continue;
      }
      if (b === SIGNATURE && !tracker.mid) break;
      tracker.step(b);
      j++;
    }
    if (j > i) {
      this.textParts.push(copyOf(chunk, i, j));
      this.textSize += j - i;
      if (this.textSize >= NON_SUBUNIT_PIECE) this.flushText();
    }
    return j;
  }

  private flushText(): void {
    if (this.textSize === 0) return;
    const parts = this.textParts;
    let bytes: Uint8Array;
    if (parts.length === 1) {
      bytes = parts[0] as Uint8Array;
    } else {
      bytes = new Uint8Array(this.textSize);
      let p = 0;
      for (const part of parts) {
        bytes.set(part, p);
        p += part.length;
      }
    }
    this.textParts = [];
    this.textSize = 0;
    this.sink.event(nonSubunitEvent(this.nonSubunitName, bytes));
  }

  /**
   * Check the 6 bytes at `at` (signature, flags, length field). Returns the packet length, or -1 after
   * reporting a header python-subunit rejects (a 4-byte length) or one it cannot survive (too short).
   */
  private checkHeader(buf: Uint8Array, at: number): number {
    const b0 = buf[at + 3] as number;
    const kind = b0 & 0xc0;
    if (kind === 0xc0) {
      this.parseError('3 byte maximum given but 4 byte value found.', copyOf(buf, at, at + 6));
      return -1;
    }
    let length: number;
    let minimum = 6;
    if (kind === 0x00) {
      length = b0 & 0x3f;
    } else if (kind === 0x40) {
      length = ((b0 & 0x3f) << 8) | (buf[at + 4] as number);
    } else {
      length = ((b0 & 0x3f) << 16) | ((buf[at + 4] as number) << 8) | (buf[at + 5] as number);
      // python-subunit needs 4 CRC bytes after the 6 it already read; it crashes on less.
      minimum = 10;
    }
    if (length === 5) {
      // python-subunit reads "-1 bytes", i.e. to EOF: with nothing left it reports a short read, with
      // anything left it crashes. Which of the two is known only when more bytes (or the end) arrive.
      this.lengthFive = copyOf(buf, at, at + 6);
      return -1;
    }
    if (length < minimum) {
      // python-subunit crashes here (a negative read size) or reads on to EOF; we report it and go on.
      this.parseError(
        `Packet length ${length} is less than the minimum of ${minimum} bytes`,
        copyOf(buf, at, at + 6),
      );
      return -1;
    }
    return length;
  }

  private startBody(header: Uint8Array, length: number): void {
    const packet = new Uint8Array(length);
    packet.set(header.subarray(0, 6), 0);
    this.packet = packet;
    this.packetFill = 6;
    this.packetLength = length;
    this.mode = MODE_BODY;
    if (length === 6) this.finishBody();
  }

  private finishBody(): void {
    const packet = this.span ?? (this.packet as Uint8Array);
    this.packet = null;
    this.span = null;
    this.mode = MODE_SCAN;
    this.parsePacket(packet, 0, this.packetLength, true);
  }

  /** Parse a complete packet of `length` bytes at `start`; `own` says the buffer is ours to hand out. */
  private parsePacket(buf: Uint8Array, start: number, length: number, own: boolean): void {
    const crcAt = start + length - 4;
    const calculated = crc32(buf.subarray(start, crcAt)) >>> 0;
    const stored =
      (((buf[crcAt] as number) << 24) |
        ((buf[crcAt + 1] as number) << 16) |
        ((buf[crcAt + 2] as number) << 8) |
        (buf[crcAt + 3] as number)) >>>
      0;
    if (calculated !== stored) {
      this.parseError(
        `Bad checksum - calculated (0x${calculated.toString(16)}), stored (0x${stored.toString(16)})`,
        own ? buf.subarray(start, start + length) : copyOf(buf, start, start + length),
      );
      return;
    }
    let event: SubunitEvent;
    try {
      event = this.parseFields(buf, start, length, own);
    } catch (e) {
      if (!(e instanceof PacketError)) throw e;
      this.parseError(
        e.message,
        own ? buf.subarray(start, start + length) : copyOf(buf, start, start + length),
      );
      return;
    }
    this.sink.event(event);
  }

  // Cursor of the packet being parsed: instance fields rather than closures, to allocate nothing per packet.
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private bodyEnd = 0;
  private pyBase = 0;
  /** The cached strings' bytes, CACHE_MAX per slot, and their lengths (-1: empty slot). */
  private readonly cacheSlab = new Uint8Array(STRING_CACHE_BYTES);
  private readonly cacheLength = new Int32Array(CACHE_MASK + 1).fill(-1);
  private readonly cacheStrings: (string | undefined)[] = new Array<string | undefined>(CACHE_MASK + 1);

  private varint(): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos >= this.bodyEnd) {
      throw new PacketError(`Number at offset ${pos - this.pyBase} extends past end of packet`);
    }
    const b0 = buf[pos] as number;
    const size = (b0 >> 6) + 1;
    if (pos + size > this.bodyEnd) {
      throw new PacketError(`Number at offset ${pos - this.pyBase} extends past end of packet`);
    }
    let v = b0 & 0x3f;
    for (let k = 1; k < size; k++) v = v * 256 + (buf[pos + k] as number);
    this.pos = pos + size;
    return v;
  }

  private string(): string {
    const len = this.varint();
    const buf = this.buf;
    const pos = this.pos;
    // python-subunit reports the offset of the length field's last byte, in its body buffer's terms.
    const offset = pos - this.pyBase - 2;
    const end = pos + len;
    if (end > this.bodyEnd) {
      throw new PacketError(
        `UTF8 string at offset ${offset} extends past end of packet: claimed ${len} bytes, ${this.bodyEnd - pos} available`,
      );
    }
    this.pos = end;
    // The same few strings (test ids over consecutive packets, file names, MIME types, tags) come back
    // again and again: a small direct-mapped cache of decoded strings, checked byte for byte. The slot mixes
    // the length and the last byte (`worker-0`…`worker-7`) with a byte from the middle and one a quarter from
    // the end: test ids share their first and last bytes (`tempest.…,smoke]`), and tests open together on
    // eight workers evicted each other when only the length told them apart.
    const slot =
      len === 0
        ? 0
        : (len * 31 +
            (buf[end - 1] as number) +
            (buf[pos + (len >> 1)] as number) * 7 +
            (buf[end - 1 - (len >> 2)] as number) * 131) &
          CACHE_MASK;
    const base = slot * CACHE_MAX;
    const slab = this.cacheSlab;
    if (this.cacheLength[slot] === len) {
      // From the end: two ids of one class differ there.
      let k = len;
      while (k > 0 && slab[base + k - 1] === buf[pos + k - 1]) k--;
      if (k === 0) return this.cacheStrings[slot] as string;
    }
    // One pass copies the bytes into the cache (no allocation, no view keeping a chunk alive) and looks
    // for a NUL; the slot counts only once the string has decoded.
    const keep = len <= CACHE_MAX;
    if (keep) this.cacheLength[slot] = -1;
    let nul = false;
    for (let k = 0; k < len; k++) {
      const c = buf[pos + k] as number;
      if (c === 0) nul = true;
      if (keep) slab[base + k] = c;
    }
    if (nul) throw new PacketError(`UTF8 string at offset ${offset} contains NUL byte`);
    const value = decodeStrict(buf.subarray(pos, end), offset);
    if (keep) {
      this.cacheLength[slot] = len;
      this.cacheStrings[slot] = value;
    }
    return value;
  }

  /** Lists of one tag, shared between events (readers hand tags out as read-only lists). */
  private readonly oneTags = new Map<string, string[]>();

  private oneTag(tag: string): string[] {
    let list = this.oneTags.get(tag);
    if (list === undefined) {
      list = [tag];
      if (this.oneTags.size < 1024) this.oneTags.set(tag, list);
    }
    return list;
  }

  private parseFields(buf: Uint8Array, start: number, length: number, own: boolean): SubunitEvent {
    const flags = ((buf[start + 1] as number) << 8) | (buf[start + 2] as number);
    const lengthSize = ((buf[start + 3] as number) >> 6) + 1;
    this.buf = buf;
    this.bodyEnd = start + length - 4;
    // python-subunit's error offsets count from where its body buffer begins: after the signature, or
    // after the 6 header bytes when the length took 3 bytes (it keeps the two reads apart then).
    this.pyBase = lengthSize === 3 ? start + 6 : start + 1;
    this.pos = start + 3 + lengthSize;

    let timestampUs: number | null = null;
    if (flags & 0x0200) {
      const pos = this.pos;
      if (pos + 4 > this.bodyEnd) {
        throw new PacketError(`Timestamp at offset ${pos - this.pyBase} extends past end of packet`);
      }
      const seconds =
        (buf[pos] as number) * 0x1000000 +
        (((buf[pos + 1] as number) << 16) | ((buf[pos + 2] as number) << 8) | (buf[pos + 3] as number));
      this.pos = pos + 4;
      timestampUs = seconds * 1_000_000 + nanosToMicros(this.varint());
    }
    const testId = flags & 0x0800 ? this.string() : null;
    let tags: string[] | null = null;
    if (flags & 0x0080) {
      const count = this.varint();
      if (count === 1) {
        // Nearly every tagged packet carries one tag (`worker-N`): one shared, never-changed list per tag.
        tags = this.oneTag(this.string());
      } else {
        // A set in python-subunit: duplicates collapse, first occurrence keeps its place here.
        const set = new Set<string>();
        for (let k = 0; k < count; k++) set.add(this.string());
        tags = Array.from(set);
      }
    }
    const mimeType = flags & 0x0020 ? this.string() : null;
    let fileName: string | null = null;
    let fileBytes: Uint8Array | null = null;
    if (flags & 0x0040) {
      fileName = this.string();
      const len = this.varint();
      const pos = this.pos;
      if (pos + len > this.bodyEnd) {
        throw new PacketError(
          `File content extends past end of packet: claimed ${len} bytes, ${this.bodyEnd - pos} available`,
        );
      }
      fileBytes = own ? buf.subarray(pos, pos + len) : copyOf(buf, pos, pos + len);
      this.pos = pos + len;
    }
    const routeCode = flags & 0x0400 ? this.string() : null;
    this.buf = EMPTY;
    const e = this.reused;
    if (e !== null) {
      e.testId = testId;
      e.routeCode = routeCode;
      e.status = STATUS_BY_CODE[flags & 0x7] ?? null;
      e.timestampUs = timestampUs;
      e.tags = tags;
      e.runnable = (flags & 0x0100) !== 0;
      e.mimeType = mimeType;
      e.fileName = fileName;
      e.fileBytes = fileBytes;
      e.eof = (flags & 0x0010) !== 0;
      return e;
    }
    return {
      testId,
      routeCode,
      status: STATUS_BY_CODE[flags & 0x7] ?? null,
      timestampUs,
      tags,
      runnable: (flags & 0x0100) !== 0,
      mimeType,
      fileName,
      fileBytes,
      eof: (flags & 0x0010) !== 0,
    };
  }

  /** The two events python-subunit emits for a packet it cannot parse, with the packet's stream offset added. */
  private parseError(reason: string, packetData: Uint8Array): void {
    const failure = parserErrorEvent(`${reason} at byte ${this.packetStart}`);
    this.sink.event({
      ...failure,
      status: null,
      mimeType: 'application/octet-stream',
      fileName: 'Packet data',
      fileBytes: packetData,
    });
    this.sink.event(failure);
  }
}

/**
 * A copy of bytes [from, to): never `slice()`, which on a Node Buffer returns a view into the caller's
 * chunk (that chunk may be reused, and a view would keep all of it alive for a few bytes).
 */
function copyOf(buf: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(buf.subarray(from, to));
  return out;
}

/** Nanoseconds to microseconds rounded half to even, as Python's timedelta rounds `nanos / 1000`. */
export function nanosToMicros(nanos: number): number {
  const q = Math.floor(nanos / 1000);
  const r = nanos - q * 1000;
  return r > 500 || (r === 500 && q % 2 === 1) ? q + 1 : q;
}

/**
 * Decode a string field as `codecs.utf_8_decode(bytes)` does (final=False): invalid → an error; valid
 * but ending inside a character → "partially decodable", naming how many bytes were left over.
 */
function decodeStrict(bytes: Uint8Array, offset: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Fall through: find out which of python-subunit's two complaints applies.
  }
  let s = bytes.length;
  while (s > 0 && bytes.length - s < 3 && ((bytes[s - 1] as number) & 0xc0) === 0x80) s--;
  if (s > 0) s--;
  const tail = new PyUtf8Tracker();
  let incomplete = s < bytes.length;
  for (let k = s; k < bytes.length && incomplete; k++) {
    incomplete = tail.step(bytes[k] as number) === STEP_PENDING;
  }
  if (incomplete) {
    try {
      utf8.decode(bytes.subarray(0, s));
      throw new PacketError(
        `Invalid (partially decodable) string at offset ${offset}, ${bytes.length - s} undecoded bytes`,
      );
    } catch (e) {
      if (e instanceof PacketError) throw e;
    }
  }
  throw new PacketError(`UTF8 string at offset ${offset} is not UTF8`);
}
