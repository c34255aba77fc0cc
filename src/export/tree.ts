// `_tree.json`: test names split on `.` into nested nodes, built from a compact trie and the run's own
// raw entries read back from disk, so memory never holds every entry.
// Over 500 lines: the trie, the bucketed read-back and the walk share the trie's per-leaf arrays and node order;
// they are the parts to split along.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { borrowBuffer, copyBytes, giveBackBuffer, type ByteOut } from './out-file.js';
import { bytes, KEY } from './fields.js';

const INITIAL_NODES = 1024;
const NO_NODE = 0;
/** Int32 fields of a node's record, kept together so a lookup touches one cache line per node. */
const PARENT = 0;
const SEG_AT = 1;
const SEG_LEN = 2;
const FIRST = 3;
const LAST = 4;
const NEXT = 5;
const FIELDS = 6;
/**
 * Class prefixes remembered (a test's name up to its last `.` → its parent node): most lookups are then
 * one Map get plus one probe for the last segment, instead of a probe per segment. Cleared when full.
 */
const PARENTS_MAX = 4096;

/** Per-node arrays grow by half (not doubling): less unused tail for 400,000 names. */
const grown = (n: number): number => n + (n >> 1) + 16;

/** `from`'s values in a longer array of the same type (the tail filled with `fillWith`). */
function grow<T extends Float64Array | Int32Array | Uint8Array>(from: T, to: T, fillWith = 0): T {
  to.set(from);
  if (fillWith !== 0) to.fill(fillWith, from.length);
  return to;
}

/**
 * A copy of a string that shares no memory with its source: V8 keeps substrings (slice, split) as views
 * of their parent, so a cached prefix would otherwise keep the whole test id alive.
 */
const ownCopy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

/**
 * The trie of a run's names; the tree file is written from it at the end.
 *
 * No object, Map entry or string per name: every node (a `.`-separated segment of some name) is a record
 * in one Int32Array, its segment's bytes (JSON-escaped UTF-8, as the tree file spells it) sit in one byte
 * arena, and children are found through one open-addressing hash table keyed by (parent, segment bytes).
 * A name's "leaf" is the index of its last segment's node, so a test named like a prefix of others shares
 * the node that holds their children. Siblings are linked in order of first appearance, the order the
 * tree file lists them in.
 */
export class NameTrie {
  /** Nodes in use; node 0 is the top (the `""` root when first segments differ), never a name's leaf. */
  private count = 1;
  /** Nodes that are a name given to `node` (`find` answers -1 for a prefix that is not one). */
  private names = 0;
  /** `FIELDS` Int32 per node: parent, segment start and length in `arena`, first/last child, next sibling. */
  private rec = new Int32Array(INITIAL_NODES * FIELDS);
  private named = new Uint8Array(INITIAL_NODES);
  private arena = Buffer.allocUnsafe(16 * 1024);
  private arenaUsed = 0;
  /** Hash table of child nodes (0: empty slot), at most half full. */
  private table = new Int32Array(4 * INITIAL_NODES);
  /** The JSON-escaped UTF-8 bytes of the name (or segment) being looked up. */
  private scratch = Buffer.allocUnsafe(1024);
  private readonly parents = new Map<string, number>();

  // Per-leaf arrays, indexed by leaf: typed (17 bytes a leaf instead of four tagged slots and a heap number
  // for each large offset), grown with the nodes. They are replaced when they grow: index them through the
  // trie (`trie.off[leaf]`) rather than keeping a reference across `node()` calls.
  /**
   * Per leaf: byte offset of the latest entry with this full name in the entries file; -1 when none.
   * Float64: a 1 GB stream's entries file passes 2^31 bytes (offsets stay exact up to 2^53).
   */
  off = new Float64Array(INITIAL_NODES).fill(-1);
  /** Per leaf: byte length of that entry. */
  len = new Int32Array(INITIAL_NODES);
  /** Per leaf: byte length of its `{"name":<json>,` prefix. */
  pre = new Int32Array(INITIAL_NODES);
  /** Per leaf: 1 once a details key equal to this full name has been handed out. */
  keyed = new Uint8Array(INITIAL_NODES);
  /** Per leaf: the next `#n` suffix to try for a repeated name's details key (0: none handed out yet). */
  suffix = new Int32Array(INITIAL_NODES);

  /** Number of distinct names given to `node`. */
  get size(): number {
    return this.names;
  }

  /** Number of nodes (node ids are below it). */
  get nodes(): number {
    return this.count;
  }

  /** The leaf index of a full name, created when missing. */
  node(name: string): number {
    const leaf = this.lookup(name, true);
    if (this.named[leaf] === 0) {
      this.named[leaf] = 1;
      this.names++;
    }
    return leaf;
  }

  /** The leaf index of a full name, or -1 (never creates). */
  find(name: string): number {
    const leaf = this.lookup(name, false);
    return leaf > 0 && this.named[leaf] === 1 ? leaf : -1;
  }

