// `-z` details: each shard's body is deflated once and the same compressed bytes make both the shard file
// and the whole `_details.json.gz` (raw deflate segments ending in a full flush can be concatenated).
import { Buffer } from 'node:buffer';
import { constants as zc, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { awaitedLater, type OutFile, type OutputDir } from './output.js';

/** zlib level: `gzip -1`, as for the other files. */
const LEVEL = 1;
/** Bytes of a body segment compressed at once (a test's details bigger than that make a bigger one). */
const BODY_BYTES = 1536 * 1024;
/** Body segments being compressed at once: enough to keep the pool busy, memory flat. */
const MAX_PENDING = 3;

/** A gzip member header: deflate, no name, mtime 0, Unix. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
const fullFlush = (s: string): Buffer => deflateRawSync(Buffer.from(s), { finishFlush: zc.Z_FULL_FLUSH });
const OPEN = fullFlush('{');
const COMMA = fullFlush(',');
/** The last segment: `}` in a final block. */
const CLOSE = deflateRawSync(Buffer.from('}'));
const CRC_OPEN = crc32('{');
const CRC_COMMA = crc32(',');
const CRC_CLOSE = crc32('}');

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

/** CRC-32 of A‖B from crc(A), crc(B) and B's length (zlib's crc32_combine), so each body is summed once. */
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
 * The shards and the whole details file of one run, under `-z`. A shard's body is compressed in segments of
 * at most BODY_BYTES as it is written (a shard may hold 8 MiB: run-writer.ts shardTarget), so memory does not
 * grow with the shard's size.
 */
export class SharedGzipDetails {
  private readonly out: OutputDir;
  /** `_details.json.gz`, written with the compressed segments as they come. */
  readonly details: OutFile;
  /** The current segment of the current shard's body, copied in as it is written (callers reuse their buffers). */
  private body: Buffer = Buffer.alloc(0);
  private bodySize = 0;
  private shard: OutFile | null = null;
  /** True once the current shard has had a segment. */
  private shardStarted = false;
  private shardCount = 0;
  /** Writes happen in segment order: each waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private detailsCrc = CRC_OPEN;
  private detailsSize = 1;
  /** CRC and size of the shard being written (kept by the chain, in order). */
  private shardCrc = 0;
  private shardSize = 0;
  private readonly closing: Promise<void>[] = [];
  /**
   * Body buffers whose compression is done, for the next segments: a fresh 1.5 MiB buffer per segment lived
   * until a full GC once it had outlived two scavenges while being compressed (1 GB stream with -z: tens of MB).
   */
  private readonly spare: Buffer[] = [];

  constructor(out: OutputDir, detailsRel: string) {
    this.out = out;
    this.details = out.create(detailsRel, false, true);
    this.details.writeBuffer(HEADER);
    this.details.writeBuffer(OPEN);
  }

  /** Start the shard at `rel` (a data file: `.gz` is appended); returns its path relative to DEST. */
  startShard(rel: string): string {
    this.shard = this.out.create(rel, false, true);
    this.shardStarted = false;
    this.body = this.spare.pop() ?? Buffer.allocUnsafeSlow(BODY_BYTES);
    this.bodySize = 0;
    return this.shard.relPath;
  }

  /** Bytes of the current shard's body (the shard file between its braces). */
  writeBuffer(b: Buffer): void {
    if (this.bodySize > 0 && this.bodySize + b.length > this.body.length) this.segment(false);
    if (this.body.length < b.length) this.body = Buffer.allocUnsafeSlow(b.length);
    this.body.set(b, this.bodySize);
    this.bodySize += b.length;
  }

  write(s: string): void {
    if (s !== '') this.writeBuffer(Buffer.from(s, 'utf8'));
  }

  /** End the current shard: its last segment, then its closing brace and trailer. */
  endShard(): void {
    if (this.shard !== null) this.segment(true);
  }

  /**
   * Compress the body gathered so far as one segment (off the main thread) and queue its writes to the shard
   * and to the details file; `last`: the shard ends with it.
   */
  private segment(last: boolean): void {
    const shard = this.shard as OutFile;
    const whole = this.body;
    const body = whole.subarray(0, this.bodySize);
    const startsShard = !this.shardStarted;
    const startsRun = startsShard && this.shardCount === 0;
    this.shardStarted = true;
    if (last) {
      this.shard = null;
      this.shardCount++;
      this.body = Buffer.alloc(0);
    } else {
      this.body = this.spare.pop() ?? Buffer.allocUnsafeSlow(BODY_BYTES);
    }
    this.bodySize = 0;
    const bodyCrc = crc32(body);
    const size = body.length;
    const segment = deflateSegment(body);
    // Reported through the chain (and close); a rejection must not be unhandled before then.
    segment.catch(() => undefined);
    this.pending++;
    this.chain = this.chain.then(async () => {
      const seg = await segment;
      this.pending--;
      // zlib is done with the body: its buffer serves a later segment (a grown one is left to the GC).
      if (whole.length === BODY_BYTES && this.spare.length <= MAX_PENDING) this.spare.push(whole);
      if (startsShard) {
        shard.writeBuffer(HEADER);
        shard.writeBuffer(OPEN);
        this.shardCrc = CRC_OPEN;
        this.shardSize = 1;
      }
      shard.writeBuffer(seg);
      this.shardCrc = crc32Combine(this.shardCrc, bodyCrc, size);
      this.shardSize += size;
      if (last) {
        shard.writeBuffer(CLOSE);
        shard.writeBuffer(trailer(crc32Combine(this.shardCrc, CRC_CLOSE, 1), this.shardSize + 1));
        this.closing.push(awaitedLater(shard.close()));
      }
      if (startsShard && !startsRun) {
        this.details.writeBuffer(COMMA);
        this.detailsCrc = crc32Combine(this.detailsCrc, CRC_COMMA, 1);
        this.detailsSize += 1;
      }
      this.details.writeBuffer(seg);
      this.detailsCrc = crc32Combine(this.detailsCrc, bodyCrc, size);
      this.detailsSize += size;
    });
    // Errors surface in finish() (which awaits the chain); until then they must not count as unhandled.
    this.chain.catch(() => undefined);
  }

  get full(): boolean {
    return this.pending >= MAX_PENDING || this.details.full;
  }

  /** Only for the ByteSink shape: the run writer closes the shards through finish(). */
  close(): Promise<void> {
    return Promise.resolve();
  }

  async drained(): Promise<void> {
    if (this.pending >= MAX_PENDING) await this.chain;
    await this.details.drained();
  }

  /** Every shard written and closed, the details file finished and closed. */
  async finish(): Promise<void> {
    this.endShard();
    await this.chain;
    this.details.writeBuffer(CLOSE);
    this.details.writeBuffer(trailer(crc32Combine(this.detailsCrc, CRC_CLOSE, 1), this.detailsSize + 1));
    await Promise.all([this.details.close(), ...this.closing]);
  }
}
