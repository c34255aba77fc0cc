// Big details go out in parts (memory stays flat): the files are the same as when they go out whole.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RawEntry } from '../contract/export-format.js';
import { encodePacket } from '../formats/subunit/v2-encode.js';
import { AutoReader } from '../formats/subunit/detect.js';
import { TestAssembler } from '../model/assemble.js';
import { BUILT_WORKER, exportBytes, readTree } from '../../test/export-helpers.js';
import { readExport } from '../../test/golden/golden-helpers.js';
import { OutputDir } from './output.js';
import { RING_SLOTS, RunPreparer, WorkerPipeline, type SpillLimits } from './pipeline.js';
import type { PreparedBatch } from './prepare.js';
import { prestartWorker, takeWorker } from './worker-start.js';
import { RunWriter } from './run-writer.js';

const MIB = 1024 * 1024;
const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A log of `n` bytes: lines with quotes, a tab, a multi-byte character cut by packet boundaries anywhere. */
function log(n: number, seed: number): Buffer {
  const line = enc(`${seed} "GET /v2/servers" 200 \t été 😀 \\ ok\n`);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += line.length) line.copy(out, i);
  // The cut-off end must stay valid UTF-8: pad with ASCII after the last whole line.
  out.fill(0x2e, n - (n % line.length));
  return out;
}

/** Cut `bytes` into file packets of `size` bytes for `testId`/`name`. */
function filePackets(
  testId: string | undefined,
  name: string,
  mime: string,
  bytes: Buffer,
  size: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    out.push(
      encodePacket({
        ...(testId === undefined ? {} : { testId }),
        fileName: name,
        mimeType: mime,
        fileBytes: bytes.subarray(i, Math.min(bytes.length, i + size)),
        eof: i + size >= bytes.length,
      }),
    );
  }
  return out;
}

const start = (id: string, s: number): Uint8Array =>
  encodePacket({ testId: id, status: 'inprogress', timestamp: { seconds: s, nanos: 0 }, tags: ['worker-0'] });
const stop = (id: string, s: number, status: 'success' | 'fail' = 'success'): Uint8Array =>
  encodePacket({ testId: id, status, timestamp: { seconds: s, nanos: 500 }, tags: ['worker-0'] });

const BIG = log(3 * MIB + 123, 1);
const LATIN = Buffer.from(Array.from({ length: 2 * MIB + 7 }, (_, i) => 0x41 + (i % 190)));
const OUTPUT = log(MIB + 5000, 2);

/** Small tests around two tests with multi-MiB attachments (UTF-8, ISO-8859-1), and big run output. */
function stream(): Buffer {
  const UTF8 = 'text/plain; charset=utf8';
  const packets: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    packets.push(
      start(`t.small.T.test_${i}`, 100 + i),
      ...filePackets(`t.small.T.test_${i}`, 'log', UTF8, log(900, i), 512),
    );
    if (i === 10)
      packets.push(
        start('t.big.T.test_big', 200),
        ...filePackets('t.big.T.test_big', "pythonlogging:''", UTF8, BIG, 65_000),
      );
    if (i === 12) packets.push(...filePackets(undefined, 'stdout', UTF8, OUTPUT, 60_000));
    if (i === 15) packets.push(stop('t.big.T.test_big', 210, 'fail'));
    if (i === 20) {
      packets.push(
        start('t.big.T.test_latin', 300),
        ...filePackets('t.big.T.test_latin', 'dump', 'text/plain', LATIN, 700_000),
      );
      packets.push(stop('t.big.T.test_latin', 301));
    }
    packets.push(stop(`t.small.T.test_${i}`, 100 + i));
  }
  return Buffer.concat(packets);
}

const naming = { source: 'big', runId: 0, key: 'big', title: 'Big' };

/** Through the export pipeline, whose preparer hands big details out in parts. */
async function viaPipeline(bytes: Buffer): Promise<Map<string, Buffer>> {
  return readTree(await exportBytes(bytes, { chunk: MIB, source: naming.source, title: naming.title }));
}

