// `_timeline.json.gz` says what `_raw.json` says of each test (name, status, worker, timestamps), with or without -z.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ConfigFile, RawEntry, TimelineIndex } from '../contract/export-format.js';
import type { TestRecord } from '../model/test-record.js';
import { isoFromMicros } from '../model/time.js';
import { exportBytes } from '../../test/export-helpers.js';
import { OutputDir } from './output.js';
import { RunWriter } from './run-writer.js';

const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');

/** A run's raw entries and its index, from DEST. */
function read(dest: string): { raw: RawEntry[]; rawBytes: Buffer; index: TimelineIndex; path: string } {
  const config = JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;
  const run = config.tempest?.[0];
  if (run?.timeline === undefined) throw new Error('config.json names no timeline index');
  const bytes = (p: string): Buffer => {
    const b = readFileSync(join(dest, p));
    return p.endsWith('.gz') ? gunzipSync(b) : b;
  };
  const text = (p: string): string => bytes(p).toString('utf8');
  return {
    raw: JSON.parse(text(run.raw)) as RawEntry[],
    rawBytes: bytes(run.raw),
    index: JSON.parse(text(run.timeline)) as TimelineIndex,
    path: run.timeline,
  };
}

function expectAgrees(raw: RawEntry[], index: TimelineIndex): void {
  expect(index.version).toBe(1);
  expect(index.name).toEqual(raw.map((e) => e.name));
  expect([...index.status].map((d) => index.statuses[Number(d)])).toEqual(raw.map((e) => e.status));
  expect(index.worker).toEqual(raw.map((e) => e.worker));
  const at = (v: number | null): string | null => (v === null ? null : isoFromMicros(index.t0_us + v));
  expect(index.start.map(at)).toEqual(raw.map((e) => e.timestamps[0]));
  expect(index.end.map(at)).toEqual(raw.map((e) => e.timestamps[1]));
  const offsets = [...index.start, ...index.end].filter((v) => v !== null);
  if (offsets.length > 0) expect(Math.min(...offsets)).toBe(0);
}

/** Each `raw_len` slice of `_raw.json`'s text is its entry, alone (a Range request of a plain file gets it). */
function expectEntryBytes(rawBytes: Buffer, raw: RawEntry[], index: TimelineIndex): void {
  const lengths = index.raw_len as number[];
  expect(lengths.length).toBe(raw.length);
  let at = 1;
  lengths.forEach((len, i) => {
    expect(JSON.parse(rawBytes.subarray(at, at + len).toString('utf8'))).toEqual(raw[i]);
    at += len + 1;
  });
  expect(at).toBe(rawBytes.length);
}

describe('the timeline index', () => {
  for (const gzip of [false, true]) {
    for (const stream of ['tempest.subunit', 'stestr-failure.subunit', 'stestr-run2-v2.subunit']) {
      it(`agrees with raw.json for ${stream}${gzip ? ' (-z)' : ''}`, async () => {
        const dest = await exportBytes(readFileSync(join(STREAMS, stream)), { chunk: 4096, gzip });
        const { raw, rawBytes, index, path } = read(dest);
        expect(path).toMatch(/_timeline\.json\.gz$/);
        expect(raw.length).toBeGreaterThan(0);
        expectAgrees(raw, index);
        expectEntryBytes(rawBytes, raw, index);
      });
    }
  }

  it('keeps hostile names, unknown times, no worker, every status', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'stackviz-tl-'));
    const out = await OutputDir.open(dest, false);
    const w = RunWriter.create(out, { source: 's', runId: 0, key: 's', title: 't' });
    const statuses: TestRecord['status'][] = ['success', 'fail', 'skip', 'xfail', 'uxsuccess', 'exists'];
    const names = ['a.B.c', '</script><!--"\\', 'ünï\u2028cøde', 'a.B.c', 'x[id-1,smoke]'];
    for (let i = 0; i < 12; i++) {
      const start = i % 4 === 0 ? null : 1_700_000_000_000_000 + i * 1_234_567;
      w.onTest({
        id: names[i % names.length] as string,
        routeCode: null,
        status: statuses[i % statuses.length] as TestRecord['status'],
        tags: i % 3 === 0 ? [] : [`worker-${i % 3}`],
        startUs: start,
        endUs: i % 5 === 0 ? null : (start ?? 1_700_000_000_000_000) + 999,
        attachments: new Map(),
        incomplete: false,
      });
    }
    const res = await w.finish();
    await out.commit({ deployer: false, datasets: [], tempest: [res.run] }, res.files);
    const { raw, rawBytes, index } = read(dest);
    expect(raw.length).toBe(12);
    expectEntryBytes(rawBytes, raw, index);
    expect(index.worker).toContain(null);
    expect(index.start).toContain(null);
    expectAgrees(raw, index);
  });

  it('is written for an empty run', async () => {
    const dest = await exportBytes(new Uint8Array(0), { chunk: 1 });
    const { raw, index } = read(dest);
    expect(raw).toEqual([]);
    expect(index).toMatchObject({ name: [], status: '', worker: [], t0_us: 0, start: [], end: [] });
  });
});
