// Unit tests for the run writer on hand-made TestRecords: duplicate names, run output, shards, hostile names.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawEntry, StatsFile } from '../contract/export-format.js';
import type { TestRecord } from '../model/test-record.js';
import { OutputDir, stopExports } from './output.js';
import { RunWriter, shardTarget } from './run-writer.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function rec(
  id: string,
  status: TestRecord['status'],
  files: [string, string][] = [],
  start: number | null = 1e12,
): TestRecord {
  const attachments = new Map(
    files.map(([n, t]) => [
      n,
      { name: n, mimeType: 'text/plain; charset=utf8', chunks: [enc(t)], size: enc(t).length },
    ]),
  );
  return {
    id,
    routeCode: null,
    status,
    tags: ['worker-1'],
    startUs: start,
    endUs: start === null ? null : start + 1500,
    attachments,
    incomplete: false,
  };
}

async function write(
  records: TestRecord[],
  output: [string, string][] = [],
): Promise<{
  raw: RawEntry[];
  details: Record<string, Record<string, string>>;
  stats: StatsFile;
  shards: Record<string, Record<string, string>>[];
}> {
  const dest = mkdtempSync(join(tmpdir(), 'stackviz-rw-'));
  const out = await OutputDir.open(dest, false);
  const w = RunWriter.create(out, { source: 's', runId: 0, key: 's', title: 't' });
  for (const r of records) w.onTest(r);
  for (const [n, t] of output)
    w.onStreamOutput({ name: n, mimeType: null, chunks: [enc(t)], size: enc(t).length });
  const res = await w.finish();
  await out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files);
  const read = (p: string): unknown => JSON.parse(readFileSync(join(dest, p), 'utf8'));
  return {
    raw: read(res.run.raw) as RawEntry[],
    details: read(res.run.details) as Record<string, Record<string, string>>,
    stats: read(res.files[3] as string) as StatsFile,
    shards: (res.run.details_shards ?? []).map((p) => read(p) as Record<string, Record<string, string>>),
  };
}

describe('RunWriter', () => {
  it('keeps every occurrence of a repeated name with unique details keys', async () => {
    const r = await write([
      rec('a.t[id-1]', 'fail', [['traceback', 'first\nE: one']]),
      rec('a.t#2', 'success', [['stdout', 'literal']]),
      rec('a.t[id-1]', 'fail', [['traceback', 'second\nE: two']]),
      rec('a.t[id-1]', 'success'),
    ]);
    expect(r.raw.map((e) => [e.name, e.details_key])).toEqual([
      ['a.t', 'a.t'],
      ['a.t#2', 'a.t#2'],
      ['a.t', 'a.t#3'],
      ['a.t', null],
    ]);
    expect(r.details['a.t']).toEqual({ traceback: 'first\nE: one' });
    expect(r.details['a.t#3']).toEqual({ traceback: 'second\nE: two' });
    expect(r.stats.failures.map((f) => [f.details, f.details_key])).toEqual([
      [['E: one'], 'a.t'],
      [['E: two'], 'a.t#3'],
    ]);
  });

  it('never hands out one key twice, whichever comes first: a repeat or a test named like its key', async () => {
    const r = await write([
      rec('a.t', 'fail', [['traceback', '1']]),
      rec('a.t', 'fail', [['traceback', '2']]), // a.t#2
      rec('a.t#2', 'fail', [['traceback', '3']]), // the name was handed out: a.t#2#2
      rec('a.t#4', 'fail', [['traceback', '4']]), // not handed out yet: its own name
      rec('a.t', 'fail', [['traceback', '5']]), // a.t#3
      rec('a.t', 'fail', [['traceback', '6']]), // a.t#4 is taken by a test: a.t#5
      rec('a.t#02', 'fail', [['traceback', '7']]), // never a generated spelling
      rec('a.t#2', 'fail', [['traceback', '8']]), // a.t#2#3
    ]);
    expect(r.raw.map((e) => e.details_key)).toEqual([
      'a.t',
      'a.t#2',
      'a.t#2#2',
      'a.t#4',
      'a.t#3',
      'a.t#5',
      'a.t#02',
      'a.t#2#3',
    ]);
    expect(Object.entries(r.details).map(([k, v]) => [k, v['traceback']])).toEqual([
      ['a.t', '1'],
      ['a.t#2', '2'],
      ['a.t#2#2', '3'],
      ['a.t#4', '4'],
      ['a.t#3', '5'],
      ['a.t#5', '6'],
      ['a.t#02', '7'],
      ['a.t#2#3', '8'],
    ]);
  });

  it('keeps run output under its own key, named in the stats', async () => {
    const r = await write([rec('<stream output>', 'success', [['x', 'y']])], [['stdout', 'runner noise']]);
    expect(r.stats.stream_output_key).toBe('<stream output>#2');
    expect(r.details['<stream output>#2']).toEqual({ stdout: 'runner noise' });
    expect(r.shards[r.stats.stream_output_shard ?? -1]?.['<stream output>#2']).toEqual({
      stdout: 'runner noise',
    });
  });

  it('treats hostile names as data', async () => {
    const r = await write([
      rec('__proto__', 'success', [['constructor', 'c']]),
      rec('constructor', 'skip', [['reason', 'why']]),
    ]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(r.raw.map((e) => e.details_key)).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(r.details, '__proto__')).toBe(true);
    expect(r.stats.skips[0]?.details).toBe('why');
  });

  it('splits details into 1 MiB shards at first without splitting a test, and the whole file equals the shards', async () => {
    const big = 'x'.repeat(300 * 1024);
    const records = Array.from({ length: 10 }, (_, i) => rec(`p.t${i}`, 'success', [['log', big + i]]));
    const r = await write(records);
    expect(r.shards.length).toBe(4);
    const merged = Object.assign({}, ...r.shards) as Record<string, Record<string, string>>;
    expect(merged).toEqual(r.details);
    r.raw.forEach((e) => expect(r.shards[e.details_shard ?? -1]?.[e.details_key ?? '']).toBeDefined());
  });

  it('makes shards twice as large every eight shards, up to 8 MiB', async () => {
    const MiB = 1024 * 1024;
    expect([0, 7, 8, 15, 16, 23, 24, 31, 32, 1000].map(shardTarget)).toEqual(
      [1, 1, 2, 2, 4, 4, 8, 8, 8, 8].map((m) => m * MiB),
    );
    // 300 KiB a test: three fit in a 1 MiB shard, six in a 2 MiB one.
    const big = 'x'.repeat(300 * 1024);
    const records = Array.from({ length: 40 }, (_, i) => rec(`p.t${i}`, 'success', [['log', big + i]]));
    const r = await write(records);
    expect(r.shards.map((s) => Object.keys(s).length)).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 6, 6, 4]);
    r.raw.forEach((e) => expect(r.shards[e.details_shard ?? -1]?.[e.details_key ?? '']).toBeDefined());
  });

  it('writes an unfinished test with no end, no duration', async () => {
    const t = rec('a.b', 'inprogress');
    t.endUs = null;
    const r = await write([t, rec('a.c', 'success', [], null)]);
    expect(r.raw[0]).toMatchObject({ status: 'inprogress', duration: null });
    expect(r.raw[0]?.timestamps[1]).toBeNull();
    expect(r.raw[1]?.timestamps).toEqual([null, null]);
  });
});