  /** The node of a full name (or -1 when missing and not `create`), through the class-prefix cache. */
  private lookup(name: string, create: boolean): number {
    const dot = name.lastIndexOf('.');
    if (dot < 0) return this.walk(name, NO_NODE, create);
    const prefix = name.slice(0, dot);
    let parent = this.parents.get(prefix);
    if (parent === undefined) {
      parent = this.walk(prefix, NO_NODE, create);
      if (parent < 0) return -1;
      if (this.parents.size >= PARENTS_MAX) this.parents.clear();
      this.parents.set(ownCopy(prefix), parent);
    }
    return this.last(name, dot + 1, parent, create);
  }

  /**
   * The child of `parent` named `name` from `from` on, a last segment (no `.`): encoded and hashed in one
   * pass, without a substring, when it is printable ASCII; else through `walk`.
   */
  private last(name: string, from: number, parent: number, create: boolean): number {
    const n = name.length - from;
    if (n + 2 > this.scratch.length) this.scratch = Buffer.allocUnsafe(n * 6 + 1024);
    const b = this.scratch;
    let h = Math.imul(0x811c9dc5 ^ parent, 0x01000193);
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(from + i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c)
        return this.walk(name.slice(from), parent, create);
      b[i + 1] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return this.child(parent, 1, n + 1, mixed(h), create);
  }

  /**
   * The node of `name`'s segments under `node` (or -1 when missing and not `create`). The name is
   * JSON-escaped and encoded once; escaping is per character and never produces a `.`, so the escaped
   * name's segments are exactly the escaped segments as the tree file writes them (lone surrogates
   * included, as `\udXXX`). Printable ASCII, the usual test id, needs no escaping: copied as it is.
   */
  private walk(name: string, node: number, create: boolean): number {
    const n = name.length;
    if (n * 6 + 2 > this.scratch.length) this.scratch = Buffer.allocUnsafe(n * 6 + 1024);
    const b = this.scratch;
    let end = n + 1;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        end = b.write(JSON.stringify(name), 0, 'utf8') - 1;
        break;
      }
      b[i + 1] = c;
    }
    let start = 1;
    for (let i = 1; i <= end; i++) {
      if (i < end && b[i] !== 0x2e) continue;
      node = this.child(node, start, i, hashOf(b, start, i, node), create);
      if (node < 0) return -1;
      start = i + 1;
    }
    return node;
  }

  /**
   * The child of `p` whose segment is `scratch[a, z)` (hashed `h`, by `hashOf`), created when missing and
   * `create`; else -1.
   */
  private child(p: number, a: number, z: number, h: number, create: boolean): number {
    const b = this.scratch;
    const len = z - a;
    const mask = this.table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = this.table[slot] as number;
      if (id === NO_NODE) {
        if (!create) return -1;
        const made = this.add(p, a, z);
        this.table[slot] = made;
        if (this.count * 2 > this.table.length) this.rehash();
        return made;
      }
      const r = id * FIELDS;
      if (this.rec[r + PARENT] !== p || this.rec[r + SEG_LEN] !== len) continue;
      const s = this.rec[r + SEG_AT] as number;
      let k = 0;
      while (k < len && this.arena[s + k] === b[a + k]) k++;
      if (k === len) return id;
    }
  }

  /** A new node under `p` with segment `scratch[a, z)`, linked after its last sibling. */
  private add(p: number, a: number, z: number): number {
    const id = this.count;
    if (id === this.named.length) this.growNodes();
    this.count++;
    const at = this.arenaUsed;
    if (at + (z - a) > this.arena.length) {
      const arena = Buffer.allocUnsafe(grown(at + (z - a)));
      this.arena.copy(arena, 0, 0, at);
      this.arena = arena;
    }
    // Byte by byte: segments are short, and `copy` first makes a view of the range.
    const arena = this.arena;
    const b = this.scratch;
    for (let i = a, k = at; i < z; i++, k++) arena[k] = b[i] as number;
    this.arenaUsed = at + (z - a);
    const r = id * FIELDS;
    const rec = this.rec;
    rec[r + PARENT] = p;
    rec[r + SEG_AT] = at;
    rec[r + SEG_LEN] = z - a;
    rec[r + FIRST] = NO_NODE;
    rec[r + LAST] = NO_NODE;
    rec[r + NEXT] = NO_NODE;
    const last = rec[p * FIELDS + LAST] as number;
    if (last === NO_NODE) rec[p * FIELDS + FIRST] = id;
    else rec[last * FIELDS + NEXT] = id;
    rec[p * FIELDS + LAST] = id;
    return id;
  }

  private growNodes(): void {
    const cap = grown(this.named.length);
    this.rec = grow(this.rec, new Int32Array(cap * FIELDS));
    this.named = grow(this.named, new Uint8Array(cap));
    this.off = grow(this.off, new Float64Array(cap), -1);
    this.len = grow(this.len, new Int32Array(cap));
    this.pre = grow(this.pre, new Int32Array(cap));
    this.keyed = grow(this.keyed, new Uint8Array(cap));
    this.suffix = grow(this.suffix, new Int32Array(cap));
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    const rec = this.rec;
    for (let id = 1; id < this.count; id++) {
      const r = id * FIELDS;
      const s = rec[r + SEG_AT] as number;
      let slot = hashOf(this.arena, s, s + (rec[r + SEG_LEN] as number), rec[r + PARENT] as number) & mask;
      while (table[slot] !== NO_NODE) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }

  private first(n: number): number {
    return this.rec[n * FIELDS + FIRST] as number;
  }

  private nextOf(n: number): number {
    return this.rec[n * FIELDS + NEXT] as number;
  }

  private parentOf(n: number): number {
    return this.rec[n * FIELDS + PARENT] as number;
  }

  /** The next node of a depth-first walk in tree order (a node before its children), or 0 at the end. */
  private after(n: number): number {
    if (this.first(n) !== NO_NODE) return this.first(n);
    for (let x = n; x !== NO_NODE; x = this.parentOf(x))
      if (this.nextOf(x) !== NO_NODE) return this.nextOf(x);
    return NO_NODE;
  }

  /** The leaves that have an entry, in tree order: as `write` visits them. */
  private treeOrder(): Int32Array {
    const ranks = new Int32Array(this.count);
    let count = 0;
    for (let n = this.after(NO_NODE); n !== NO_NODE; n = this.after(n)) {
      if ((this.off[n] as number) >= 0) ranks[count++] = n;
    }
    return ranks.subarray(0, count);
  }

  /**
   * Write the tree: the original nested every name under one root named after a first segment; when the
   * first segments differ, our root is `""` with them as children (the spec's deliberate difference).
   *
   * The bytes are encoded straight into large buffers (segment names, and each leaf's entry fields copied
   * from the entries file) handed to `out` a chunk at a time, with backpressure between chunks: the tree is
   * as big as the raw entries, and written in one go it would sit whole in the file stream's buffer.
   * The walk follows sibling and parent links, so no stack grows with a name's depth.
   */
  async write(
    out: ByteOut,
    entriesPath: string,
    bucketBytes = BUCKET_BYTES,
    scratch: Uint8Array | null = null,
  ): Promise<void> {
    const leaves = new LeafStore(entriesPath, this.treeOrder(), this, bucketBytes, scratch);
    const enc = new ChunkWriter(out);
    try {
      const top = this.first(NO_NODE);
      // With one first segment, that node is the root; else the top is, as `""`.
      const root = top !== NO_NODE && this.nextOf(top) === NO_NODE ? top : NO_NODE;
      let n = root;
      for (;;) {
        const s = this.rec[n * FIELDS + SEG_AT] as number;
        enc.bytes(NAME);
        enc.from(this.arena, s, s + (this.rec[n * FIELDS + SEG_LEN] as number));
        enc.byte(0x22);
        if ((this.off[n] as number) >= 0) {
          // The entry is `{"name":<full>,<rest>}`: the leaf is `{"name":<segment>,<rest>,"name_full":<full>}`.
          const at = leaves.next();
          enc.copy(leaves.data, at, at + (this.len[n] as number) + BODY_EXTRA);
        }
        if (this.first(n) !== NO_NODE || n === NO_NODE) {
          enc.bytes(CHILDREN);
          if (this.first(n) === NO_NODE) {
            enc.bytes(CLOSE);
            break;
          }
          n = this.first(n);
        } else {
          enc.byte(0x7d);
          // Close every node this one is the last child of, up to the root.
          while (n !== root && this.nextOf(n) === NO_NODE) {
            n = this.parentOf(n);
            enc.bytes(CLOSE);
          }
          if (n === root) break;
          enc.byte(0x2c);
          n = this.nextOf(n);
        }
        if (enc.wait) await enc.drained();
      }
      enc.end();
    } finally {
      enc.release();
      leaves.close();
    }
  }
}

