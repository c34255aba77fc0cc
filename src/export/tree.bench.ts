// Bench for the tree phase alone: time `NameTrie.write` on a real export's `_raw.json`, or measure the
// trie's heap per leaf for many tempest-like names. Run by hand after a build (not part of `npm run bench`):
//   node dist/src/export/tree.bench.js time <_raw.json> [out-dir] [bucketBytes]
//   node --expose-gc dist/src/export/tree.bench.js mem [count]
import { Buffer } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OutputDir } from './output.js';
import { NameTrie } from './tree.js';

/**
 * Byte ranges of the entries of a raw file (`[{…},{…}]`, objects at depth 1 of the top array), each with
 * the byte length of its `{"name":<json>,` prefix and its name, found by scanning bytes.
 */
function entriesOf(buf: Buffer): { off: number; len: number; pre: number; name: string }[] {
  const out: { off: number; len: number; pre: number; name: string }[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c === 0x22) {
      // Skip a string; the first one after `{"name":` in an entry is the name.
      let j = i + 1;
      while (buf[j] !== 0x22) j += buf[j] === 0x5c ? 2 : 1;
      if (depth === 2 && i === start + 8) {
        const name = JSON.parse(buf.toString('utf8', i, j + 1)) as string;
        out.push({ off: start, len: 0, pre: j + 2 - start, name });
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 2) start = i;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 2) (out[out.length - 1] as { len: number }).len = i + 1 - start;
      depth--;
    }
  }
  return out;
}

async function time(
  rawPath: string,
  dest: string | undefined,
  bucketBytes: number | undefined,
): Promise<void> {
  const buf = readFileSync(rawPath);
  const entries = entriesOf(buf);
  const trie = new NameTrie();
  const t0 = performance.now();
  for (const e of entries) {
    const leaf = trie.node(e.name);
    trie.off[leaf] = e.off;
    trie.len[leaf] = e.len;
    trie.pre[leaf] = e.pre;
  }
  const t1 = performance.now();
  const dir = dest ?? mkdtempSync(join(tmpdir(), 'stackviz-tree-bench-'));
  const out = await OutputDir.open(dir, false);
  const f = out.create('tree.json');
  const t2 = performance.now();
  await trie.write(f, rawPath, bucketBytes);
  await f.close();
  const t3 = performance.now();
  await out.commit({ deployer: false, datasets: [] }, ['tree.json']);
  console.log(
    `${entries.length} entries; trie build ${(t1 - t0).toFixed(0)} ms; tree write ${(t3 - t2).toFixed(0)} ms` +
      ` -> ${join(dir, 'tree.json')}`,
  );
  if (dest === undefined) rmSync(dir, { recursive: true, force: true });
}

/** Tempest-like ids: ~2,000 classes of ~20 tests each under a few packages and modules. */
function tempestName(i: number): string {
  const cls = Math.floor(i / 20);
  const area = ['compute', 'volume', 'network', 'identity', 'image', 'object_storage'][cls % 6] as string;
  const mod = `test_${area}_${Math.floor(cls / 7) % 300}`;
  const sub = cls % 3 === 0 ? 'admin.' : '';
  return `tempest.api.${area}.${sub}${mod}.${area[0]?.toUpperCase() ?? ''}${area.slice(1)}Test${cls}JSON.test_case_${i % 20}_${(i * 2654435761) % 100000}`;
}

function mem(count: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  const before = process.memoryUsage();
  const trie = new NameTrie();
  for (let i = 0; i < count; i++) {
    // A fresh string per name, as a parser would produce, so the trie's own copies are what stays.
    const name = Buffer.from(tempestName(i)).toString('utf8');
    const leaf = trie.node(name);
    trie.off[leaf] = i * 500;
    trie.len[leaf] = 400;
    trie.pre[leaf] = 100;
  }
  gc();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  const ext = after.external - before.external;
  console.log(
    `${count} names: heap +${(heap / 1e6).toFixed(1)} MB, external +${(ext / 1e6).toFixed(1)} MB, ` +
      `${((heap + ext) / count).toFixed(1)} B/leaf (rss ${(after.rss / 1e6).toFixed(0)} MB)`,
  );
  // Keep the trie alive until measured.
  if (trie.find(tempestName(0)) < 0) throw new Error('lost a name');
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'time' && a !== undefined) await time(a, b, c === undefined ? undefined : Number(c));
else if (mode === 'mem') mem(Number(a ?? 400000));
else console.error('usage: tree.bench.js time <_raw.json> [out-dir] [bucketBytes] | mem [count]');
