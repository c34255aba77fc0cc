// Unit tests for the name trie and tree writing, including the bucketed read-back of entries.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputDir } from './output.js';
import { NameTrie } from './tree.js';

interface Node {
  name: string;
  name_full?: string;
  status?: string;
  children?: Node[];
}

/** Write entries like the run writer does and build the tree with the given bucket size. */
async function tree(names: string[], bucketBytes?: number): Promise<Node> {
  const dir = mkdtempSync(join(tmpdir(), 'stackviz-tree-'));
  const trie = new NameTrie();
  let file = '';
  names.forEach((name, i) => {
    const head = `{"name":${JSON.stringify(name)},`;
    const entry = `${head}"status":"s${i}"}`;
    const leaf = trie.node(name);
    trie.off[leaf] = Buffer.byteLength(file);
    trie.len[leaf] = Buffer.byteLength(entry);
    trie.pre[leaf] = Buffer.byteLength(head);
    file += entry + '\n';
  });
  const entries = join(dir, 'entries');
  writeFileSync(entries, file);
  const out = await OutputDir.open(join(dir, 'dest'), false);
  const f = out.create('tree.json');
  await trie.write(f, entries, bucketBytes);
  await f.close();
  await out.commit({ deployer: false, datasets: [] }, ['tree.json']);
  return JSON.parse(readFileSync(join(dir, 'dest', 'tree.json'), 'utf8')) as Node;
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
});
