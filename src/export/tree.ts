// `_tree.json`: the run's names (name-trie.ts) nested by segment, each test's fields read back from the run's
// own raw entries on disk, so memory never holds every entry.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { borrowBuffer, copyBytes, giveBackBuffer, type ByteOut } from './out-file.js';
import { bytes, KEY } from './fields.js';
import type { NameTrie } from './name-trie.js';

/**
 * Write the tree of `trie`'s names, in the order `trie.order()` gives, each test's fields taken from its
 * latest entry in the entries file at `entriesPath`.
 *
 * The bytes are encoded straight into large buffers (segment names, and each leaf's entry fields copied
 * from the entries file) handed to `out` a chunk at a time, with backpressure between chunks: the tree is
 * as big as the raw entries, and written in one go it would sit whole in the file stream's buffer.
 * A test's segment is taken from its own entry (the full name's escaped bytes after their last `.`): the
 * trie keeps no bytes of its names.
 */
export async function writeTree(
  trie: NameTrie,
  out: ByteOut,
  entriesPath: string,
  bucketBytes = BUCKET_BYTES,
  scratch: Uint8Array | null = null,
): Promise<void> {
  const program = trie.order();
  // The names whose fields are written, in tree order: the leaves and the prefixes that are names too.
  const ranks = new Int32Array(program.length);
  let n = 0;
  for (const op of program) {
    const i = fieldsOf(trie, op);
    if (i >= 0) ranks[n++] = i;
  }
  const leaves = new LeafStore(entriesPath, ranks.subarray(0, n), trie, bucketBytes, scratch);
  const enc = new ChunkWriter(out);
  try {
    let comma = false;
    for (const op of program) {
      if (op === -1) {
        enc.bytes(CLOSE);
        comma = true;
        if (enc.wait) await enc.drained();
        continue;
      }
      if (comma) enc.byte(0x2c);
      enc.bytes(NAME);
      if (op >= 0) {
        // `{"name":<segment>,<rest>,"name_full":<full>}`, the segment from the end of the body.
        const at = leaves.next();
        const body = trie.lenOf(op) + BODY_EXTRA;
        const end = at + body - 1;
        const full = at + body - (trie.preOf(op) - 9);
        let seg = end;
        while (seg > full + 1 && leaves.data[seg - 1] !== 0x2e) seg--;
        enc.from(leaves.data, seg, end + 1);
        enc.copy(leaves.data, at, at + body);
        enc.byte(0x7d);
        comma = true;
      } else {
        const node = -op - 2;
        const { arena, at: s, len } = trie.segment(node);
        enc.from(arena, s, s + len);
        enc.byte(0x22);
        if (fieldsOf(trie, op) >= 0) {
          const at = leaves.next();
          enc.copy(leaves.data, at, at + trie.lenOf(trie.nameOfNode(node)) + BODY_EXTRA);
        }
        enc.bytes(CHILDREN);
        comma = false;
      }
      if (enc.wait) await enc.drained();
    }
    enc.end();
  } finally {
    enc.release();
    leaves.close();
  }
}

/** The name whose fields a program step writes, or -1. */
function fieldsOf(trie: NameTrie, op: number): number {
  if (op >= 0) return op;
  if (op === -1) return -1;
  const name = trie.nameOfNode(-op - 2);
  return name >= 0 && trie.offOf(name) >= 0 ? name : -1;
}

const NAME = bytes('{', KEY.name, '"');
const NAME_FULL = bytes(',', KEY.name_full);
const CHILDREN = bytes(',', KEY.children, '[');
const CLOSE = Buffer.from(']}');

/**
 * Encodes the tree into one large buffer, handed to the output file (which copies it) each time it fills,
 * so a leaf costs a few copies instead of string concatenations and several `write` calls.
 */
class ChunkWriter {
  private readonly out: ByteOut;
  /** A borrowed gathering buffer (out-file.ts). */
  private readonly borrowed = borrowBuffer();
  private buf = this.borrowed;
  private pos = 0;
  /** True once a chunk went out while the file's buffer is full: the caller awaits `drained()`. */
  wait = false;

  constructor(out: ByteOut) {
    this.out = out;
  }

  /** Room for `n` more bytes in the current chunk. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.out.writeBuffer(this.buf.subarray(0, this.pos));
    this.pos = 0;
    if (this.out.full) this.wait = true;
  }

  async drained(): Promise<void> {
    this.wait = false;
    await this.out.drained();
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** A short constant. */
  bytes(src: Uint8Array): void {
    this.from(src, 0, src.length);
  }

