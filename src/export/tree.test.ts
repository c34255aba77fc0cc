// Unit tests for the name trie and tree writing, including the bucketed read-back of entries.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputDir } from './output.js';
import { NameTrie } from './name-trie.js';
import { byOffset, writeTree } from './tree.js';

interface Node {
  name: string;
  name_full?: string;
  status?: string;
  children?: Node[];
}

/** Entries written like the run writer does (`[e1,e2,…]`), indexed in a new trie. */
function indexed(names: string[], body = (i: number): string => `"status":"s${i}"}`): [NameTrie, string] {
  const trie = new NameTrie();
  let file = '[';
  names.forEach((name, i) => {
    if (i > 0) file += ',';
    const head = `{"name":${JSON.stringify(name)},`;
    const entry = `${head}${body(i)}`;
    trie.setEntry(
      trie.node(name),
      Buffer.byteLength(file),
      Buffer.byteLength(entry),
      Buffer.byteLength(head),
    );
    file += entry;
  });
  return [trie, file + ']'];
}

/** A temporary folder for one test's files. */
const scratch = (): string => mkdtempSync(join(tmpdir(), 'stackviz-tree-'));

/** The tree file's text for `trie` over the entries file at `entries`, with the given bucket size. */
async function treeOf(
  trie: NameTrie,
  entries: string,
  bucketBytes?: number,
  memory: Uint8Array | null = null,
): Promise<string> {
  const dir = scratch();
  const out = await OutputDir.open(join(dir, 'dest'), false);
  const f = out.create('tree.json');
  await writeTree(trie, f, entries, bucketBytes, memory);
  await f.close();
  await out.commit({ deployer: false, datasets: [] }, ['tree.json']);
  const text = readFileSync(join(dir, 'dest', 'tree.json'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return text;
}

/** The tree file's text for `trie` over the entries `file` (written to a temporary file). */
async function treeText(
  trie: NameTrie,
  file: string,
  bucketBytes?: number,
  memory: Uint8Array | null = null,
): Promise<string> {
  const dir = scratch();
  const path = join(dir, 'entries');
  writeFileSync(path, file);
  const text = await treeOf(trie, path, bucketBytes, memory);
  rmSync(dir, { recursive: true, force: true });
  return text;
}

/** Write entries like the run writer does and build the tree with the given bucket size. */
async function tree(names: string[], bucketBytes?: number): Promise<Node> {
  const [trie, file] = indexed(names);
  return JSON.parse(await treeText(trie, file, bucketBytes)) as Node;
}

/** The expected tree text, built naively from nested Maps: an oracle independent of the trie. */
function expectedText(names: string[], body: (i: number) => string): string {
  interface Ref {
    kids: Map<string, Ref>;
    entry: number;
    full: string;
  }
  const top: Ref = { kids: new Map(), entry: -1, full: '' };
  names.forEach((name, i) => {
    let n = top;
    const segs = name.split('.');
    segs.forEach((seg, k) => {
      let kid = n.kids.get(seg);
      if (kid === undefined) {
        kid = { kids: new Map(), entry: -1, full: segs.slice(0, k + 1).join('.') };
        n.kids.set(seg, kid);
      }
      n = kid;
    });
    n.entry = i;
  });
  const text = (seg: string, n: Ref): string => {
    let s = `{"name":${JSON.stringify(seg)}`;
    if (n.entry >= 0) s += `,${body(n.entry).slice(0, -1)},"name_full":${JSON.stringify(n.full)}`;
    if (n.kids.size === 0 && n.entry >= 0) return `${s}}`;
    const kids = Array.from(n.kids, ([k, v]) => text(k, v));
    return `${s},"children":[${kids.join(',')}]}`;
  };
  if (top.kids.size === 1) {
    const [seg, n] = top.kids.entries().next().value as [string, Ref];
    return text(seg, n);
  }
  return `{"name":"","children":[${Array.from(top.kids, ([k, v]) => text(k, v)).join(',')}]}`;
}

describe('NameTrie', () => {
  it('nests names by segment with leaves carrying name_full and the entry fields', async () => {
    const t = await tree(['a.b.c', 'a.b.d', 'a.e']);
    expect(t).toEqual({
      name: 'a',
      children: [
        {
          name: 'b',
          children: [
            { name: 'c', status: 's0', name_full: 'a.b.c' },
            { name: 'd', status: 's1', name_full: 'a.b.d' },
          ],
        },
        { name: 'e', status: 's2', name_full: 'a.e' },
      ],
    });
  });
  it('uses a "" root when first segments differ, and the latest entry of a repeated name', async () => {
    const t = await tree(['x.t', 'y.t', 'x.t']);
    expect(t.name).toBe('');
    expect(t.children?.map((c) => c.name)).toEqual(['x', 'y']);
    expect(t.children?.[0]?.children?.[0]).toEqual({ name: 't', status: 's2', name_full: 'x.t' });
  });
  it('keeps a name that is both a leaf and a parent, and hostile segments as data', async () => {
    const t = await tree(['__proto__.constructor', '__proto__', '__proto__.constructor.x']);
    expect(t.name).toBe('__proto__');
    expect(t.status).toBe('s1');
    expect(t.children?.[0]).toMatchObject({ name: 'constructor', status: 's0', children: [{ name: 'x' }] });
  });
  it('gives the same tree through bucket files as from memory', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `p.m${i % 7}.C${i % 13}.test_${i}`);
    const whole = await tree(names);
    const bucketed = await tree(names, 200);
    expect(bucketed).toEqual(whole);
    const count = (n: Node): number =>
      (n.name_full ? 1 : 0) + (n.children ?? []).reduce((s, c) => s + count(c), 0);
    expect(count(whole)).toBe(300);
  });
  it("keeps every name's fields across many pages of names", () => {
    const trie = new NameTrie();
    const n = 40_000;
    const leaves: number[] = [];
    for (let i = 0; i < n; i++) {
      const leaf = trie.node(`m${i % 17}.C${i % 101}.t${i}`);
      expect(trie.offOf(leaf)).toBe(-1);
      trie.setEntry(leaf, i * 1000 + 1, i + 2, (i % 300) + 3);
      if (i % 2 === 1) trie.setKeyed(leaf);
      trie.setSuffix(leaf, i % 7);
      leaves.push(leaf);
    }
    expect(trie.size).toBe(n);
    for (let i = 0; i < n; i++) {
      const leaf = trie.find(`m${i % 17}.C${i % 101}.t${i}`);
      expect(leaf).toBe(leaves[i]);
      expect([
        trie.offOf(leaf),
        trie.lenOf(leaf),
        trie.preOf(leaf),
        trie.isKeyed(leaf),
        trie.suffixOf(leaf),
      ]).toEqual([i * 1000 + 1, i + 2, (i % 300) + 3, i % 2 === 1, i % 7]);
    }
    expect(trie.find('m0.C0')).toBe(-1);
    expect(trie.find('m0.C0.t0.x')).toBe(-1);
  });
  it('stores offsets past 2^31 and 2^32 exactly', () => {
    const trie = new NameTrie();
    const offs = [2 ** 31, 2 ** 31 + 7, 2 ** 32 + 1, 2 ** 40 + 3, 2 ** 53 - 1];
    const leaves = offs.map((o, i) => {
      const leaf = trie.node(`a.t${i}`);
      trie.setEntry(leaf, o, 1, 1);
      return leaf;
    });
    expect(leaves.map((l) => trie.offOf(l))).toEqual(offs);
  });
  it('orders offsets, equal ones included, whether or not `off * n + index` fits 2^53', () => {
    const check = (offs: Float64Array): void => {
      const order = Array.from(byOffset(offs));
      expect(order.map((r) => offs[r])).toEqual(Array.from(offs).sort((a, b) => a - b));
      expect(new Set(order).size).toBe(offs.length);
    };
    // Past 2^53 once multiplied by the count: the comparator path.
    check(new Float64Array([5, 2 ** 40 + 1, 0, 2 ** 40, 7, 5, 2 ** 52 + 2, 3]));
    // The packed path, with offsets past 2^32 and repeats.
    const many = new Float64Array(5000);
    for (let i = 0; i < many.length; i++) many[i] = ((i * 7919) % 4999) * 2 ** 20 + (i % 3);
    check(many);
  });
  it('orders offsets by their nodes when node order is file order, and by sorting when it is not', () => {
    const n = 3000;
    // Ranks in a shuffled (tree) order; node ids given in the order of the offsets, as a stream makes them.
    const ranks = Array.from({ length: n }, (_, i) => (i * 1237) % n);
    const offs = new Float64Array(n);
    const leaves = new Int32Array(n);
    ranks.forEach((rank, k) => {
      offs[rank] = 100 + k * 50;
      leaves[rank] = 1 + 2 * k;
    });
    const sorted = (o: Float64Array): number[] => Array.from(o).sort((a, b) => a - b);
    expect(Array.from(byOffset(offs, leaves, 2 * n + 1)).map((r) => offs[r])).toEqual(sorted(offs));
    // A retry: one leaf's entry moved past the others, so node order is no longer file order.
    offs[ranks[10] as number] = 100 + n * 50;
    const order = Array.from(byOffset(offs, leaves, 2 * n + 1));
    expect(order.map((r) => offs[r])).toEqual(sorted(offs));
    expect(order).toEqual(Array.from(byOffset(offs)));
  });
  it('writes the same bytes from memory and through any number of buckets, matching a naive model', async () => {
    const names: string[] = [];
    for (let i = 0; i < 400; i++) names.push(`pkg.mod${i % 5}.Class${i % 11}.test_${(i * 37) % 97}`);
    // Prefixes that are names of their own, repeats (the latest entry wins), non-ASCII and escaped segments.
    names.push('pkg.mod1', 'pkg', 'pkg.mod1.Class1.test_37', 'pkg.m\u00e9\u2603.t"q"\\.🙂', 'pkg.mod1');
    names.push('other.x', 'pkg.mod0.Class0.test_0.sub');
    // Escapes longer than their characters (`\u0001`: 6 bytes for 1), a lone surrogate, an empty segment.
    names.push(`pkg.${'\x01'.repeat(300)}.t`, 'pkg.\ud800x.t', 'pkg..t', 'pkg.\x7f.t');
    // Entry bodies of varied sizes: one larger than any buffer of the writer or the bucket staging.
    const body = (i: number): string =>
      `"status":"s${i}","pad":"${'x'.repeat(i === 17 ? 3 * 1024 * 1024 : (i * 131) % 900)}"}`;
    const [trie, file] = indexed(names, body);
    const want = expectedText(names, body);
    expect(await treeText(trie, file)).toBe(want);
    for (const bucket of [1, 700, 4096, 64 * 1024, 2 * 1024 * 1024]) {
      expect(await treeText(trie, file, bucket)).toBe(want);
    }
  });
  it('lays big trees out in the memory it is given (the idle input ring), writing the same bytes', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `pkg.mod${i % 7}.Class${i % 13}.test_${i}`);
    const body = (i: number): string => `"status":"s${i}","pad":"${'y'.repeat(3000 + ((i * 977) % 4000))}"}`;
    const [trie, file] = indexed(names, body);
    expect(file.length).toBeGreaterThan(10_000_000);
    const want = await treeText(trie, file, 1024 * 1024);
    const memory = new Uint8Array(new SharedArrayBuffer(6 * 1024 * 1024)).fill(0xee);
    expect(await treeText(trie, file, 1024 * 1024, memory)).toBe(want);
    // It was used: its buckets (more than one) overwrote the marker bytes.
    expect(memory.indexOf(0xee)).toBeGreaterThan(4 * 1024 * 1024);
    // Memory too small for a worthwhile layout: not used.
    const small = new Uint8Array(2 * 1024 * 1024).fill(0xee);
    expect(await treeText(trie, file, 1024 * 1024, small)).toBe(want);
    expect(small.every((b) => b === 0xee)).toBe(true);
    // Used even where the default buckets would do with two (no fresh memory for them), and whole when the
    // tree fits: one bucket, the rest of the memory untouched.
    const used = new Uint8Array(6 * 1024 * 1024).fill(0xee);
    expect(await treeText(trie, file, 8 * 1024 * 1024, used)).toBe(want);
    expect(used.indexOf(0xee)).toBeGreaterThan(4 * 1024 * 1024);
    const whole = new Uint8Array(file.length + 2 * 1024 * 1024).fill(0xee);
    expect(await treeText(trie, file, 1024 * 1024, whole)).toBe(want);
    expect(whole.subarray(file.length + 1536 * 1024).every((b) => b === 0xee)).toBe(true);
  });
  it('reads entries stored past 4 GB of a (sparse) entries file, through buckets', async () => {
    const names = ['z.c.t1', 'z.b.t2', 'z.c.t3', 'z.a.t4'];
    const body = (i: number): string => `"status":"s${i}"}`;
    const trie = new NameTrie();
    const dir = scratch();
    const path = join(dir, 'entries');
    const fd = openSync(path, 'w');
    let at = 2 ** 32 + 12345;
    names.forEach((name, i) => {
      const head = `{"name":${JSON.stringify(name)},`;
      const entry = Buffer.from(head + body(i));
      trie.setEntry(trie.node(name), at, entry.length, Buffer.byteLength(head));
      writeSync(fd, entry, 0, entry.length, at);
      at += entry.length + 1000;
    });
    closeSync(fd);
    expect(await treeOf(trie, path, 40)).toBe(expectedText(names, body));
    rmSync(dir, { recursive: true, force: true });
  });
  it('writes a name of 20,000 segments without running out of stack', async () => {
    const segs = Array.from({ length: 20000 }, (_, i) => `s${i % 10}`);
    const deep = segs.join('.');
    const [trie, file] = indexed([deep, 'x.y'], (i) => `"status":"s${i}"}`);
    // Built flat: the naive model would recurse 20,000 deep itself.
    const want =
      '{"name":"","children":[' +
      segs
        .slice(0, -1)
        .map((seg) => `{"name":"${seg}","children":[`)
        .join('') +
      `{"name":"s9","status":"s0","name_full":"${deep}"}` +
      ']}'.repeat(segs.length - 1) +
      ',{"name":"x","children":[{"name":"y","status":"s1","name_full":"x.y"}]}]}';
    expect(await treeText(trie, file)).toBe(want);
    expect(trie.find(deep)).toBe(trie.node(deep));
    expect(trie.find(segs.slice(0, 3).join('.'))).toBe(-1);
    expect(trie.size).toBe(2);
  });
  it('writes only names with an entry (a details key such as `<stream output>` is none), and rejects a short entries file', async () => {
    const trie = new NameTrie();
    trie.node('a.b');
    trie.node('<stream output>');
    const dir = scratch();
    expect(await treeOf(trie, join(dir, 'missing'))).toBe('{"name":"","children":[]}');
    const [short, file] = indexed(['a.b', 'a.c']);
    await expect(treeText(short, file.slice(0, file.length - 20))).rejects.toThrow(/shorter than its index/);
    const [keyed, text] = indexed(['a.b', 'a.c']);
    keyed.node('<stream output>');
    keyed.node('z.y.x');
    expect(await treeText(keyed, text)).toBe(expectedText(['a.b', 'a.c'], (i) => `"status":"s${i}"}`));
    rmSync(dir, { recursive: true, force: true });
  });
  it('places a prefix that is also a name where the first of the two appeared', async () => {
    // `a.x` is a test before it is a prefix (of `a.x.w`); `a.y` is a prefix first.
    const names = ['a.x', 'a.y.z', 'a.x.w', 'a.y', 'a.v', 'a.x'];
    const body = (i: number): string => `"status":"s${i}"}`;
    const [trie, file] = indexed(names, body);
    expect(await treeText(trie, file)).toBe(expectedText(names, body));
  });
  it('matches the naive model on random names: shared prefixes, repeats, names that are prefixes', async () => {
    const seg = fc.constantFrom('a', 'b', 'c', '', 'é', '"', 'x\\y');
    const name = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
    await fc.assert(
      fc.asyncProperty(fc.array(name, { minLength: 0, maxLength: 40 }), async (names) => {
        const body = (i: number): string => `"status":"s${i}"}`;
        const [trie, file] = indexed(names, body);
        expect(await treeText(trie, file, 64)).toBe(expectedText(names, body));
        for (const n of names) expect(trie.find(n)).toBe(trie.node(n));
        expect(trie.size).toBe(new Set(names).size);
      }),
      { numRuns: 200 },
    );
  });
});
