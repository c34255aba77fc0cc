// The worker pipeline (ring, parts, spill file, transfers) is transparent: on damaged and mutated streams it
// writes exactly the files the single-thread pipeline writes.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateStream } from '../../bench/generate.js';
import { BUILT_WORKER, BUNDLED_WORKER, exportBytes, readTree } from '../../test/export-helpers.js';

const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');

/** Every file of an export, as digests (readable in a failure message). */
async function exportDigests(
  bytes: Uint8Array,
  chunk: number,
  worker: boolean | URL,
): Promise<[string, string][]> {
  const files = readTree(await exportBytes(bytes, { chunk, worker, source: 'm' }));
  return [...files].map(([p, b]) => [p, createHash('sha256').update(b).digest('hex')]);
}

/** A mutation of a stream: flipped bytes, then a cut, then a range repeated; fed in chunks of `chunk` bytes. */
const mutation = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  cut: fc.option(fc.nat()),
  repeat: fc.option(fc.tuple(fc.nat(), fc.nat({ max: 5000 }))),
  chunk: fc.constantFrom(7, 4096, 65_536, 1 << 20),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(base: Uint8Array, m: Mutation): Uint8Array {
  let b = Uint8Array.from(base);
  for (const [at, v] of m.flips) if (b.length > 0) b[at % b.length] = v;
  if (m.cut !== null && b.length > 0) b = b.subarray(0, m.cut % b.length);
  if (m.repeat !== null && b.length > 0) {
    const from = m.repeat[0] % b.length;
    b = Buffer.concat([b, b.subarray(from, from + m.repeat[1]), b.subarray(from)]);
  }
  return b;
}

describe('worker pipeline against the single-thread pipeline', () => {
  const samples = readdirSync(STREAMS)
    .filter((f) => f.endsWith('.subunit'))
    .map((f) => new Uint8Array(readFileSync(join(STREAMS, f))));
  const packets: Uint8Array[] = [];
  generateStream({ tests: 150, bytes: 200_000, seed: 7, maxPacketBytes: 4000 }, (p) => packets.push(p));
  samples.push(Buffer.concat(packets));

  it('writes the same files for mutated real and generated streams', async () => {
    expect(existsSync(BUILT_WORKER), 'run `npm run build` first').toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: samples.length - 1 }), mutation, async (which, m) => {
        const bytes = mutate(samples[which] as Uint8Array, m);
        expect(await exportDigests(bytes, m.chunk, true)).toEqual(await exportDigests(bytes, m.chunk, false));
      }),
      { numRuns: Number(process.env['FUZZ_RUNS'] ?? 25) },
    );
  }, 120_000);
});

describe('the bundled worker (what the launcher runs)', () => {
  it('writes the same files as the single-thread pipeline', async () => {
    expect(existsSync(BUNDLED_WORKER), 'run `npm run build` first').toBe(true);
    const packets: Uint8Array[] = [];
    generateStream({ tests: 300, bytes: 400_000, seed: 3, maxPacketBytes: 6000 }, (p) => packets.push(p));
    const bytes = Buffer.concat(packets);
    expect(await exportDigests(bytes, 65_536, BUNDLED_WORKER)).toEqual(
      await exportDigests(bytes, 65_536, false),
    );
  }, 60_000);
});
