// `_tree.json`: test names split on `.` into nested nodes, built from a compact trie and the run's own
// raw entries read back from disk, so memory never holds every entry.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import type { OutFile } from './output.js';

/**
 * An inner node of the name trie (a segment with children). Most nodes are leaves without children
 * (one per test): those are only a number in their parent's Map, an index into the trie's leaf arrays,
 * so 400,000 tests cost a Map entry and a few typed-array slots each instead of an object.
 */
export interface TrieNode {
  /** This node's segment. */
  readonly s: string;
  /** Children by segment (data: a Map), in order of first appearance: a node, or a leaf index. */
  readonly c: Map<string, TrieNode | number>;
  /** Leaf index of this node's own name (a test named like a prefix of others), or -1. */
  leaf: number;
}

/**
 * A copy of a string that shares no memory with its source: V8 keeps substrings (split, regex captures) as
 * views of their parent, so a stored segment would otherwise keep the whole test id, or a larger decoded
 * buffer string, alive for the rest of the run.
 */
const ownCopy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

const PARENTS_MAX = 1 << 16;
const INITIAL_LEAVES = 1024;

const newNode = (s: string, leaf = -1): TrieNode => ({ s, c: new Map(), leaf });

/** The trie of a run's names; the tree file is written from it at the end. */
export class NameTrie {
  /** Holds the first segments; it is the `""` root when they are not all the same. */
  private readonly top = newNode('');
  private leaves = 0;

  // Per-leaf arrays, indexed by leaf: typed (17 bytes a leaf instead of four tagged slots and a heap number
  // for each large offset), doubled when full. They are replaced when they grow: index them through the
  // trie (`trie.off[leaf]`) rather than keeping a reference across `node()` calls.
  /**
   * Per leaf: byte offset of the latest entry with this full name in the entries file; -1 when none.
   * Float64: a 1 GB stream's entries file passes 2^31 bytes (offsets stay exact up to 2^53).
   */
  off = new Float64Array(INITIAL_LEAVES).fill(-1);
  /** Per leaf: byte length of that entry. */
  len = new Int32Array(INITIAL_LEAVES);
  /** Per leaf: byte length of its `{"name":<json>,` prefix. */
  pre = new Int32Array(INITIAL_LEAVES);
  /** Per leaf: 1 once a details key equal to this full name has been handed out. */
  keyed = new Uint8Array(INITIAL_LEAVES);

  /**
   * Node of each name's prefix up to its last `.` (the test's class), so most lookups are one Map get
   * plus one child instead of a walk over every segment. Bounded by the trie itself; cleared when large.
   */
  private readonly parents = new Map<string, TrieNode>();

  /** Number of leaves (names given to `node`, and prefixes promoted to a name of their own). */
  get size(): number {
    return this.leaves;
  }

  private newLeaf(): number {
    const i = this.leaves++;
    if (i === this.off.length) {
      const cap = this.off.length * 2;
      const off = new Float64Array(cap).fill(-1);
      off.set(this.off);
      this.off = off;
      this.len = grow(this.len, new Int32Array(cap));
      this.pre = grow(this.pre, new Int32Array(cap));
      this.keyed = grow(this.keyed, new Uint8Array(cap));
    }
    return i;
  }

  /** The leaf index of a full name, created when missing. */
  node(name: string): number {
    const dot = name.lastIndexOf('.');
    if (dot < 0) return this.leafOf(this.top, name);
    const prefix = name.slice(0, dot);
    let parent = this.parents.get(prefix);
    if (parent === undefined) {
      parent = this.top;
      for (const seg of prefix.split('.')) parent = this.inner(parent, seg);
      if (this.parents.size >= PARENTS_MAX) this.parents.clear();
      this.parents.set(ownCopy(prefix), parent);
    }
    return this.leafOf(parent, name.slice(dot + 1));
  }

