// Unit tests for the run writer on hand-made TestRecords: duplicate names, run output, byte ranges, hostile names.
import { mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ByteRange, DetailsIndex, RawEntry, StatsFile, TempestRun } from '../contract/export-format.js';
import type { TestRecord } from '../model/test-record.js';
import { FINAL_BLOCK } from './gzip-segments.js';
import { OutputDir, stopExports } from './output.js';
import { RunWriter } from './run-writer.js';

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

interface Written {
  raw: RawEntry[];
  details: Record<string, Record<string, string>>;
  /** `_details.json`'s text (inflated under -z). */
  text: Buffer;
  stats: StatsFile;
  run: TempestRun;
  /** The `.gz` file's bytes under -z. */
  packed: Buffer | null;
}

async function write(records: TestRecord[], output: [string, string][] = [], gzip = false): Promise<Written> {
  const dest = mkdtempSync(join(tmpdir(), 'stackviz-rw-'));
  const out = await OutputDir.open(dest, gzip);
  const w = RunWriter.create(out, { source: 's', runId: 0, key: 's', title: 't' });
  for (const r of records) w.onTest(r);
  for (const [n, t] of output)
    w.onStreamOutput({ name: n, mimeType: null, chunks: [enc(t)], size: enc(t).length });
  const res = await w.finish();
  await out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files);
  const bytes = (p: string): Buffer => {
    const b = readFileSync(join(dest, p));
    return gzip ? gunzipSync(b) : b;
  };
  const read = (p: string): unknown => JSON.parse(bytes(p).toString('utf8'));
  const text = bytes(res.run.details);
  return {
    raw: read(res.run.raw) as RawEntry[],
    details: JSON.parse(text.toString('utf8')) as Record<string, Record<string, string>>,
    text,
    stats: read(res.files[3] as string) as StatsFile,
    run: res.run,
    packed: gzip ? readFileSync(join(dest, res.run.details)) : null,
  };
}

/** The value at `range` in `_details.json`, read as the viewer reads it: from the text, or the gzip segments. */
function valueAt(w: Written, [start, end]: ByteRange): unknown {
  if (w.packed === null) return JSON.parse(w.text.subarray(start, end).toString('utf8'));
  const { plain, packed } = w.run.details_index as DetailsIndex;
  let i = 0;
  while ((plain[i + 1] as number) <= start) i++;
  let j = i;
  while ((plain[j + 1] as number) < end) j++;
  const segments = w.packed.subarray(packed[i], packed[j + 1]);
  const inflated = inflateRawSync(Buffer.concat([segments, FINAL_BLOCK]));
  const at = start - (plain[i] as number);
  return JSON.parse(inflated.subarray(at, at + end - start).toString('utf8'));
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
      ['a.t', 'a.t#4'],
    ]);
    expect(r.details['a.t#4']).toEqual({});
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
    expect(valueAt(r, r.stats.stream_output_range as ByteRange)).toEqual({ stdout: 'runner noise' });
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

  for (const gzip of [false, true]) {
    it(`gives every test an entry and each test with attachments its byte range${gzip ? ' (-z)' : ''}`, async () => {
      // 300 KiB a test: the -z segments (1 MiB) cut through tests, and some tests span two segments.
      const big = 'x'.repeat(300 * 1024);
      const records = Array.from({ length: 12 }, (_, i) =>
        rec(`p.t${i}`, i % 3 === 2 ? 'success' : 'fail', i % 3 === 2 ? [] : [['log', big + i]]),
      );
      const r = await write(records, [['stdout', 'noise']], gzip);
      expect(Object.keys(r.details)).toEqual([...records.map((_, i) => `p.t${i}`), '<stream output>']);
      r.raw.forEach((e, i) => {
        expect(e.details_key).toBe(`p.t${i}`);
        if (i % 3 === 2) expect([e.details_range, r.details[e.details_key ?? '']]).toEqual([null, {}]);
        else expect(valueAt(r, e.details_range as ByteRange)).toEqual({ log: big + i });
      });
      expect(valueAt(r, r.stats.stream_output_range as ByteRange)).toEqual({ stdout: 'noise' });
      if (gzip) {
        const index = r.run.details_index as DetailsIndex;
        expect(index.plain.at(-1)).toBe(r.text.length);
        expect(index.plain.length).toBe(Math.ceil(r.text.length / (1024 * 1024)) + 1);
        // One member: the trailer follows the final block.
        expect((r.packed as Buffer).length).toBe((index.packed.at(-1) as number) + FINAL_BLOCK.length + 8);
      } else {
        expect(r.run.details_index).toBeUndefined();
      }
    });
  }

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
  // /dev/full answers every write with ENOSPC: a details file that is a link to it fails like a full disk.
  for (const gzip of [false, true]) {
    it(`fails the run with ENOSPC when the details cannot be written${gzip ? ' (-z)' : ''}, and nothing else`, async () => {
      const dest = mkdtempSync(join(tmpdir(), 'stackviz-full-'));
      const out = await OutputDir.open(dest, gzip);
      symlinkSync(
        '/dev/full',
        out.scratchPath(gzip ? 'tempest_s_0_details.json.gz' : 'tempest_s_0_details.json'),
      );
      const w = RunWriter.create(out, { source: 's', runId: 0, key: 's', title: 't' });
      // A few MiB of details: writes fail long before the run ends.
      const log = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 60; i++) {
        w.onTest(rec(`t.T.test_${i}`, 'success', [['log', log]]));
        // Tests arrive between I/O events, as batches from the worker do: the failed write is seen meanwhile.
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // A failed write must reach finish(), not be an unhandled rejection, which kills the process.
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
