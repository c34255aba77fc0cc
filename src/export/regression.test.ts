// Regression guard for the exporter's speed work: a generated 20,000-test stream (with and without -z)
// exports to exactly the bytes the exporter wrote before it (digests taken when details were first stored once,
// and the stats file and config.json again since the stats got workers, makespan and long_pole, then
// failures[].exception and inprogress; config.json again when it named the timeline index; the index again when
// it gained raw_len).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateStream } from '../../bench/generate.js';
import { BUILT_WORKER, exportBytes, readTree } from '../../test/export-helpers.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** Small attachments in 64 KiB packets, plus a few split over many packets, as in the benchmark. */
const OPTIONS = { tests: 20_000, bytes: 12_000_000, seed: 20_000, maxPacketBytes: 65_535 };
const STREAM_SHA = 'cbcaf5cf4eb340ae';
const EXPECTED: [string, string][] = [
  ['config.json', '0ea1fa2d4a3b552a'],
  ['tempest_regress_0_details.json', '41a6e94af6765fd2'],
  ['tempest_regress_0_raw.json', 'b7a1c0d380e49323'],
  ['tempest_regress_0_stats.json', 'a1708fed2aebfcdb'],
  ['tempest_regress_0_timeline.json', 'd8aaeec96feeba4e'],
  ['tempest_regress_0_tree.json', '9e797e1368f93549'],
];

function stream(): Uint8Array {
  const packets: Uint8Array[] = [];
  generateStream(OPTIONS, (p) => packets.push(p));
  return Buffer.concat(packets);
}

/** Every file of an export (relative path → digest of its content, gunzipped). */
async function exportStream(bytes: Uint8Array, gzip: boolean, worker = false): Promise<[string, string][]> {
  // Chunks of 1 MiB, as files are read: packets cross chunk boundaries.
  const dest = await exportBytes(bytes, {
    chunk: 1 << 20,
    gzip,
    worker,
    source: 'regress',
    title: 'Regression',
    generator: 'regression',
  });
  const out: [string, string][] = [];
  for (const [p, b] of readTree(dest)) {
    // config.json names .gz paths under -z: compared through its decompressed twin's names instead.
    if (p === 'config.json' && gzip) continue;
    out.push([p.replace(/\.gz$/, ''), sha(p.endsWith('.gz') ? gunzipSync(b) : b)]);
  }
  return out;
}

describe('export regression (20,000 generated tests)', () => {
  const bytes = stream();

  it('starts from the same generated stream', () => {
    expect(sha(bytes)).toBe(STREAM_SHA);
  });

  it('writes the same files, byte for byte', async () => {
    expect(await exportStream(bytes, false)).toEqual(EXPECTED);
  }, 60_000);

  it('writes the same content under -z', async () => {
    const expected = EXPECTED.filter(([p]) => p !== 'config.json');
    expect(await exportStream(bytes, true)).toEqual(expected);
  }, 60_000);

  it('writes the same files when a worker thread prepares the tests', async () => {
    expect(existsSync(BUILT_WORKER), 'run `npm run build` first').toBe(true);
    expect(await exportStream(bytes, false, true)).toEqual(EXPECTED);
    const expected = EXPECTED.filter(([p]) => p !== 'config.json');
    expect(await exportStream(bytes, true, true)).toEqual(expected);
  }, 60_000);
});