  /**
   * `src[start, end)` copied byte by byte when short (a segment): cheaper than `copy`'s native call, which
   * first makes a view of the range.
   */
  from(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > 48) return this.copy(src, start, end);
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) buf[p++] = src[i] as number;
    this.pos = p;
  }

  copy(src: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    copyBytes(this.buf, this.pos, src, start, end);
    this.pos += end - start;
  }

  end(): void {
    this.flush();
  }

  /** Give the borrowed buffer back (each chunk handed out was written or copied at once). */
  release(): void {
    giveBackBuffer(this.borrowed);
  }
}

/** Entries are regrouped in buckets of about this many bytes; one bucket is in memory at a time. */
const BUCKET_BYTES = 24 * 1024 * 1024;
/** Smallest bucket worth laying out in a scratch buffer (smaller ones mean many bucket files). */
const MIN_SCRATCH_BUCKET = 4 * 1024 * 1024;
/** Bytes of the entries file read at a time. */
const READ_CHUNK = 1024 * 1024;
/** Bytes gathered per bucket file before a write. */
const STAGE_BYTES = 128 * 1024;
/** A leaf's body is its entry's `{"name":<full>,<rest>}` as `,<rest>,"name_full":<full>`: 4 bytes more. */
const BODY_EXTRA = 4;

/**
 * Hands out the leaves' bodies in tree order: the bytes a leaf has after its `{"name":<segment>`, made from
 * its entry. Tree order is not stream order, and random reads of a big file are slow, so the entries file
 * is read once, front to back, and each entry's body copied to its bucket: a range of tree positions small
 * enough to hold in memory. The first bucket is built in memory, each later one in a file of its own, read
 * back over the first when the walk reaches it. Within a bucket, bodies keep their file order (no headers:
 * positions are recomputed from the lengths).
 *
 * One allocation serves the buckets, the read chunk and the staging of each bucket file: fresh memory
 * costs a page fault per 4 KB on first touch, and copies inside one buffer (`copyWithin`) need no view
 * objects, several times cheaper than `Buffer.copy` for entries of a few hundred bytes.
 */
class LeafStore {
  private readonly path: string;
  private readonly trie: NameTrie;
  /** Leaf of each rank (tree position). */
  private readonly ranks: Int32Array;
  /** First rank of each bucket, plus the total at the end. */
  private readonly bucketStart: number[];
  /** Ranks grouped by bucket, each bucket's in file order (as its bodies are stored). */
  private readonly byBucket: Int32Array;
  private readonly bucketFiles: string[] = [];
  private rank = 0;
  private bucket = -1;
  /** The loaded bucket's bodies, from offset 0. */
  readonly data: Buffer;
  /** Offset in `data` of each rank of the loaded bucket. */
  private at = new Float64Array(0);

  /**
   * `scratch`: memory free for the tree phase (the pipeline's idle rings, already in memory). The buckets are
   * laid out to fit in it when it can hold a worthwhile one, so the phase allocates nothing (a fresh 25 MB
   * bucket for the benchmark's 80,000 tests was 15 MB of peak RSS and its page faults).
   */
  constructor(
    path: string,
    ranks: Int32Array,
    trie: NameTrie,
    bucketBytes: number,
    scratch: Uint8Array | null,
  ) {
    this.path = path;
    this.trie = trie;
    this.ranks = ranks;
    let total = 0;
    for (let r = 0; r < ranks.length; r++) total += trie.lenOf(ranks[r] as number) + BODY_EXTRA;
    let layout = this.layout(bucketBytes);
    let data: Buffer | null = null;
    if (scratch !== null && total > 0) {
      // Buckets as big as the scratch allows once the read chunk and the staging areas are in it too.
      let b = scratch.length - READ_CHUNK;
      for (let i = 0; i < 4 && b > 0; i++)
        b = scratch.length - READ_CHUNK - Math.ceil(total / b) * STAGE_BYTES;
      if (b >= MIN_SCRATCH_BUCKET) {
        const fit = this.layout(b);
        if (fit.bytes <= scratch.length) {
          layout = fit;
          data = Buffer.from(scratch.buffer, scratch.byteOffset, fit.bytes);
        }
      }
    }
    this.bucketStart = layout.starts;
    const none = ranks.length === 0;
    this.data = data ?? Buffer.allocUnsafe(none ? 0 : layout.bytes);
    this.byBucket = none ? new Int32Array(0) : this.split(layout.maxBucket);
  }