/** Test by test through RunWriter.onTest, whose preparer keeps every test's details whole. */
async function viaWholeTests(bytes: Buffer): Promise<Map<string, Buffer>> {
  const dest = mkdtempSync(join(tmpdir(), 'stackviz-whole-'));
  const out = await OutputDir.open(dest, false);
  const w = RunWriter.create(out, naming);
  const assembler = new TestAssembler({
    onTest: (t) => w.onTest(t),
    onStreamOutput: (o) => w.onStreamOutput(o),
  });
  const reader = new AutoReader(assembler);
  reader.push(bytes);
  reader.end();
  assembler.finish();
  const res = await w.finish();
  await out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files);
  const all = readTree(dest);
  all.delete('config.json');
  return all;
}

describe('big details in parts', () => {
  const bytes = stream();

  it('hands big details out in batches of about 1 MiB, never one big batch', () => {
    const batches: PreparedBatch[] = [];
    const run = new RunPreparer((b) => batches.push(b));
    for (let i = 0; i < bytes.length; i += MIB) run.push(bytes.subarray(i, i + MIB));
    run.end();
    const parts = batches.filter((b) => b.partial !== null);
    expect(parts.filter((b) => b.partial?.first).map((b) => b.partial?.name)).toEqual([
      't.big.T.test_big',
      't.big.T.test_latin',
      null,
    ]);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    for (const b of batches) expect(b.used).toBeLessThan(2 * MIB);
    expect(batches.reduce((n, b) => n + b.count, 0)).toBe(32);
  });

  it('writes the same files as whole details, and the text of every big attachment', async () => {
    const parts = await viaPipeline(bytes);
    const whole = await viaWholeTests(bytes);
    parts.delete('config.json');
    expect([...parts.keys()]).toEqual([...whole.keys()]);
    for (const [p, b] of whole) expect((parts.get(p) as Buffer).equals(b), p).toBe(true);

    const details = JSON.parse((parts.get('tempest_big_0_details.json') as Buffer).toString()) as Record<
      string,
      Record<string, string>
    >;
    expect(details['t.big.T.test_big']?.['pythonlogging']).toBe(BIG.toString('utf8'));
    expect(details['t.big.T.test_latin']?.['dump']).toBe(LATIN.toString('latin1'));
    expect(details['<stream output>']?.['stdout']).toBe(OUTPUT.toString('utf8'));
    expect(Object.keys(details)).toHaveLength(33);

    // Each entry's range holds its details, also when they crossed in parts.
    const raw = JSON.parse((parts.get('tempest_big_0_raw.json') as Buffer).toString()) as RawEntry[];
    const big = raw.find((e) => e.name === 't.big.T.test_big') as RawEntry;
    const [start, end] = big.details_range ?? [0, 0];
    const value = JSON.parse(
      (parts.get('tempest_big_0_details.json') as Buffer).subarray(start, end).toString(),
    ) as Record<string, string>;
    expect(value['pythonlogging']).toBe(BIG.toString('utf8'));
  }, 60_000);
});

describe('WorkerPipeline', () => {
  it('reports a worker that fails instead of waiting for it forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-badworker-'));
    const url = pathToFileURL(join(dir, 'worker.mjs'));
    writeFileSync(url, "throw new Error('broken worker');\n");
    const pipe = new WorkerPipeline(url);
    try {
      pipe.begin(() => null, null);
      const pushed = (async () => {
        for (let i = 0; i < 20; i++) await pipe.push(new Uint8Array(1024));
        await pipe.end();
      })();
      await expect(pushed).rejects.toThrow(/broken worker/);
    } finally {
      await pipe.close();
    }
  });

  it('takes a prestarted worker, and reports one that failed before it was taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-badworker-'));
    const url = pathToFileURL(join(dir, 'worker.mjs'));
    writeFileSync(url, "throw new Error('broken early');\n");
    prestartWorker(url);
    // Long enough for the worker to fail with no pipeline listening yet.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pipe = new WorkerPipeline(url);
    try {
      pipe.begin(() => null, null);
      await expect(pipe.push(new Uint8Array(1024))).rejects.toThrow(/broken early/);
    } finally {
      await pipe.close();
    }

    const early = prestartWorker(BUILT_WORKER);
    const first = takeWorker(BUILT_WORKER);
    const second = takeWorker(BUILT_WORKER);
    expect(first.worker).toBe(early);
    expect(second.worker).not.toBe(early);
    await Promise.all([first.worker.terminate(), second.worker.terminate()]);
  });
});

