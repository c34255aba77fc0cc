// `-z` details: each shard's body is deflated once and the same compressed bytes make both the shard file
// and the whole `_details.json.gz` (raw deflate segments ending in a full flush can be concatenated).
import { Buffer } from 'node:buffer';
import { constants as zc, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { awaitedLater, type OutFile, type OutputDir } from './output.js';

/** zlib level: `gzip -1`, as for the other files. */
const LEVEL = 1;
/** Room first given to a shard's body: shards close at about 1 MiB of attachments. */
const BODY_BYTES = 1536 * 1024;
/** Shard bodies being compressed at once (each ~1 MiB): enough to keep the pool busy, memory flat. */
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

/** The shards and the whole details file of one run, under `-z`. */
export class SharedGzipDetails {
  private readonly out: OutputDir;
  /** `_details.json.gz`, written with the compressed segments as they come. */
  readonly details: OutFile;
  /** The current shard's body, copied in as it is written (callers reuse their buffers). */
  private body: Buffer = Buffer.alloc(0);
  private bodySize = 0;
  private shard: OutFile | null = null;
  private shardCount = 0;
  /** Writes happen in shard order: each waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private detailsCrc = CRC_OPEN;
  private detailsSize = 1;
  private readonly closing: Promise<void>[] = [];
  /**
   * Body buffers whose compression is done, for the next shards: a fresh 1.5 MiB buffer per shard lived
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
    this.body = this.spare.pop() ?? Buffer.allocUnsafeSlow(BODY_BYTES);
    this.bodySize = 0;
    return this.shard.relPath;
  }

  /** Bytes of the current shard's body (the shard file between its braces). */
  writeBuffer(b: Buffer): void {
    if (this.body.length - this.bodySize < b.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.body.length * 2, this.bodySize + b.length));
      this.body.copy(bigger, 0, 0, this.bodySize);
      this.body = bigger;
    }
    this.body.set(b, this.bodySize);
    this.bodySize += b.length;
  }

  write(s: string): void {
    if (s !== '') this.writeBuffer(Buffer.from(s, 'utf8'));
  }

  /** Compress the current shard's body (off the main thread) and queue its writes. */
  endShard(): void {
    const shard = this.shard;
    if (shard === null) return;
    this.shard = null;
    const whole = this.body;
    const body = whole.subarray(0, this.bodySize);
    this.body = Buffer.alloc(0);
    this.bodySize = 0;
    const first = this.shardCount++ === 0;
    const bodyCrc = crc32(body);
    const size = body.length;
    const segment = deflateSegment(body);
    // Reported through the chain (and close); a rejection must not be unhandled before then.
    segment.catch(() => undefined);
    this.pending++;
    this.chain = this.chain.then(async () => {
      const seg = await segment;
      this.pending--;
      // zlib is done with the body: its buffer serves a later shard (a grown one is left to the GC).
      if (whole.length === BODY_BYTES && this.spare.length <= MAX_PENDING) this.spare.push(whole);
      const shardCrc = crc32Combine(crc32Combine(CRC_OPEN, bodyCrc, size), CRC_CLOSE, 1);
      for (const b of [HEADER, OPEN, seg, CLOSE, trailer(shardCrc, size + 2)]) shard.writeBuffer(b);
      this.closing.push(awaitedLater(shard.close()));
      if (!first) {
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
