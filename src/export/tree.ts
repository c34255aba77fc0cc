// `_tree.json`: test names split on `.` into nested nodes, built from a compact trie and the run's own
// raw entries read back from disk, so memory never holds every entry.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, rmSync, writevSync } from 'node:fs';
import type { OutFile } from './output.js';

/**
 * An inner node of the name trie (a segment with children). Most nodes are leaves without children
 * (one per test): those are only a number in their parent's Map, an index into the trie's leaf arrays,
 * so 400,000 tests cost a Map entry and a few array slots each instead of an object.
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

const newNode = (s: string, leaf = -1): TrieNode => ({ s, c: new Map(), leaf });

/** The trie of a run's names; the tree file is written from it at the end. */
export class NameTrie {
  /** Holds the first segments; it is the `""` root when they are not all the same. */
  private readonly top = newNode('');

  /** Per leaf: byte offset of the latest entry with this full name in the entries file; -1 when none. */
  off: number[] = [];
  /** Per leaf: byte length of that entry. */
  len: number[] = [];
  /** Per leaf: byte length of its `{"name":<json>,` prefix. */
  pre: number[] = [];
  /** Per leaf: 1 once a details key equal to this full name has been handed out. */
  keyed: number[] = [];

  /**
   * Node of each name's prefix up to its last `.` (the test's class), so most lookups are one Map get
   * plus one child instead of a walk over every segment. Bounded by the trie itself; cleared when large.
   */
  private readonly parents = new Map<string, TrieNode>();

  private newLeaf(): number {
    this.off.push(-1);
    this.len.push(0);
    this.pre.push(0);
    this.keyed.push(0);
    return this.off.length - 1;
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
   * Write the tree: the original nested every name under one root named after a first segment; when the
   * first segments differ, our root is `""` with them as children (the spec's deliberate difference).
   */
  async write(out: OutFile, entriesPath: string, bucketBytes = BUCKET_BYTES): Promise<void> {
    const leaves = new LeafStore(entriesPath, this.top, this, bucketBytes);
    try {
      const firsts = this.top.c;
      if (firsts.size === 1) {
        const [seg, child] = firsts.entries().next().value as [string, TrieNode | number];
        await this.writeChild(out, seg, child, leaves);
      } else {
        out.write('{"name":"","children":[');
        let first = true;
        for (const [seg, child] of firsts) {
          if (!first) out.write(',');
          first = false;
          await this.writeChild(out, seg, child, leaves);
        }
        out.write(']}');
      }
    } finally {
      leaves.close();
    }
  }

  private async writeChild(
    out: OutFile,
    seg: string,
    child: TrieNode | number,
    leaves: LeafStore,
  ): Promise<void> {
    if (typeof child === 'number') {
      this.writeLeaf(out, seg, child, leaves, '}');
      if (out.full) await out.drained();
    } else {
      await this.writeNode(out, child, leaves);
    }
  }

  /**
   * Written with backpressure: the tree is as big as the raw entries, and written in one go it would sit
   * whole in the file stream's buffer (tens of MB) before the first byte reached the disk.
   */
  private async writeNode(out: OutFile, n: TrieNode, leaves: LeafStore): Promise<void> {
    this.writeLeaf(out, n.s, n.leaf, leaves, ',"children":[');
    let first = true;
    for (const [seg, child] of n.c) {
      if (!first) out.write(',');
      first = false;
      await this.writeChild(out, seg, child, leaves);
    }
    out.write(']}');
  }

  /** `{"name":<seg>` plus the leaf's entry fields (when it has an entry), then `tail`. */
  private writeLeaf(out: OutFile, seg: string, leaf: number, leaves: LeafStore, tail: string): void {
    const s = `{"name":${JSON.stringify(seg)}`;
    if (leaf >= 0 && (this.off[leaf] as number) >= 0) {
      // The entry is `{"name":<full>,<rest>}`: the leaf is `{"name":<segment>,<rest>,"name_full":<full>}`.
      const entry = leaves.next();
      const pre = this.pre[leaf] as number;
      out.write(s + ',');
      out.writeBuffer(entry.subarray(pre, (this.len[leaf] as number) - 1));
      out.write(',"name_full":');
      out.writeBuffer(entry.subarray(8, pre - 1));
      out.write(tail);
    } else {
      out.write(s + tail);
    }
  }
}

/** Entries are regrouped in buckets of about this many bytes; one bucket is in memory at a time. */
const BUCKET_BYTES = 24 * 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;

/**
 * Hands out the leaves' entries in tree order. Tree order is not stream order, and random reads of a
 * big file are slow, so the entries are first regrouped by one sequential read into bucket files, each
 * holding a range of tree positions small enough to load whole (one bucket when the file is small).
 */
class LeafStore {
  private readonly path: string;
  private readonly offs: number[] = [];
  private readonly lens: number[] = [];
  /** First rank of each bucket, plus the total at the end. */
  private readonly bucketStart: number[] = [0];
  private rank = 0;
  private bucket = -1;
  private data: Buffer = Buffer.alloc(0);
  /** Offset in `data` of each rank of the loaded bucket. */
  private at: number[] = [];
  private readonly bucketFiles: string[] = [];

  constructor(path: string, top: TrieNode, trie: NameTrie, bucketBytes: number) {
    this.path = path;
    // Tree order: a depth-first walk, as the writer does it (a node's own entry before its children's).
    const stack: (TrieNode | number)[] = [top];
    let bytes = 0;
    const visit = (leaf: number): void => {
      const off = leaf < 0 ? -1 : (trie.off[leaf] as number);
      if (off < 0) return;
      const len = trie.len[leaf] as number;
      if (bytes + len > bucketBytes && bytes > 0) {
        this.bucketStart.push(this.offs.length);
        bytes = 0;
      }
      this.offs.push(off);
      this.lens.push(len);
      bytes += len;
    };
    while (stack.length > 0) {
      const n = stack.pop() as TrieNode | number;
      if (typeof n === 'number') {
        visit(n);
        continue;
      }
      visit(n.leaf);
      const kids = Array.from(n.c.values());
      for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k] as TrieNode | number);
    }
    this.bucketStart.push(this.offs.length);
    if (this.bucketStart.length > 2) this.split();
  }