describe('a run whose input broke off', () => {
  it('gets the damage as one more failing subunit.parser test, on one thread and in the worker alike', async () => {
    // Cut inside a packet: the decoder's own short read comes first, then the input's damage.
    const bytes = Buffer.concat([start('a', 1), stop('a', 2), start('b', 3), stop('b', 4, 'fail')]);
    const cut = bytes.subarray(0, bytes.length - 5);
    const why = "'x.gz': corrupt gzip data (unexpected end of file) after 99 bytes";
    const inline = await exportBytes(cut, { chunk: 7, damage: why });
    expect(readTree(await exportBytes(cut, { chunk: 7, damage: why, worker: true }))).toEqual(
      readTree(inline),
    );
    const ex = readExport(inline, 0);
    expect(ex.raw.map((t) => [t.name, t.status])).toEqual([
      ['a', 'success'],
      ['subunit.parser', 'fail'],
      ['subunit.parser', 'fail'],
      ['b', 'inprogress'],
    ]);
    expect(ex.details['subunit.parser']?.['ParserError']).toMatch(/^Short read/);
    expect(ex.details['subunit.parser#2']).toEqual({ ParserError: why });
    expect(ex.stats.failures).toHaveLength(2);
    expect(ex.stats.parser_errors).toBe(2);
  });
});

