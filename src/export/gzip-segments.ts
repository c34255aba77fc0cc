// `-z` details: one gzip member made of raw deflate segments that each end in a full flush, with their index,
// so a reader can inflate any run of segments on its own (`_details.json.gz`; see DetailsIndex).
import { Buffer } from 'node:buffer';
import { constants as zc, crc32, deflateRaw } from 'node:zlib';
import type { DetailsIndex } from '../contract/export-format.js';
import type { OutFile } from './out-file.js';
import type { OutputDir } from './output.js';

/** zlib level: `gzip -1`, as for the other files. */
const LEVEL = 1;
/**
 * Uncompressed bytes per segment. A reader fetches the segments its range touches, so this bounds what opening
 * one test costs beyond its own bytes (~1 MiB of text is ~150-250 KB compressed); each segment also starts
 * with an empty dictionary, which costs ~1% of the compressed size at this length.
 */
export const SEGMENT_BYTES = 1024 * 1024;
/** Segments being compressed at once (each on a libuv thread): enough to keep the pool busy, memory flat. */
const MAX_PENDING = 3;

/** A gzip member header: deflate, no name, mtime 0, Unix. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
/** An empty final block (fixed Huffman, end of block): what ends the deflate stream after the last flush. */
export const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/** gzip trailer: CRC-32 and size mod 2^32, little endian. */
function trailer(crc: number, size: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc >>> 0, 0);
  t.writeUInt32LE(size % 0x100000000, 4);
  return t;
}

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i] as number;
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n] as number);
}

/** CRC-32 of A‖B from crc(A), crc(B) and B's length (zlib's crc32_combine), so each segment is summed once. */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320;
  let row = 1;
  for (let n = 1; n < 32; n++) {
    odd[n] = row;
    row <<= 1;
  }
  gf2Square(even, odd);
  gf2Square(odd, even);
  let c = crc1 >>> 0;
  let len = len2;
  for (;;) {
    gf2Square(even, odd);
    if (len % 2 === 1) c = gf2Times(even, c);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) c = gf2Times(odd, c);
    len = Math.floor(len / 2);
    if (len === 0) break;
  }
  return (c ^ crc2) >>> 0;
}

const deflateSegment = (body: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    deflateRaw(body, { level: LEVEL, memLevel: 9, finishFlush: zc.Z_FULL_FLUSH }, (e, out) =>
      e ? reject(e) : resolve(out),
    );
  });

/**
 * A gzip file written as segments of SEGMENT_BYTES, each deflated on its own (off the main thread, a few at a
 * time) and written in order. Independent segments that end in a full flush concatenate into one valid
 * deflate stream, which makes one ordinary gzip member: every gzip reader and browser reads the whole file.
 */
export class SegmentedGzip {
  readonly file: OutFile;
  /** The segment being filled (callers reuse what they write: it is copied in). */
  private body: Buffer;
  private bodySize = 0;
  /** Uncompressed bytes written so far. */
  private plain = 0;
  /** Uncompressed bytes in the segments cut so far. */
  private cut = 0;
  /** Compressed bytes written so far (kept by the chain, in order). */
  private packed = HEADER.length;
  private crc = 0;
  private readonly index: DetailsIndex = { plain: [0], packed: [HEADER.length] };
  /** Writes happen in segment order: each waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Buffers whose compression is done, for the next segments (no fresh 1 MiB buffer per segment). */
  private readonly spare: Buffer[] = [];

  /** `rel`: the file's path in DEST without `.gz`. */
  constructor(out: OutputDir, rel: string) {
    this.file = out.create(rel, false, true);
    this.file.writeBuffer(HEADER);
    this.body = Buffer.allocUnsafeSlow(SEGMENT_BYTES);
  }

  /** Uncompressed bytes written so far: the offset of the next byte in the inflated file. */
  get bytes(): number {
    return this.plain;
  }

  writeBuffer(b: Uint8Array): void {
    this.plain += b.length;
    for (let at = 0; at < b.length;) {
      const n = Math.min(b.length - at, SEGMENT_BYTES - this.bodySize);
      this.body.set(at === 0 && n === b.length ? b : b.subarray(at, at + n), this.bodySize);
      this.bodySize += n;
      at += n;
      if (this.bodySize === SEGMENT_BYTES) this.segment();
    }
  }

  write(s: string): void {
    if (s !== '') this.writeBuffer(Buffer.from(s, 'utf8'));
  }

  /** Compress the body gathered so far as one segment and queue its write. */
  private segment(): void {
    const whole = this.body;
    const body = whole.subarray(0, this.bodySize);
    this.body = this.spare.pop() ?? Buffer.allocUnsafeSlow(SEGMENT_BYTES);
    this.bodySize = 0;
    const size = body.length;
    this.cut += size;
    this.index.plain.push(this.cut);
    const bodyCrc = crc32(body);
    const segment = deflateSegment(body);
    // Reported through the chain (and finish); a rejection must not be unhandled before then.
    segment.catch(() => undefined);
    this.pending++;
    this.chain = this.chain.then(async () => {
      const seg = await segment;
      this.pending--;
      if (this.spare.length <= MAX_PENDING) this.spare.push(whole);
      this.file.writeBuffer(seg);
      this.packed += seg.length;
      this.index.packed.push(this.packed);
      this.crc = crc32Combine(this.crc, bodyCrc, size);
    });
    this.chain.catch(() => undefined);
  }

  get full(): boolean {
    return this.pending >= MAX_PENDING || this.file.full;
  }

  async drained(): Promise<void> {
    if (this.pending >= MAX_PENDING) await this.chain;
    await this.file.drained();
  }

  /** The last segment, the final block and the trailer; the file closed. Returns the segments' index. */
  async finish(): Promise<DetailsIndex> {
    if (this.bodySize > 0) this.segment();
    await this.chain;
    this.file.writeBuffer(FINAL_BLOCK);
    this.file.writeBuffer(trailer(this.crc, this.plain));
    await this.file.close();
    return this.index;
  }
}