  /** The leaf of `seg` under `n`, created when missing. */
  private leafOf(n: TrieNode, seg: string): number {
    const child = n.c.get(seg);
    if (child === undefined) {
      const i = this.newLeaf();
      n.c.set(ownCopy(seg), i);
      return i;
    }
    if (typeof child === 'number') return child;
    if (child.leaf < 0) child.leaf = this.newLeaf();
    return child.leaf;
  }

  /** The inner node of `seg` under `n`, created (or promoted from a leaf, keeping its place) when needed. */
  private inner(n: TrieNode, seg: string): TrieNode {
    const child = n.c.get(seg);
    if (child !== undefined && typeof child !== 'number') return child;
    const key = ownCopy(seg);
    const node = newNode(key, child ?? -1);
    // Map.set on an existing key keeps its insertion order: the promoted node stays where the leaf was.
    n.c.set(child === undefined ? key : seg, node);
    return node;
  }

  /** The leaf index of a full name, or -1 (never creates). */
  find(name: string): number {
    let n: TrieNode = this.top;
    const segs = name.split('.');
    for (let k = 0; k < segs.length; k++) {
      const child = n.c.get(segs[k] as string);
      if (child === undefined) return -1;
      if (k === segs.length - 1) return typeof child === 'number' ? child : child.leaf;
      if (typeof child === 'number') return -1;
      n = child;
    }
    return -1;
  }

