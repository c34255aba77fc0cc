// Bench for the tree phase alone: time `writeTree` on a real export's `_raw.json`, or measure the
// trie's heap per leaf for many tempest-like names. Run by hand after a build (not part of `npm run bench`):
//   node dist/bench/tree-perf.js time <_raw.json> [runs] [bucketBytes]
//   node --expose-gc dist/bench/tree-perf.js mem [count] [testsPerClass]
import { Buffer } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OutputDir } from '../src/export/output.js';
import { NameTrie } from '../src/export/name-trie.js';
import { writeTree } from '../src/export/tree.js';

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

async function time(rawPath: string, runs: number, bucketBytes: number | undefined): Promise<void> {
  const buf = readFileSync(rawPath);
  const entries = entriesOf(buf);
  const trie = new NameTrie();
  const t0 = performance.now();
  for (const e of entries) {
    const leaf = trie.node(e.name);
    trie.setEntry(leaf, e.off, e.len, e.pre);
  }
  console.log(
    `${entries.length} entries, ${trie.size} leaves; trie build ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const times: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < runs; k++) {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-tree-bench-'));
    const out = await OutputDir.open(dir, false);
    const f = out.create('tree.json');
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    await writeTree(trie, f, rawPath, bucketBytes);
    await f.close();
    times.push(performance.now() - t1);
    const c2 = process.cpuUsage(c1);
    // CPU time (all threads): steadier than wall time on a shared machine.
    cpu.push((c2.user + c2.system) / 1000);
    await out.commit({ deployer: false, datasets: [] }, ['tree.json']);
    if (k === runs - 1) console.log(`tree: ${join(dir, 'tree.json')}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const sorted = times.slice().sort((a, b) => a - b);
  console.log(
    `tree write (ms): first ${times[0]?.toFixed(0)}, min ${sorted[0]?.toFixed(0)}, ` +
      `median ${sorted[sorted.length >> 1]?.toFixed(0)} of ${runs}; cpu (ms): first ${cpu[0]?.toFixed(0)}, ` +
      `min ${Math.min(...cpu).toFixed(0)}`,
  );
}

/** Tempest-like ids: classes of `perClass` tests each under a few packages and modules. */
function tempestName(i: number, perClass: number): string {
  const cls = Math.floor(i / perClass);
  const area = ['compute', 'volume', 'network', 'identity', 'image', 'object_storage'][cls % 6] as string;
  const mod = `test_${area}_${Math.floor(cls / 7) % 300}`;
  const sub = cls % 3 === 0 ? 'admin.' : '';
  const klass = `${area[0]?.toUpperCase() ?? ''}${area.slice(1)}Test${cls}JSON`;
  return `tempest.api.${area}.${sub}${mod}.${klass}.test_case_${i % perClass}_${(i * 2654435761) % 100000}`;
}

async function settle(): Promise<NodeJS.MemoryUsage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  // Twice, with a turn between: array buffers are released after the collection that finds them dead.
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  return process.memoryUsage();
}

async function mem(count: number, perClass: number): Promise<void> {
  // Names are made one at a time and dropped, as a parser hands them over: what stays is the trie's.
  const nameOf = (i: number): string => Buffer.from(tempestName(i, perClass)).toString('utf8');
  const before = await settle();
  const trie = new NameTrie();
  let spent = 0;
  for (let i = 0; i < count; i++) {
    const name = nameOf(i);
    const t = performance.now();
    const leaf = trie.node(name);
    spent += performance.now() - t;
    trie.setEntry(leaf, i * 500, 400, 100);
  }
  const after = await settle();
  const heap = after.heapUsed - before.heapUsed;
  const ext = after.arrayBuffers - before.arrayBuffers;
  let found = 0;
  for (let i = 0; i < count; i++) {
    const name = nameOf(i);
    const t = performance.now();
    if (trie.find(name) < 0) throw new Error('lost a name');
    found += performance.now() - t;
  }
  console.log(
    `${count} names, ${perClass} a class: node ${((spent * 1e6) / count).toFixed(0)} ns/name, ` +
      `find ${((found * 1e6) / count).toFixed(0)} ns/name; heap +${(heap / 1e6).toFixed(1)} MB, ` +
      `array buffers +${(ext / 1e6).toFixed(1)} MB: ${((heap + ext) / count).toFixed(1)} B/leaf`,
  );
  if (trie.size !== count) throw new Error('lost a name');
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'time' && a !== undefined)
  await time(a, Number(b ?? 7), c === undefined ? undefined : Number(c));
else if (mode === 'mem') await mem(Number(a ?? 400000), Number(b ?? 20));
else
  console.error(
    'usage: node dist/bench/tree-perf.js time <_raw.json> [runs] [bucketBytes] | mem [count] [testsPerClass]',
  );