describe('damaged packets in the stats', () => {
  it('a subunit.parser failure is summarised by its Parser Error reason', async () => {
    const reason = 'Bad checksum - calculated (0x1), stored (0x2) at byte 40';
    const { stats } = await write([
      rec('subunit.parser', 'fail', [
        ['Packet data', 'xx'],
        ['Parser Error', reason],
      ]),
      rec('a.b.c', 'fail'),
    ]);
    expect(stats.parser_errors).toBe(1);
    expect(stats.failures.map((f) => f.details)).toEqual([[reason], null]);
  });
});

describe('a full disk', () => {
  // /dev/full answers every write with ENOSPC: a shard file that is a link to it fails like a full disk.
  for (const gzip of [false, true]) {
    it(`fails the run with ENOSPC when a shard cannot be written${gzip ? ' (-z)' : ''}, and nothing else`, async () => {
      const dest = mkdtempSync(join(tmpdir(), 'stackviz-full-'));
      const out = await OutputDir.open(dest, gzip);
      const shards = out.scratchPath('tempest_s_0_details');
      mkdirSync(shards);
      symlinkSync('/dev/full', join(shards, gzip ? '0.json.gz' : '0.json'));
      const w = RunWriter.create(out, { source: 's', runId: 0, key: 's', title: 't' });
      // A few MiB of details: the first shard is closed (and fails) long before the run ends.
      const log = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 60; i++) {
        w.onTest(rec(`t.T.test_${i}`, 'success', [['log', log]]));
        // Tests arrive between I/O events, as batches from the worker do: the failed write is seen meanwhile.
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Before the fix the shard's failed close was an unhandled rejection, which kills the process.
      await expect(w.finish()).rejects.toMatchObject({ code: 'ENOSPC' });
      await out.abort();
      expect(readdirSync(dest)).toEqual([]);
    });
  }
});

describe('a signal (stopExports)', () => {
  /** An export of `names` into `dest`, up to (not including) its commit. */
  async function prepared(
    dest: string,
    names: string[],
  ): Promise<{ out: OutputDir; commit: () => Promise<void> }> {
    const out = await OutputDir.open(dest, false);
    const w = RunWriter.create(out, { source: 's', runId: 0, key: 's', title: 't' });
    for (const n of names) w.onTest(rec(n, 'success', [['log', `log of ${n}`]]));
    const res = await w.finish();
    return {
      out,
      commit: () => out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files),
    };
  }
  /** Every file under DEST with its bytes. */
  const snapshot = (dest: string): string[] =>
    readdirSync(dest, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((p) => `${p}:${readFileSync(p).toString('base64')}`);

  it('during a commit, lets it finish: DEST holds the whole new export, never two mixed', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'stackviz-sig-'));
    await (await prepared(dest, ['a.A.old'])).commit();
    const next = await prepared(dest, ['a.A.new1', 'a.A.new2']);
    const committing = next.commit();
    // The signal arrives while the commit has not finished: it waits for it.
    const stopped = stopExports();
    await committing;
    expect(await stopped).toBe('committed');
    const raw = JSON.parse(readFileSync(join(dest, 'tempest_s_0_raw.json'), 'utf8')) as RawEntry[];
    expect(raw.map((t) => t.name)).toEqual(['a.A.new1', 'a.A.new2']);
    expect(readdirSync(dest).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('before the commit, removes what the export wrote: DEST keeps its previous export unchanged', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'stackviz-sig-'));
    await (await prepared(dest, ['a.A.old'])).commit();
    const before = snapshot(dest);
    await prepared(dest, ['a.A.new1']);
    expect(readdirSync(dest).some((n) => n.startsWith('.stackviz-export-'))).toBe(true);
    expect(await stopExports()).toBe('removed');
    expect(snapshot(dest)).toEqual(before);
  });
});