  /** One sequential pass over the entries file, appending each leaf's entry to its bucket's file. */
  private split(): void {
    const nb = this.bucketStart.length - 1;
    const order = this.offs
      .map((_, r) => r)
      .sort((a, b) => (this.offs[a] as number) - (this.offs[b] as number));
    const bucketOf = new Uint32Array(this.offs.length);
    for (let b = 0; b < nb; b++) {
      for (let r = this.bucketStart[b] as number; r < (this.bucketStart[b + 1] as number); r++)
        bucketOf[r] = b;
    }
    const fds: number[] = [];
    for (let b = 0; b < nb; b++) {
      const f = `${this.path}.bucket${b}`;
      this.bucketFiles.push(f);
      fds.push(openSync(f, 'w'));
    }
    const fd = openSync(this.path, 'r');
    try {
      let chunk = Buffer.alloc(0);
      let chunkStart = 0;
      // Writes are gathered per bucket and written in batches (one writev each), not two syscalls an entry.
      const queued: Buffer[][] = fds.map(() => []);
      const queuedBytes: number[] = fds.map(() => 0);
      const flush = (b: number): void => {
        writevSync(fds[b] as number, queued[b] as Buffer[]);
        queued[b] = [];
        queuedBytes[b] = 0;
      };
      for (const r of order) {
        const off = this.offs[r] as number;
        const len = this.lens[r] as number;
        if (off < chunkStart || off + len > chunkStart + chunk.length) {
          chunk = Buffer.allocUnsafe(Math.max(READ_CHUNK, len));
          chunk = chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, off));
          chunkStart = off;
        }
        const header = Buffer.allocUnsafe(8);
        header.writeUInt32LE(r, 0);
        header.writeUInt32LE(len, 4);
        const b = bucketOf[r] as number;
        (queued[b] as Buffer[]).push(header, chunk.subarray(off - chunkStart, off - chunkStart + len));
        queuedBytes[b] = (queuedBytes[b] as number) + len + 8;
        // writev takes at most 1024 buffers (IOV_MAX).
        if ((queuedBytes[b] as number) >= 1 << 20 || (queued[b] as Buffer[]).length >= 1000) flush(b);
      }
      for (let b = 0; b < nb; b++) if ((queued[b] as Buffer[]).length > 0) flush(b);
    } finally {
      closeSync(fd);
      for (const f of fds) closeSync(f);
    }
  }

  private load(b: number): void {
    this.bucket = b;
    const first = this.bucketStart[b] as number;
    const count = (this.bucketStart[b + 1] as number) - first;
    this.at = new Array<number>(count);
    if (this.bucketFiles.length === 0) {
      this.data = readFileSync(this.path);
      for (let i = 0; i < count; i++) this.at[i] = this.offs[first + i] as number;
      return;
    }
    this.data = readFileSync(this.bucketFiles[b] as string);
    for (let p = 0; p < this.data.length;) {
      const r = this.data.readUInt32LE(p);
      const len = this.data.readUInt32LE(p + 4);
      this.at[r - first] = p + 8;
      p += 8 + len;
    }
  }

  /** The entry of the next leaf in tree order. */
  next(): Buffer {
    const r = this.rank++;
    if (r >= (this.bucketStart[this.bucket + 1] ?? 0) || this.bucket < 0) this.load(this.bucket + 1);
    const start = this.at[r - (this.bucketStart[this.bucket] as number)] as number;
    return this.data.subarray(start, start + (this.lens[r] as number));
  }

  close(): void {
    for (const f of this.bucketFiles) rmSync(f, { force: true });
  }
}