const NAME = bytes('{', KEY.name, '"');
const NAME_FULL = bytes(',', KEY.name_full);
const CHILDREN = bytes(',', KEY.children, '[');
const CLOSE = Buffer.from(']}');

/** FNV-1a of `b[a, z)` seeded with the parent node, then mixed (the table uses the low bits). */
function hashOf(b: Uint8Array, a: number, z: number, parent: number): number {
  let h = Math.imul(0x811c9dc5 ^ parent, 0x01000193);
  for (let i = a; i < z; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
  return mixed(h);
}

/** The final mix of `hashOf` (also applied by `NameTrie.last`, which hashes as it encodes). */
function mixed(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

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
    for (let r = 0; r < ranks.length; r++) total += (trie.len[ranks[r] as number] as number) + BODY_EXTRA;
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
      const len = (trie.len[ranks[r] as number] as number) + BODY_EXTRA;
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
    for (let r = 0; r < ranks.length; r++) offs[r] = trie.off[ranks[r] as number] as number;
    const order = byOffset(offs, ranks, trie.nodes);
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
        const off = trie.off[leaf] as number;
        const len = trie.len[leaf] as number;
        const pre = trie.pre[leaf] as number;
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
      pos += (trie.len[ranks[r] as number] as number) + BODY_EXTRA;
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
