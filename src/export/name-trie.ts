// The names of a run, for `_tree.json` and the details keys: the prefixes (`a.b` of `a.b.c`) in an exact trie,
// the full names in a hash table with no bytes of their own: ~50 bytes per distinct name, none per repeat.
import { Buffer } from 'node:buffer';

const NO_NODE = 0;
/** Int32 fields of a prefix node's record, kept together so a lookup touches one cache line per node. */
const PARENT = 0;
const SEG_AT = 1;
const SEG_LEN = 2;
const FIRST = 3;
const LAST = 4;
const NEXT = 5;
/** Where the node stands among its siblings (see `order`). */
const ORDER = 6;
/** The name equal to this prefix (`a.b` when `a.b` and `a.b.c` are both tests), or -1. */
const NAMED = 7;
const FIELDS = 8;
/** Int32 fields of a name's record: its parent node, its two hashes, its latest entry's length and the length
 * of that entry's `{"name":<json>,` prefix, the next `#n` suffix for its details key, flags. */
const N_PARENT = 0;
const N_HASH1 = 1;
const N_HASH2 = 2;
const N_LEN = 3;
const N_PRE = 4;
const N_SUFFIX = 5;
const N_FLAGS = 6;
const N_FIELDS = 7;
/** Flags: the name itself was handed out as a details key; the name is also a prefix node (its `NAMED`). */
const KEYED = 1;
const IS_PREFIX = 2;
const PAGE_BITS = 14;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;
/**
 * Class prefixes remembered (a test's name up to its last `.` → its node): most lookups are then one Map
 * get plus the hash of the last segment, instead of a probe per segment. Cleared when full.
 */
const PARENTS_MAX = 4096;

/** The prefix nodes' arrays grow by half (not doubling): less unused tail. */
const grown = (n: number): number => n + (n >> 1) + 16;

/**
 * A copy of a string that shares no memory with its source: V8 keeps substrings (slice, split) as views
 * of their parent, so a cached prefix would otherwise keep the whole test id alive.
 */
const ownCopy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

/** One step of each of the two hashes of a segment's bytes. */
const step1 = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);
const step2 = (h: number, c: number): number => Math.imul((h ^ c) + (h >>> 7), 0x5bd1e995);
const seed1 = (parent: number): number => Math.imul(0x811c9dc5 ^ parent, 0x01000193);
const seed2 = (parent: number): number => Math.imul(0x9747b28c ^ parent, 0x85ebca6b);

/** The final mix of a hash (the tables use the low bits). */
function mixed(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A run's names, indexed in order of first appearance ("name index", what `node` and `find` return).
 *
 * Names are split on `.` after JSON escaping (escaping never makes a `.`), so segments are the bytes the
 * tree file spells. Every prefix is a node of a trie (`rec`, segment bytes in `arena`, children found through
 * an open-addressing table keyed by parent and bytes): prefixes are few, the classes and modules. A full
 * name is identified by its parent node and a 64-bit hash of its last segment (two independent 32-bit
 * hashes, the length mixed in), held in a second table: no bytes per name. Two different names of one
 * class would have to share 64 bits of hash to be taken for one (one shared details key suffix, one tree
 * node): for 400,000 names in 5,000 classes, 16 million pairs against 2^64, odds of 1 in 10^12 a run. The
 * segment written for a test in the tree file is read back from its own entry.
 *
 * Per name: its parent, two hashes, the latest entry's place in the entries file (offset, length, length of
 * its `{"name":<json>,` prefix), the next `#n` suffix to try for its details key, flags: 36 bytes in pages
 * that never move (growing copies nothing and leaves no garbage behind), plus 8-16 bytes of table.
 */
export class NameTrie {
  /** Prefix nodes in use; node 0 is the top (the `""` root when first segments differ). */
  private count = 1;
  private rec = new Int32Array(1024 * FIELDS);
  private arena = Buffer.allocUnsafe(16 * 1024);
  private arenaUsed = 0;
  /** Hash table of prefix nodes (0: empty slot), at most half full. */
  private table = new Int32Array(4096);
  /** The JSON-escaped UTF-8 bytes of the name (or segment) being looked up, from offset 1. */
  private scratch = Buffer.allocUnsafe(1024);
  private readonly parents = new Map<string, number>();

  private names = 0;
  /** Hash table of names (index + 1; 0: empty slot), at most half full. */
  private nameTable = new Int32Array(4096);
  /** Per name, `N_FIELDS` Int32 in pages of `PAGE` names: pages never move, so growing copies nothing. */
  private readonly ints: Int32Array[] = [];
  /**
   * Per name: byte offset of its latest entry in the entries file, -1 when none. Float64: a 1 GB stream's
   * entries file passes 2^31 bytes (offsets stay exact up to 2^53).
   */
  private readonly offs: Float64Array[] = [];