  /**
   * Buckets of at most `bucketBytes` (or one body): their first ranks plus the total, the biggest bucket,
   * and the memory they need: [bucket | read chunk | one staging area per later bucket].
   */
  private layout(bucketBytes: number): { starts: number[]; maxBucket: number; bytes: number } {
    const { ranks, trie } = this;
    const starts = [0];
    let bytes = 0;
    let maxBucket = 0;
    for (let r = 0; r < ranks.length; r++) {
      const len = trie.lenOf(ranks[r] as number) + BODY_EXTRA;
      if (bytes + len > bucketBytes && bytes > 0) {
        starts.push(r);
        bytes = 0;
      }
      bytes += len;
      maxBucket = Math.max(maxBucket, bytes);
    }
    starts.push(ranks.length);
    return { starts, maxBucket, bytes: maxBucket + READ_CHUNK + (starts.length - 2) * STAGE_BYTES };
  }

  /**
   * One sequential pass over the entries file, each entry's body copied to its bucket (the first in
   * memory, the others to their files); the ranks grouped by bucket, in file order inside each.
   */
  private split(readAt: number): Int32Array {
    const { ranks, trie, bucketStart, data: mem } = this;
    const nb = bucketStart.length - 1;
    const offs = new Float64Array(ranks.length);
    for (let r = 0; r < ranks.length; r++) offs[r] = trie.offOf(ranks[r] as number);
    const order = byOffset(offs, ranks, trie.size);
    const bucketOf = new Uint32Array(order.length);
    for (let b = 1; b < nb; b++) bucketOf.fill(b, bucketStart[b], bucketStart[b + 1]);
    // Stable grouping by bucket (a counting sort), keeping file order inside each bucket.
    const byBucket = new Int32Array(order.length);
    const fill = bucketStart.slice(0, nb);
    for (const r of order) {
      const b = bucketOf[r] as number;
      byBucket[fill[b] as number] = r;
      fill[b] = (fill[b] as number) + 1;
    }

    const stageAt = readAt + READ_CHUNK;
    const fds: number[] = [];
    const staged = new Float64Array(nb);
    const fd = openSync(this.path, 'r');
    try {
      for (let b = 1; b < nb; b++) {
        const f = `${this.path}.bucket${b}`;
        this.bucketFiles.push(f);
        fds.push(openSync(f, 'w'));
      }
      const flush = (b: number): void => {
        writeAll(fds[b - 1] as number, mem, stageAt + (b - 1) * STAGE_BYTES, staged[b] as number);
        staged[b] = 0;
      };
      let chunkStart = 0;
      let chunkEnd = 0;
      let firstPos = 0;
      for (const r of order) {
        const leaf = ranks[r] as number;
        const off = trie.offOf(leaf);
        const len = trie.lenOf(leaf);
        const pre = trie.preOf(leaf);
        const b = bucketOf[r] as number;
        const body = len + BODY_EXTRA;
        if (b > 0 && (staged[b] as number) + body > STAGE_BYTES) flush(b);
        if (len > READ_CHUNK || (b > 0 && body > STAGE_BYTES)) {
          // Larger than the read chunk or a staging area (rare): through a buffer of its own.
          const own = Buffer.allocUnsafe(len);
          if (readFully(fd, own, off) < len)
            throw new Error(`entries file ${this.path} is shorter than its index`);
          const out = b === 0 ? mem : Buffer.allocUnsafe(body);
          bodyOf(own, 0, len, pre, out, b === 0 ? firstPos : 0);
          if (b === 0) firstPos += body;
          else writeAll(fds[b - 1] as number, out, 0, body);
          continue;
        }
        if (off < chunkStart || off + len > chunkEnd) {
          const got = readFully(fd, mem.subarray(readAt, readAt + READ_CHUNK), off);
          if (got < len) throw new Error(`entries file ${this.path} is shorter than its index`);
          chunkStart = off;
          chunkEnd = off + got;
        }
        const from = readAt + off - chunkStart;
        if (b === 0) {
          bodyOf(mem, from, len, pre, mem, firstPos);
          firstPos += body;
        } else {
          bodyOf(mem, from, len, pre, mem, stageAt + (b - 1) * STAGE_BYTES + (staged[b] as number));
          staged[b] = (staged[b] as number) + body;
        }
      }
      for (let b = 1; b < nb; b++) flush(b);
    } finally {
      closeSync(fd);
      for (const f of fds) closeSync(f);
    }
    return byBucket;
  }