  /**
   * The leaves that have an entry, in tree order: a depth-first walk, as `write` does it (a node's own
   * entry before its children's). Iterative: a name with thousands of segments must not overflow the stack.
   */
  private treeOrder(): Int32Array {
    const ranks = new Int32Array(this.leaves);
    let count = 0;
    const visit = (leaf: number): void => {
      if (leaf >= 0 && (this.off[leaf] as number) >= 0) ranks[count++] = leaf;
    };
    const stack: MapIterator<TrieNode | number>[] = [this.top.c.values()];
    while (stack.length > 0) {
      const r = (stack[stack.length - 1] as MapIterator<TrieNode | number>).next();
      if (r.done === true) {
        stack.pop();
      } else if (typeof r.value === 'number') {
        visit(r.value);
      } else {
        visit(r.value.leaf);
        stack.push(r.value.c.values());
      }
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
   */
  async write(out: OutFile, entriesPath: string, bucketBytes = BUCKET_BYTES): Promise<void> {
    const leaves = new LeafStore(entriesPath, this.treeOrder(), this, bucketBytes);
    const enc = new ChunkWriter(out);
    try {
      // The walk: one iterator per open node, and whether that node has written a child yet.
      const stack: MapIterator<[string, TrieNode | number]>[] = [];
      const started: boolean[] = [];
      const open = (seg: string, child: TrieNode | number): void => {
        const leaf = typeof child === 'number' ? child : child.leaf;
        enc.ascii('{"name":');
        enc.string(JSON.stringify(seg));
        if (leaf >= 0 && (this.off[leaf] as number) >= 0) {
          // The entry is `{"name":<full>,<rest>}`: the leaf is `{"name":<segment>,<rest>,"name_full":<full>}`.
          const at = leaves.next();
          const pre = this.pre[leaf] as number;
          enc.byte(0x2c);
          enc.bytes(leaves.data, at + pre, at + (this.len[leaf] as number) - 1);
          enc.ascii(',"name_full":');
          enc.bytes(leaves.data, at + 8, at + pre - 1);
        }
        if (typeof child === 'number') {
          enc.byte(0x7d);
        } else {
          enc.ascii(',"children":[');
          stack.push(child.c.entries());
          started.push(false);
        }
      };
      const firsts = this.top.c;
      if (firsts.size === 1) {
        const [seg, child] = firsts.entries().next().value as [string, TrieNode | number];
        open(seg, child);
      } else {
        enc.ascii('{"name":"","children":[');
        stack.push(firsts.entries());
        started.push(false);
      }
      while (stack.length > 0) {
        const r = (stack[stack.length - 1] as MapIterator<[string, TrieNode | number]>).next();
        if (r.done === true) {
          stack.pop();
          started.pop();
          enc.ascii(']}');
        } else {
          if (started[started.length - 1] === true) enc.byte(0x2c);
          else started[started.length - 1] = true;
          open(r.value[0], r.value[1]);
        }
        if (enc.wait) await enc.drained();
      }
      enc.end();
    } finally {
      leaves.close();
    }
  }
}

/** `to` holding `from`'s values (a doubled per-leaf array). */
function grow<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Bytes gathered before a chunk is handed to the output file. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Encodes the tree into large buffers and hands each full one to the output file as it is (never touched
 * again), so a leaf costs a few copies instead of string concatenations and several `write` calls.
 */
class ChunkWriter {
  private readonly out: OutFile;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos = 0;
  /** True once a chunk went out while the file's buffer is full: the caller awaits `drained()`. */
  wait = false;

  constructor(out: OutFile) {
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
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
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

  /** A constant ASCII string. */
  ascii(s: string): void {
    this.room(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** Any string, as UTF-8 (at most 3 bytes per UTF-16 unit). */
  string(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(src: Buffer, start: number, end: number): void {
    this.room(end - start);
    this.pos += src.copy(this.buf, this.pos, start, end);
  }

  end(): void {
    this.flush();
  }
}

/** Entries are regrouped in buckets of about this many bytes; one bucket is in memory at a time. */
const BUCKET_BYTES = 24 * 1024 * 1024;
/** Bytes of the entries file read at a time when regrouping. */
const READ_CHUNK = 8 * 1024 * 1024;
/** Bytes gathered per bucket file before a write. */
const STAGE_BYTES = 256 * 1024;

/**
 * Hands out the leaves' entries in tree order. Tree order is not stream order, and random reads of a
 * big file are slow, so when the entries do not fit one bucket they are regrouped by one sequential read:
 * the first bucket straight into memory, each later one into a file of its own holding a range of tree
 * positions small enough to load whole. Within a bucket, entries keep their file order (no headers: the
 * positions are recomputed from the lengths when the bucket is loaded).
 */
class LeafStore {
  private readonly path: string;
  private readonly trie: NameTrie;
  /** Leaf of each rank (tree position). */
  private readonly ranks: Int32Array;
  /** First rank of each bucket, plus the total at the end. */
  private readonly bucketStart: number[] = [0];
  /** Ranks grouped by bucket, each bucket's in file order (as its bytes are stored). */
  private byBucket: Int32Array | null = null;
  private readonly bucketFiles: string[] = [];
  private rank = 0;
  private bucket = -1;
  /** The loaded bucket's bytes (the whole entries file when there is one bucket). */
  data: Buffer = Buffer.alloc(0);
  /** Offset in `data` of each rank of the loaded bucket. */
  private at = new Float64Array(0);
  private first: Buffer | null = null;

  constructor(path: string, ranks: Int32Array, trie: NameTrie, bucketBytes: number) {
    this.path = path;
    this.trie = trie;
    this.ranks = ranks;
    let bytes = 0;
    for (let r = 0; r < ranks.length; r++) {
      const len = trie.len[ranks[r] as number] as number;
      if (bytes + len > bucketBytes && bytes > 0) {
        this.bucketStart.push(r);
        bytes = 0;
      }
      bytes += len;
    }
    this.bucketStart.push(ranks.length);
    if (this.bucketStart.length > 2) this.split();
  }

  private get buckets(): number {
    return this.bucketStart.length - 1;
  }

  /** The ranks in file order. */
  private fileOrder(): Int32Array {
    const { ranks, trie } = this;
    const offs = new Float64Array(ranks.length);
    for (let r = 0; r < ranks.length; r++) offs[r] = trie.off[ranks[r] as number] as number;
    return byOffset(offs);
  }

  /** One sequential pass over the entries file, copying each entry to its bucket (memory or file). */
  private split(): void {
    const { ranks, trie, bucketStart } = this;
    const nb = this.buckets;
    const order = this.fileOrder();
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
    this.byBucket = byBucket;

    let firstBytes = 0;
    for (let r = 0; r < (bucketStart[1] as number); r++) firstBytes += trie.len[ranks[r] as number] as number;
    const first = Buffer.allocUnsafe(firstBytes);
    const fds: number[] = [];
    const stage: Buffer[] = [];
    const staged: number[] = [];
    const fd = openSync(this.path, 'r');
    try {
      for (let b = 1; b < nb; b++) {
        const f = `${this.path}.bucket${b}`;
        this.bucketFiles.push(f);
        fds.push(openSync(f, 'w'));
        stage.push(Buffer.allocUnsafe(STAGE_BYTES));
        staged.push(0);
      }
      const flush = (k: number): void => {
        const n = staged[k] as number;
        for (let done = 0; done < n;) done += writeSync(fds[k] as number, stage[k] as Buffer, done, n - done);
        staged[k] = 0;
      };
      let chunk = Buffer.allocUnsafe(READ_CHUNK);
      let chunkStart = 0;
      let chunkEnd = 0;
      let firstPos = 0;
      // Walk in file order (not bucket order) so the file is read once, front to back.
      for (const r of order) {
        const leaf = ranks[r] as number;
        const off = trie.off[leaf] as number;
        const len = trie.len[leaf] as number;
        if (off < chunkStart || off + len > chunkEnd) {
          if (len > chunk.length) chunk = Buffer.allocUnsafe(len);
          const got = readFully(fd, chunk, off);
          if (got < len) throw new Error(`entries file ${this.path} is shorter than its index`);
          chunkStart = off;
          chunkEnd = off + got;
        }
        const from = off - chunkStart;
        const b = bucketOf[r] as number;
        if (b === 0) {
          firstPos += chunk.copy(first, firstPos, from, from + len);
          continue;
        }
        const k = b - 1;
        if ((staged[k] as number) + len > STAGE_BYTES) flush(k);
        if (len > STAGE_BYTES) {
          for (let done = 0; done < len;) done += writeSync(fds[k] as number, chunk, from + done, len - done);
        } else {
          staged[k] =
            (staged[k] as number) + chunk.copy(stage[k] as Buffer, staged[k] as number, from, from + len);
        }
      }
      for (let k = 0; k < nb - 1; k++) flush(k);
    } finally {
      closeSync(fd);
      for (const f of fds) closeSync(f);
    }
    this.first = first;
  }

  private load(b: number): void {
    this.bucket = b;
    const first = this.bucketStart[b] as number;
    const end = this.bucketStart[b + 1] as number;
    const { ranks, trie } = this;
    this.at = new Float64Array(end - first);
    if (this.byBucket === null) {
      this.data = readFileSync(this.path);
      for (let r = first; r < end; r++) this.at[r - first] = trie.off[ranks[r] as number] as number;
      return;
    }
    if (b === 0) {
      this.data = this.first as Buffer;
      this.first = null;
    } else {
      this.data = readFileSync(this.bucketFiles[b - 1] as string);
    }
    let pos = 0;
    for (let i = first; i < end; i++) {
      const r = this.byBucket[i] as number;
      this.at[r - first] = pos;
      pos += trie.len[ranks[r] as number] as number;
    }
  }

  /** Where the entry of the next leaf in tree order starts in `data`. */
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
 * Indices of `offs` in increasing order of their values. A native sort of the values (no comparator
 * calls), then each index placed by binary search; equal values (never two entries at one offset, but
 * cheap to allow) take the following slots.
 */
export function byOffset(offs: Float64Array): Int32Array {
  const sorted = offs.slice().sort();
  const order = new Int32Array(offs.length).fill(-1);
  for (let r = 0; r < offs.length; r++) {
    const v = offs[r] as number;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    while (order[lo] !== -1) lo++;
    order[lo] = r;
  }
  return order;
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