describe('spilling held attachment bytes', () => {
  const bytes = stream();

  /** The run's files when prepared with `spillPath` (and limits), written by a RunWriter. */
  async function exportWith(
    spillPath: string | null,
    limits?: SpillLimits,
  ): Promise<{ files: Map<string, Buffer>; spills: number }> {
    const dest = mkdtempSync(join(tmpdir(), 'stackviz-spilled-'));
    const out = await OutputDir.open(dest, false);
    const w = RunWriter.create(out, naming);
    const run = new RunPreparer((b) => w.onBatch(b), false, spillPath, limits);
    // Small chunks: the spill rules run often, between the packets of the big attachments.
    for (let i = 0; i < bytes.length; i += 100_000) run.push(bytes.subarray(i, i + 100_000));
    run.end();
    const res = await w.finish();
    await out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files);
    return { files: readTree(dest), spills: run.spills };
  }

  it('writes the same files when held bytes go to a file, by size and by age, however often', async () => {
    const whole = await exportWith(null);
    expect(whole.spills).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-spill-'));
    for (const limits of [
      // Ages in bytes of input (the stream is fed in chunks of 100,000 bytes).
      { maxHeld: 256 * 1024, maxAge: 1 << 30, ageScan: 1 },
      { maxHeld: 1 << 30, maxAge: 1, ageScan: 1 },
      { maxHeld: 100_000, maxAge: 200_000, ageScan: 300_000 },
    ]) {
      const spilled = await exportWith(join(dir, 'spill'), limits);
      expect(spilled.spills).toBeGreaterThan(3);
      expect([...spilled.files.keys()]).toEqual([...whole.files.keys()]);
      for (const [p, b] of whole.files) expect((spilled.files.get(p) as Buffer).equals(b), p).toBe(true);
      // The spill file is gone once the run is prepared.
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});

describe('the input ring', () => {
  /** The run's files, prepared on this thread (null) or through a worker with a small input ring. */
  async function filesOf(bytes: Uint8Array, ring: { inputBytes: number; limits: SpillLimits } | null) {
    const dest = mkdtempSync(join(tmpdir(), 'stackviz-ring-'));
    const out = await OutputDir.open(dest, false);
    const w = RunWriter.create(out, naming);
    if (ring === null) {
      const run = new RunPreparer((b) => w.onBatch(b));
      run.push(bytes);
      run.end();
    } else {
      const pipe = new WorkerPipeline(BUILT_WORKER, ring);
      try {
        // A slow writer: the worker waits for batch slots while this thread fills the input ring ahead.
        pipe.begin((b) => {
          w.onBatch(b);
          return new Promise((resolve) => setTimeout(resolve, 3));
        }, out.scratchPath('.spill'));
        // Chunks that cut packets: a packet is read in place across chunks, or copied at the ring's end.
        for (let i = 0; i < bytes.length; i += 100_000) await pipe.push(bytes.subarray(i, i + 100_000));
        await pipe.end();
      } finally {
        await pipe.close();
      }
    }
    const res = await w.finish();
    await out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files);
    return readTree(dest);
  }

  it('is reused many times over (held bytes spilled before), and the files stay the same', async () => {
    // A test open across the stream gets a 200 KB packet (read across chunks) between runs of small tests
    // that hold nothing between them: packets still being read must stay put even when nothing is held.
    const UTF8 = 'text/plain; charset=utf8';
    const long: Uint8Array[] = [start('t.long.T.test_long', 1)];
    for (let k = 0; k < 40; k++) {
      long.push(...filePackets('t.long.T.test_long', 'log', UTF8, log(200_000, k), 200_000));
      for (let j = 0; j < 20; j++) {
        const id = `t.short.T.test_${k}_${j}`;
        long.push(start(id, 2 + k), ...filePackets(id, 'log', UTF8, log(2000, j), 2000), stop(id, 2 + k));
      }
    }
    long.push(stop('t.long.T.test_long', 99, 'fail'));
    const one = stream();
    const bytes = Buffer.concat([...long, one, one]);
    const limits = { maxHeld: 1 << 30, maxAge: 300_000, ageScan: 50_000 };
    // The smallest ring these limits allow, give or take: it comes round about every 5.6 MB.
    const inputBytes = limits.maxAge + limits.ageScan + 5 * MIB + 100_003;
    expect(bytes.length).toBeGreaterThan(3 * inputBytes);
    const want = await filesOf(bytes, null);
    const got = await filesOf(bytes, { inputBytes, limits });
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [p, b] of want) expect((got.get(p) as Buffer).equals(b), p).toBe(true);
    expect(() => new WorkerPipeline(BUILT_WORKER, { inputBytes: 5 * MIB, limits })).toThrow(/too small/);
  }, 60_000);
});

describe('WorkerPipeline over many runs', () => {
  it('prepares run after run through its ring of batch buffers (never waiting on a turn nobody frees)', async () => {
    const bytes = stream();
    const pipe = new WorkerPipeline(BUILT_WORKER);
    try {
      for (let runNo = 0; runNo < 2 * RING_SLOTS + 1; runNo++) {
        let tests = 0;
        let used = 0;
        pipe.begin((b) => {
          tests += b.count;
          used += b.used;
          return runNo % 2 === 0 ? new Promise((r) => setTimeout(r, 1)) : null;
        }, null);
        // Some runs are empty: their last batch is empty and takes no turn of the ring.
        if (runNo % 3 !== 1)
          for (let i = 0; i < bytes.length; i += MIB) await pipe.push(bytes.subarray(i, i + MIB));
        await pipe.end();
        expect(tests).toBe(runNo % 3 === 1 ? 0 : 32);
        expect(used > 0).toBe(runNo % 3 !== 1);
      }
    } finally {
      await pipe.close();
    }
  }, 60_000);
});
