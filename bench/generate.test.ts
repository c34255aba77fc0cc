// The benchmark's stream generator: same seed → same bytes, and what it writes decodes as the tests it counted.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SubunitEvent } from '../src/formats/subunit/events.js';
import { PARSER_TEST_ID, V2Reader } from '../src/formats/subunit/v2.js';
import { parseDstat } from '../src/formats/dstat/index.js';
import { dstatCsv, generateStream, parseSize } from './generate.js';
import type { GenerateOptions, GenerateSummary } from './generate.js';

function run(opts: GenerateOptions): { bytes: Uint8Array; summary: GenerateSummary; packets: Uint8Array[] } {
  const packets: Uint8Array[] = [];
  const summary = generateStream(opts, (p) => packets.push(p));
  return { bytes: Buffer.concat(packets), summary, packets };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('bench generator', () => {
  const opts: GenerateOptions = { tests: 300, bytes: 400_000, seed: 7 };
  const a = run(opts);

  it('is deterministic: same seed, same bytes; another seed, other bytes', () => {
    expect(sha(run(opts).bytes)).toBe(sha(a.bytes));
    expect(sha(run({ ...opts, seed: 8 }).bytes)).not.toBe(sha(a.bytes));
    expect(a.summary.bytes).toBe(a.bytes.length);
  });

  it('lands near the byte target and emits exactly the tests asked for', () => {
    expect(a.summary.tests).toBe(300);
    expect(a.bytes.length).toBeGreaterThan(400_000 * 0.8);
    expect(a.bytes.length).toBeLessThan(400_000 * 1.2);
  });

  it('decodes without parser errors into tempest-like tests on 8 interleaved workers', () => {
    const finals = new Map<string, SubunitEvent>();
    const files = new Map<string, number>();
    const order: string[] = [];
    let parserErrors = 0;
    const reader = new V2Reader({
      event(e) {
        if (e.testId === PARSER_TEST_ID) parserErrors++;
        if (e.testId === null) return;
        if (e.status !== null && e.status !== 'inprogress') finals.set(e.testId, e);
        if (e.status === 'inprogress') order.push(e.testId);
        if (e.fileName !== null) files.set(`${e.fileName}`, (files.get(e.fileName) ?? 0) + 1);
      },
    });
    reader.push(a.bytes);
    reader.end();
    expect(parserErrors).toBe(0);
    expect(finals.size).toBe(300);
    const statuses = [...finals.values()].map((e) => e.status);
    expect(statuses.filter((s) => s === 'fail').length).toBe(a.summary.failures + a.summary.fixtureFailures);
    expect(statuses.filter((s) => s === 'skip').length).toBe(a.summary.skips);
    const workers = new Set([...finals.values()].map((e) => e.tags?.[0]));
    expect(workers).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `worker-${i}`)));
    for (const id of finals.keys()) {
      expect(id).toMatch(
        /^(tempest\.api\.[a-z_.0-9]+\.[A-Za-z]+\.test_[a-z_]+\[id-[0-9a-f-]{36}(,smoke)?\]|setUpClass \(tempest\.api\..+\))$/,
      );
    }
    expect(files.get("pythonlogging:''") ?? 0).toBeGreaterThan(200);
    // Interleaved: consecutive starts come from different workers most of the time.
    const workerOf = (id: string): string | undefined => finals.get(id)?.tags?.[0];
    let switches = 0;
    for (let i = 1; i < order.length; i++)
      if (workerOf(order[i] ?? '') !== workerOf(order[i - 1] ?? '')) switches++;
    expect(switches).toBeGreaterThan(order.length / 3);
  });

  it('cuts huge attachments into packets under the size asked for', () => {
    const big = run({ tests: 10, bytes: 8_000_000, seed: 3, maxPacketBytes: 262_144 });
    expect(big.summary.largestPacket).toBeLessThanOrEqual(262_144);
    expect(big.summary.largestPacket).toBeGreaterThan(200_000);
    expect(Math.max(...big.packets.map((p) => p.length))).toBe(big.summary.largestPacket);
  });

  it('writes a classic dstat CSV the reader aligns with the run', () => {
    const csv = dstatCsv({
      startUtcMs: a.summary.startUtcMs,
      endUtcMs: a.summary.endUtcMs,
      seed: 7,
      rows: 500,
    });
    const log = parseDstat(csv);
    expect(log.rows).toBe(500);
    expect(log.warnings).toEqual([]);
    expect(log.timeMs[0]).toBeLessThanOrEqual(a.summary.startUtcMs);
    expect(log.timeMs[499]).toBeGreaterThanOrEqual(a.summary.endUtcMs - 60_000);
    expect(dstatCsv({ startUtcMs: 0, endUtcMs: 0, seed: 7, rows: 10 })).toBe(
      dstatCsv({ startUtcMs: 0, endUtcMs: 0, seed: 7, rows: 10 }),
    );
  });

  it('keeps huge attachments within the byte target, in packets near the limit', () => {
    const huge = run({
      tests: 30,
      bytes: 24_000_000,
      seed: 5,
      hugeAttachments: true,
      maxPacketBytes: 4 * 1024 * 1024 - 1,
    });
    expect(huge.bytes.length).toBeLessThan(24_000_000 * 1.15);
    expect(huge.bytes.length).toBeGreaterThan(24_000_000 * 0.85);
    expect(huge.summary.largestPacket).toBeGreaterThan(4_000_000);
    expect(huge.summary.largestPacket).toBeLessThanOrEqual(4 * 1024 * 1024 - 1);
  });

  it('reads sizes with binary suffixes', () => {
    expect(parseSize('2M')).toBe(2 * 1024 * 1024);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('512')).toBe(512);
    expect(() => parseSize('lots')).toThrow();
  });
});
