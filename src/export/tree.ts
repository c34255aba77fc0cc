// `_tree.json`: test names split on `.` into nested nodes, built from compact per-test data and the
// run's own raw entries read back from disk, so memory holds no full entry until the end.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
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

const newNode = (s: string): TrieNode => ({ s, c: null, off: -1, len: 0, pre: 0, k: false });

/** The trie of a run's names; the tree file is written from it at the end. */
export class NameTrie {
  /** Holds the first segments; it is the `""` root when they are not all the same. */
  private readonly top = newNode('');

  /** The node of a full name, created when missing. */
  node(name: string): TrieNode {
    let n = this.top;
    for (const seg of name.split('.')) {
      if (n.c === null) n.c = new Map();
      let child = n.c.get(seg);
      if (child === undefined) {
        child = newNode(seg);
        n.c.set(seg, child);
      }
      n = child;
    }
    return n;
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
  write(out: OutFile, entriesPath: string): void {
    const reader = new BlockReader(entriesPath);
    try {
      const firsts = this.top.c;
      if (firsts !== null && firsts.size === 1) {
        this.writeNode(out, firsts.values().next().value as TrieNode, reader);
      } else {
        out.write('{"name":"","children":[');
        let first = true;
        for (const child of firsts?.values() ?? []) {
          if (!first) out.write(',');
          first = false;
          this.writeNode(out, child, reader);
        }
        out.write(']}');
      }
    } finally {
      reader.close();
    }
  }

  private writeNode(out: OutFile, n: TrieNode, reader: BlockReader): void {
    let s = `{"name":${JSON.stringify(n.s)}`;
    if (n.off >= 0) {
      // The entry is `{"name":<full>,<rest>}`: the leaf is `{"name":<segment>,<rest>,"name_full":<full>}`.
      const entry = reader.read(n.off, n.len);
      out.write(s + ',');
      out.writeBuffer(entry.subarray(n.pre, n.len - 1));
      out.write(',"name_full":');
      out.writeBuffer(entry.subarray(8, n.pre - 1));
      s = '';
    }
    if (n.c !== null) {
      s += ',"children":[';
      out.write(s);
      let first = true;
      for (const child of n.c.values()) {
        if (!first) out.write(',');
        first = false;
        this.writeNode(out, child, reader);
      }
      out.write(']}');
    } else {
      out.write(s + '}');
    }
  }
}

const BLOCK = 1024 * 1024;
const MAX_BLOCKS = 24;

/** Random reads of the entries file through a small LRU of 1 MiB blocks (tree order ≈ stream order locally). */
class BlockReader {
  private readonly fd: number;
  private readonly blocks = new Map<number, Buffer>();

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** Bytes [off, off+len) as a fresh or shared Buffer the caller uses before the next read. */
  read(off: number, len: number): Buffer {
    const b0 = Math.floor(off / BLOCK);
    if (Math.floor((off + len - 1) / BLOCK) !== b0) {
      const buf = Buffer.allocUnsafe(len);
      readSync(this.fd, buf, 0, len, off);
      return buf;
    }
    let block = this.blocks.get(b0);
    if (block === undefined) {
      block = Buffer.allocUnsafe(BLOCK);
      const n = readSync(this.fd, block, 0, BLOCK, b0 * BLOCK);
      block = block.subarray(0, n);
      if (this.blocks.size >= MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    } else {
      this.blocks.delete(b0);
    }
    this.blocks.set(b0, block);
    const start = off - b0 * BLOCK;
    // Blocks are never reused after eviction, so a view is safe to hand out.
    return block.subarray(start, start + len);
  }

  close(): void {
    closeSync(this.fd);
  }
}
