// `_tree.json`: test names split on `.` into nested nodes, built from a compact trie and the run's own
// raw entries read back from disk, so memory never holds every entry.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, rmSync, writevSync } from 'node:fs';
import type { OutFile } from './output.js';

/** One node of the name trie. Leaf data is a slice of the raw-entries file, not an object. */
export interface TrieNode {
  /** This node's segment. */
  readonly s: string;
  /** Children by segment (data: a Map), in order of first appearance; null for a pure leaf. */
  c: Map<string, TrieNode> | null;
  /** Byte offset of the latest entry with this full name in the entries file; -1 when none. */
  off: number;
  /** Byte length of that entry. */
  len: number;
  /** Byte length of its `{"name":<json>,` prefix. */
  pre: number;
  /** True once a details key equal to this full name has been handed out (see KeyAllocator). */
  k: boolean;
}

/**
 * A copy of a string that shares no memory with its source: V8 keeps substrings (split, regex captures) as
 * views of their parent, so a stored segment would otherwise keep the whole test id, or a larger decoded
 * buffer string, alive for the rest of the run.
 */
const ownCopy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

const PARENTS_MAX = 1 << 16;

const newNode = (s: string): TrieNode => ({ s, c: null, off: -1, len: 0, pre: 0, k: false });

/** The trie of a run's names; the tree file is written from it at the end. */
export class NameTrie {
  /** Holds the first segments; it is the `""` root when they are not all the same. */
  private readonly top = newNode('');

  /**
   * Node of each name's prefix up to its last `.` (the test's class), so most lookups are one Map get
   * plus one child instead of a walk over every segment. Bounded by the trie itself; cleared when large.
   */
  private readonly parents = new Map<string, TrieNode>();

  /** The node of a full name, created when missing. */
  node(name: string): TrieNode {
    const dot = name.lastIndexOf('.');
    if (dot < 0) return this.child(this.top, name);
    const prefix = name.slice(0, dot);
    let parent = this.parents.get(prefix);
    if (parent === undefined) {
      parent = this.top;
      for (const seg of prefix.split('.')) parent = this.child(parent, seg);
      if (this.parents.size >= PARENTS_MAX) this.parents.clear();
      this.parents.set(ownCopy(prefix), parent);
    }
    return this.child(parent, name.slice(dot + 1));
  }

  private child(n: TrieNode, seg: string): TrieNode {
    if (n.c === null) n.c = new Map();
    let child = n.c.get(seg);
    if (child === undefined) {
      child = newNode(ownCopy(seg));
      n.c.set(child.s, child);
    }
    return child;
  }

  /** The node of a full name, or undefined (never creates). */
  find(name: string): TrieNode | undefined {
    let n: TrieNode | undefined = this.top;
    for (const seg of name.split('.')) {
      n = n.c?.get(seg);
      if (n === undefined) return undefined;
    }
    return n;
  }

  /**
   * Write the tree: the original nested every name under one root named after a first segment; when the
   * first segments differ, our root is `""` with them as children (the spec's deliberate difference).
   */
  async write(out: OutFile, entriesPath: string, bucketBytes = BUCKET_BYTES): Promise<void> {
    const leaves = new LeafStore(entriesPath, this.top, bucketBytes);
    try {
      const firsts = this.top.c;
      if (firsts !== null && firsts.size === 1) {
        await writeNode(out, firsts.values().next().value as TrieNode, leaves);
      } else {
        out.write('{"name":"","children":[');
        let first = true;
        for (const child of firsts?.values() ?? []) {
          if (!first) out.write(',');
          first = false;
          await writeNode(out, child, leaves);
        }
        out.write(']}');
      }
    } finally {
      leaves.close();
    }
  }
}

/**
 * Written with backpressure: the tree is as big as the raw entries, and written in one go it would sit
 * whole in the file stream's buffer (tens of MB) before the first byte reached the disk.
 */
async function writeNode(out: OutFile, n: TrieNode, leaves: LeafStore): Promise<void> {
  let s = `{"name":${JSON.stringify(n.s)}`;
  if (n.off >= 0) {
    // The entry is `{"name":<full>,<rest>}`: the leaf is `{"name":<segment>,<rest>,"name_full":<full>}`.
    const entry = leaves.next();
    out.write(s + ',');
    out.writeBuffer(entry.subarray(n.pre, n.len - 1));
    out.write(',"name_full":');
    out.writeBuffer(entry.subarray(8, n.pre - 1));
    s = '';
    if (out.full) await out.drained();
  }
  if (n.c !== null) {
    out.write(s + ',"children":[');
    let first = true;
    for (const child of n.c.values()) {
      if (!first) out.write(',');
      first = false;
      if (child.c === null) {
        // Leaves inline (most nodes): no promise per test.
        writeLeaf(out, child, leaves);
        if (out.full) await out.drained();
      } else {
        await writeNode(out, child, leaves);
      }
    }
    out.write(']}');
  } else {
    out.write(s + '}');
  }
}

/** A node without children (see writeNode). */
function writeLeaf(out: OutFile, n: TrieNode, leaves: LeafStore): void {
  const s = `{"name":${JSON.stringify(n.s)}`;
  if (n.off >= 0) {
    const entry = leaves.next();
    out.write(s + ',');
    out.writeBuffer(entry.subarray(n.pre, n.len - 1));
    out.write(',"name_full":');
    out.writeBuffer(entry.subarray(8, n.pre - 1));
    out.write('}');
  } else {
    out.write(s + '}');
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

  constructor(path: string, top: TrieNode, bucketBytes: number) {
    this.path = path;
    // Tree order: a depth-first walk, as writeNode does it.
    const stack: TrieNode[] = [top];
    let bytes = 0;
    while (stack.length > 0) {
      const n = stack.pop() as TrieNode;
      if (n.off >= 0) {
        if (bytes + n.len > bucketBytes && bytes > 0) {
          this.bucketStart.push(this.offs.length);
          bytes = 0;
        }
        this.offs.push(n.off);
        this.lens.push(n.len);
        bytes += n.len;
      }
      if (n.c !== null) {
        const kids = Array.from(n.c.values());
        for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k] as TrieNode);
      }
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