  private load(b: number): void {
    this.bucket = b;
    const first = this.bucketStart[b] as number;
    const end = this.bucketStart[b + 1] as number;
    const { ranks, trie } = this;
    this.at = new Float64Array(end - first);
    let pos = 0;
    for (let i = first; i < end; i++) {
      const r = this.byBucket[i] as number;
      this.at[r - first] = pos;
      pos += trie.lenOf(ranks[r] as number) + BODY_EXTRA;
    }
    // Bucket 0 was built in place by `split`; a later one is read over it.
    if (b > 0) {
      const fd = openSync(this.bucketFiles[b - 1] as string, 'r');
      try {
        if (readFully(fd, this.data.subarray(0, pos), 0) < pos) throw new Error('bucket file is short');
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Where the body of the next leaf in tree order starts in `data` (it is its entry's length + 4). */
  next(): number {
    const r = this.rank++;
    while (this.bucket < 0 || r >= (this.bucketStart[this.bucket + 1] as number)) this.load(this.bucket + 1);
    return this.at[r - (this.bucketStart[this.bucket] as number)] as number;
  }

  close(): void {
    for (const f of this.bucketFiles) rmSync(f, { force: true });
  }
}

/**
 * Write the body of the entry `src[from, from + len)` (whose `{"name":<full>,` prefix is `pre` bytes) at
 * `out[at]`: `,<rest>,"name_full":<full>`.
 */
function bodyOf(src: Buffer, from: number, len: number, pre: number, out: Buffer, at: number): void {
  const rest = len - 1 - pre;
  out[at] = 0x2c;
  copyBytes(out, at + 1, src, from + pre, from + pre + rest);
  let p = at + 1 + rest;
  for (let i = 0; i < NAME_FULL.length; i++) out[p++] = NAME_FULL[i] as number;
  copyBytes(out, p, src, from + 8, from + pre - 1);
}

/** Write `len` bytes of `buf` from `start`, however many calls it takes. */
function writeAll(fd: number, buf: Buffer, start: number, len: number): void {
  for (let done = 0; done < len;) done += writeSync(fd, buf, start + done, len - done);
}

/**
 * Indices of `offs` (non-negative integers) in increasing order of their values. Normally one native sort
 * of `off * n + index` (no comparator calls; this runs once per export, so native code beats a radix sort
 * that has to be compiled first); a comparator sort when that could pass 2^53 and lose bits.
 */
export function byOffset(offs: Float64Array, leaves: Int32Array | null = null, nodes = 0): Int32Array {
  const n = offs.length;
  if (leaves !== null) {
    // `leaves[r]`: the node of `offs[r]`, of `nodes`. A leaf is made when its first entry is written, so
    // node order is file order unless a name came back (a retry moves its leaf's entry later): one pass over
    // the nodes, kept when the offsets it gives do increase, instead of a sort (7-9 ms for 80,000 tests).
    const rankOf = new Int32Array(nodes).fill(-1);
    for (let r = 0; r < n; r++) rankOf[leaves[r] as number] = r;
    const order = new Int32Array(n);
    let k = 0;
    let last = -1;
    for (let id = 0; id < nodes; id++) {
      const r = rankOf[id] as number;
      if (r < 0) continue;
      const o = offs[r] as number;
      if (o <= last) break;
      last = o;
      order[k++] = r;
    }
    if (k === n) return order;
  }
  let max = 0;
  for (let r = 0; r < n; r++) max = Math.max(max, offs[r] as number);
  const order = new Int32Array(n);
  if ((max + 1) * n <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let r = 0; r < n; r++) keys[r] = (offs[r] as number) * n + r;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = (keys[i] as number) % n;
    return order;
  }
  for (let r = 0; r < n; r++) order[r] = r;
  return order.sort((a, b) => (offs[a] as number) - (offs[b] as number) || a - b);
}

/** Read into `buf` from `pos` until it is full or the file ends; the bytes read. */
function readFully(fd: number, buf: Buffer, pos: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