  constructor() {
    this.rec[NO_NODE * FIELDS + NAMED] = -1;
  }

  /** Number of distinct names given to `node`. */
  get size(): number {
    return this.names;
  }

  /** The index of a name, made when missing. */
  node(name: string): number {
    return this.lookup(name, true);
  }

  /** The index of a name, or -1 (never creates). */
  find(name: string): number {
    return this.lookup(name, false);
  }

  /** The bytes of a prefix node's segment, as `arena[at, at + len)`. */
  segment(node: number): { arena: Buffer; at: number; len: number } {
    const r = node * FIELDS;
    return { arena: this.arena, at: this.rec[r + SEG_AT] as number, len: this.rec[r + SEG_LEN] as number };
  }

  /** The name equal to a prefix node, or -1. */
  nameOfNode(node: number): number {
    return this.rec[node * FIELDS + NAMED] as number;
  }

  private lookup(name: string, create: boolean): number {
    const dot = name.lastIndexOf('.');
    let parent = NO_NODE;
    if (dot >= 0) {
      const prefix = name.slice(0, dot);
      const known = this.parents.get(prefix);
      if (known !== undefined) parent = known;
      else {
        parent = this.walk(prefix, create);
        if (parent < 0) return -1;
        if (this.parents.size >= PARENTS_MAX) this.parents.clear();
        this.parents.set(ownCopy(prefix), parent);
      }
    }
    // The last segment's escaped bytes into scratch[1, z), hashed on the way when printable ASCII.
    const from = dot + 1;
    const n = name.length - from;
    if (n * 6 + 2 > this.scratch.length) this.scratch = Buffer.allocUnsafe(n * 6 + 1024);
    const b = this.scratch;
    let h1 = seed1(parent);
    let h2 = seed2(parent);
    let z = n + 1;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(from + i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        z = b.write(JSON.stringify(name.slice(from)), 0, 'utf8') - 1;
        h1 = seed1(parent);
        h2 = seed2(parent);
        for (let k = 1; k < z; k++) {
          h1 = step1(h1, b[k] as number);
          h2 = step2(h2, b[k] as number);
        }
        break;
      }
      b[i + 1] = c;
      h1 = step1(h1, c);
      h2 = step2(h2, c);
    }
    return this.nameAt(parent, mixed(h1), mixed(h2 ^ (z - 1)), create, z);
  }

  /** The name under `parent` with these hashes (its last segment in scratch[1, z)), made when missing. */
  private nameAt(parent: number, h1: number, h2: number, create: boolean, z: number): number {
    const mask = this.nameTable.length - 1;
    for (let slot = h1 & mask; ; slot = (slot + 1) & mask) {
      const id = (this.nameTable[slot] as number) - 1;
      if (id < 0) {
        if (!create) return -1;
        const made = this.addName(parent, h1, h2);
        this.nameTable[slot] = made + 1;
        if (this.names * 2 > this.nameTable.length) this.rehashNames();
        // A name equal to a prefix met before: that node carries it.
        const node = this.child(parent, 1, z, prefixHash(this.scratch, 1, z, parent), false);
        if (node > 0) this.attach(node, made);
        return made;
      }
      const page = this.ints[id >>> PAGE_BITS] as Int32Array;
      const r = (id & PAGE_MASK) * N_FIELDS;
      if (page[r + N_PARENT] === parent && page[r + N_HASH1] === (h1 | 0) && page[r + N_HASH2] === (h2 | 0))
        return id;
    }
  }

  private addName(parent: number, h1: number, h2: number): number {
    const id = this.names++;
    if ((id & PAGE_MASK) === 0) {
      this.ints.push(new Int32Array(PAGE * N_FIELDS));
      this.offs.push(new Float64Array(PAGE).fill(-1));
    }
    const page = this.ints[id >>> PAGE_BITS] as Int32Array;
    const r = (id & PAGE_MASK) * N_FIELDS;
    page[r + N_PARENT] = parent;
    page[r + N_HASH1] = h1;
    page[r + N_HASH2] = h2;
    return id;
  }

  /** A name's Int32 field. */
  private field(id: number, f: number): number {
    return (this.ints[id >>> PAGE_BITS] as Int32Array)[(id & PAGE_MASK) * N_FIELDS + f] as number;
  }

  private setField(id: number, f: number, v: number): void {
    (this.ints[id >>> PAGE_BITS] as Int32Array)[(id & PAGE_MASK) * N_FIELDS + f] = v;
  }

  /** Where a name's latest entry is in the entries file: its offset, its length and its prefix's length. */
  setEntry(id: number, off: number, len: number, pre: number): void {
    (this.offs[id >>> PAGE_BITS] as Float64Array)[id & PAGE_MASK] = off;
    this.setField(id, N_LEN, len);
    this.setField(id, N_PRE, pre);
  }

  /** The offset of a name's latest entry, -1 when it has none. */
  offOf(id: number): number {
    return (this.offs[id >>> PAGE_BITS] as Float64Array)[id & PAGE_MASK] as number;
  }

  lenOf(id: number): number {
    return this.field(id, N_LEN);
  }

  preOf(id: number): number {
    return this.field(id, N_PRE);
  }

  /** Whether the name itself has been handed out as a details key. */
  isKeyed(id: number): boolean {
    return (this.field(id, N_FLAGS) & KEYED) !== 0;
  }

  setKeyed(id: number): void {
    this.setField(id, N_FLAGS, this.field(id, N_FLAGS) | KEYED);
  }

  /** The next `#n` suffix to try for a repeated name's details key (0: none handed out yet). */
  suffixOf(id: number): number {
    return this.field(id, N_SUFFIX);
  }

  setSuffix(id: number, n: number): void {
    this.setField(id, N_SUFFIX, n);
  }

  private rehashNames(): void {
    const table = new Int32Array(this.nameTable.length * 2);
    const mask = table.length - 1;
    for (let id = 0; id < this.names; id++) {
      let slot = this.field(id, N_HASH1) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.nameTable = table;
  }

  /**
   * A name and the prefix node equal to it are one node of the tree, placed where the first of the two
   * appeared: a node made after its name takes the name's place (`order`).
   */
  private attach(node: number, name: number): void {
    const r = node * FIELDS;
    this.rec[r + NAMED] = name;
    this.setField(name, N_FLAGS, this.field(name, N_FLAGS) | IS_PREFIX);
    this.rec[r + ORDER] = Math.min(this.rec[r + ORDER] as number, 2 * name + 1);
  }

  /** The prefix node of `prefix` (all its segments), or -1 when missing and not `create`. */
  private walk(prefix: string, create: boolean): number {
    const n = prefix.length;
    if (n * 6 + 2 > this.scratch.length) this.scratch = Buffer.allocUnsafe(n * 6 + 1024);
    const b = this.scratch;
    let end = n + 1;
    for (let i = 0; i < n; i++) {
      const c = prefix.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        end = b.write(JSON.stringify(prefix), 0, 'utf8') - 1;
        break;
      }
      b[i + 1] = c;
    }
    let node = NO_NODE;
    let start = 1;
    for (let i = 1; i <= end; i++) {
      if (i < end && b[i] !== 0x2e) continue;
      node = this.child(node, start, i, prefixHash(b, start, i, node), create);
      if (node < 0) return -1;
      start = i + 1;
    }
    return node;
  }

  /** The prefix node under `p` whose segment is `scratch[a, z)`, made when missing and `create`; else -1. */
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

  /** A new prefix node under `p` with segment `scratch[a, z)`, linked after its last sibling. */
  private add(p: number, a: number, z: number): number {
    const id = this.count++;
    if (id * FIELDS === this.rec.length) {
      const rec = new Int32Array(grown(id) * FIELDS);
      rec.set(this.rec);
      this.rec = rec;
    }
    const at = this.arenaUsed;
    if (at + (z - a) > this.arena.length) {
      const arena = Buffer.allocUnsafe(grown(at + (z - a)));
      this.arena.copy(arena, 0, 0, at);
      this.arena = arena;
    }
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
    // Before the name being looked up now (index `names`), after every earlier one.
    rec[r + ORDER] = 2 * this.names;
    rec[r + NAMED] = -1;
    const last = rec[p * FIELDS + LAST] as number;
    if (last === NO_NODE) rec[p * FIELDS + FIRST] = id;
    else rec[last * FIELDS + NEXT] = id;
    rec[p * FIELDS + LAST] = id;
    // A name met before and equal to this prefix (`a.b`, then `a.b.c`).
    let h1 = seed1(p);
    let h2 = seed2(p);
    for (let i = a; i < z; i++) {
      h1 = step1(h1, b[i] as number);
      h2 = step2(h2, b[i] as number);
    }
    const name = this.nameAt(p, mixed(h1), mixed(h2 ^ (z - a)), false, 0);
    if (name >= 0) this.attach(id, name);
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    const rec = this.rec;
    for (let id = 1; id < this.count; id++) {
      const r = id * FIELDS;
      const s = rec[r + SEG_AT] as number;
      let slot =
        prefixHash(this.arena, s, s + (rec[r + SEG_LEN] as number), rec[r + PARENT] as number) & mask;
      while (table[slot] !== NO_NODE) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }

  /**
   * The tree in writing order, as a program: `i ≥ 0` a name with no children (a leaf); `-(n + 2)` opens
   * prefix node `n` (with its name's fields when it has one); `-1` closes the node opened last. Only names
   * with an entry are written, and the prefixes above them. With one first segment, that node is the root;
   * else the top is, as `""` (the spec's deliberate difference from the original).
   *
   * Siblings are in order of first appearance, names and prefixes alike: a prefix made while name `i` was
   * looked up comes before it (`ORDER` 2i), a name after the prefixes made for it (2i + 1).
   */
  order(): Int32Array {
    const { rec, count, names } = this;
    // Prefixes with an entry below them, found from each name up.
    const used = new Uint8Array(count);
    const mark = (n: number): void => {
      for (let x = n; x !== NO_NODE && used[x] === 0; x = rec[x * FIELDS + PARENT] as number) used[x] = 1;
    };
    // Names by parent (a counting sort: stable, so each parent's names stay in order of appearance).
    const start = new Int32Array(count + 1);
    for (let i = 0; i < names; i++) {
      if (this.offOf(i) < 0) continue;
      if ((this.field(i, N_FLAGS) & IS_PREFIX) !== 0) {
        const node = this.prefixOf(i);
        if (node > 0) mark(node);
        continue;
      }
      const p = this.field(i, N_PARENT);
      mark(p);
      start[p + 1] = (start[p + 1] as number) + 1;
    }
    for (let n = 0; n < count; n++) start[n + 1] = (start[n + 1] as number) + (start[n] as number);
    const leaves = new Int32Array(start[count] as number);
    const fill = start.slice(0, count);
    for (let i = 0; i < names; i++) {
      if (this.offOf(i) < 0 || (this.field(i, N_FLAGS) & IS_PREFIX) !== 0) continue;
      const p = this.field(i, N_PARENT);
      leaves[fill[p] as number] = i;
      fill[p] = (fill[p] as number) + 1;
    }

    // A step per leaf, and an open and a close per prefix node.
    const program = new Int32Array(leaves.length + 2 * count + 1);
    let steps = 0;
    // Each open node: its children still to write, prefixes (by ORDER) and names (a range of `leaves`).
    const stack: { kids: number[]; k: number; l: number; end: number }[] = [];
    const open = (n: number): void => {
      program[steps++] = -(n + 2);
      const kids: number[] = [];
      for (let c = rec[n * FIELDS + FIRST] as number; c !== NO_NODE; c = rec[c * FIELDS + NEXT] as number) {
        if (used[c] === 1) kids.push(c);
      }
      // Made in order, except where a node took the place of a name that came first.
      kids.sort((x, y) => (rec[x * FIELDS + ORDER] as number) - (rec[y * FIELDS + ORDER] as number) || x - y);
      stack.push({ kids, k: 0, l: start[n] as number, end: start[n + 1] as number });
    };
    open(NO_NODE);
    const topKids = (stack[0]?.kids.length ?? 0) + ((start[1] as number) - (start[0] as number));
    if (topKids === 1) {
      // One first segment: it is the root.
      const s = stack.pop() as (typeof stack)[number];
      steps = 0;
      if (s.kids.length === 1) open(s.kids[0] as number);
      else return Int32Array.of(leaves[s.l] as number);
    }
    while (stack.length > 0) {
      const s = stack[stack.length - 1] as (typeof stack)[number];
      const kid = s.k < s.kids.length ? (s.kids[s.k] as number) : -1;
      const leaf = s.l < s.end ? (leaves[s.l] as number) : -1;
      if (kid < 0 && leaf < 0) {
        program[steps++] = -1;
        stack.pop();
      } else if (leaf >= 0 && (kid < 0 || 2 * leaf + 1 < (rec[kid * FIELDS + ORDER] as number))) {
        program[steps++] = leaf;
        s.l++;
      } else {
        s.k++;
        open(kid);
      }
    }
    return program.subarray(0, steps);
  }

  /** The prefix node a name is equal to (isPrefix), found among its parent's children. */
  private prefixOf(name: number): number {
    const p = this.field(name, N_PARENT);
    for (
      let c = this.rec[p * FIELDS + FIRST] as number;
      c !== NO_NODE;
      c = this.rec[c * FIELDS + NEXT] as number
    )
      if (this.rec[c * FIELDS + NAMED] === name) return c;
    return -1;
  }
}

/** FNV-1a of `b[a, z)` seeded with the parent node, then mixed: the prefix table's hash. */
function prefixHash(b: Uint8Array, a: number, z: number, parent: number): number {
  let h = seed1(parent);
  for (let i = a; i < z; i++) h = step1(h, b[i] as number);
  return mixed(h);
}
