// Property tests of the v2 decoder: encode/decode round trips, hostile bytes survived, damaged streams vs the oracle.
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assembleBytes, comparable, runOracle } from '../../../test/reference/oracle.js';
import type { OracleResult } from '../../../test/reference/oracle.js';
import { damage, generateStream } from '../../../test/reference/gen.js';
import type { Damage } from '../../../test/reference/gen.js';
import type { SubunitEvent, TestStatus } from './events.js';
import { V2Reader, nanosToMicros } from './v2.js';
import type { PacketFields } from './v2-encode.js';
import { encodePacket } from './v2-encode.js';

/** ~200 cases by default; `npm run fuzz` raises it through FUZZ_RUNS. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);
/** Fixed seeds by default (the same cases every run); `FUZZ_SEED=n` explores others (a failure prints its seed). */
const FUZZ_SEED = process.env['FUZZ_SEED'];
const seedOf = (n: number): number => (FUZZ_SEED === undefined ? n : Number(FUZZ_SEED) * 1000 + n);
/** Long fuzz runs on a busy machine need more than the default per-test timeout. */
const TIMEOUT = Math.max(60_000, RUNS * 30);
const FIXTURES = new URL('../../../test/fixtures/streams/', import.meta.url);
const SAMPLES = readdirSync(FIXTURES)
  .filter((n) => n.endsWith('.subunit'))
  .map((n) => new Uint8Array(readFileSync(new URL(n, FIXTURES))));

function decode(chunks: Iterable<Uint8Array>): SubunitEvent[] {
  const events: SubunitEvent[] = [];
  const reader = new V2Reader({ event: (e) => events.push(e) });
  for (const c of chunks) reader.push(c);
  reader.end();
  return events;
}

/** Events with byte arrays as hex, so toEqual compares content whatever the view. */
const plain = (e: SubunitEvent): Record<string, unknown> => ({
  ...e,
  fileBytes: e.fileBytes === null ? null : Buffer.from(e.fileBytes).toString('hex'),
});

/** Cut a buffer into chunks at the given (sorted, deduplicated) positions. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

// Strings a packet can carry: any Unicode except NUL (the reference rejects NUL in string fields).
const str = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
const status = fc.constantFrom<TestStatus>(
  'exists',
  'inprogress',
  'success',
  'uxsuccess',
  'skip',
  'fail',
  'xfail',
);
const fields: fc.Arbitrary<PacketFields> = fc.record(
  {
    testId: str,
    routeCode: str,
    status,
    timestamp: fc.record({ seconds: fc.nat({ max: 0xffffffff }), nanos: fc.nat({ max: 0x3fffffff }) }),
    tags: fc.array(str, { maxLength: 5 }),
    runnable: fc.boolean(),
    mimeType: str,
    fileName: str,
    fileBytes: fc.uint8Array({ maxLength: 200 }),
    eof: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('v2 decoder properties', () => {
  test(
    'encode random packets → decode (any chunking) → the same events',
    () => {
      fc.assert(
        fc.property(
          fc.array(fields, { maxLength: 12 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          (list, cuts) => {
            const stream = new Uint8Array(Buffer.concat(list.map(encodePacket)));
            const events = decode(split(stream, cuts));
            expect(events.length).toBe(list.length);
            events.forEach((e, k) => {
              const f = list[k] as PacketFields;
              expect(e.testId).toBe(f.testId ?? null);
              expect(e.routeCode).toBe(f.routeCode ?? null);
              expect(e.status).toBe(f.status ?? null);
              expect(e.timestampUs).toBe(
                f.timestamp === undefined
                  ? null
                  : f.timestamp.seconds * 1e6 + nanosToMicros(f.timestamp.nanos),
              );
              expect(e.tags).toEqual(f.tags === undefined ? null : [...new Set(f.tags)]);
              expect(e.runnable).toBe(f.runnable === true);
              expect(e.mimeType).toBe(f.mimeType ?? null);
              expect(e.fileName).toBe(f.fileName ?? null);
              const bytes = f.fileName === undefined ? null : Buffer.from(f.fileBytes ?? []).toString('hex');
              expect(e.fileBytes === null ? null : Buffer.from(e.fileBytes).toString('hex')).toBe(bytes);
              expect(e.eof).toBe(f.eof === true);
            });
          },
        ),
        { numRuns: RUNS, seed: seedOf(42) },
      );
    },
    TIMEOUT,
  );

  test(
    'chunks owned by the reader (views, packets kept as views across adjacent chunks) → the same events',
    () => {
      const stream = fc.oneof(
        fc
          .array(fields, { maxLength: 12 })
          .map((list) => new Uint8Array(Buffer.concat(list.map(encodePacket)))),
        fc.constantFrom(...SAMPLES),
      );
      fc.assert(
        fc.property(
          stream,
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.array(fc.boolean(), { maxLength: 13 }),
          (bytes, cuts, copied) => {
            const want = decode(split(bytes, cuts).map((c) => c.slice())).map(plain);
            // Adjacent views of one buffer, some chunks copied to buffers of their own (a ring's wrap).
            const events: SubunitEvent[] = [];
            const reader = new V2Reader({ event: (e) => events.push(e) }, { ownChunks: true });
            split(bytes, cuts).forEach((c, k) => {
              reader.push(copied[k] === true ? c.slice() : c);
              const from = reader.holdsFrom;
              expect(
                from === Infinity || (from < reader.bytesRead && from >= reader.bytesRead - 4 * 2 ** 20),
              ).toBe(true);
            });
            reader.end();
            expect(reader.holdsFrom).toBe(Infinity);
            expect(events.map(plain)).toEqual(want);
          },
        ),
        { numRuns: RUNS, seed: seedOf(7) },
      );
    },
    TIMEOUT,
  );

  test(
    'random bytes, rich in 0xB3 and UTF-8 leads, never throw and are fully accounted for',
    () => {
      const byte = fc.oneof(
        fc.constant(0xb3),
        fc.constantFrom(0xe2, 0xc2, 0xf0, 0x80, 0x0a),
        fc.nat({ max: 255 }),
      );
      fc.assert(
        fc.property(fc.array(byte, { maxLength: 600 }), fc.array(fc.nat(), { maxLength: 5 }), (arr, cuts) => {
          const bytes = Uint8Array.from(arr);
          const whole = decode([bytes]);
          const chunked = decode(split(bytes, cuts));
          // Only non-packet text may be cut differently; everything else is identical.
          const shape = (es: SubunitEvent[]): string[] =>
            es
              .filter((e) => e.testId !== null)
              .map((e) => `${e.testId}:${e.fileName}:${e.fileBytes?.length}`);
          expect(shape(chunked)).toEqual(shape(whole));
          const textBytes = (es: SubunitEvent[]): number =>
            es.filter((e) => e.testId === null).reduce((n, e) => n + (e.fileBytes?.length ?? 0), 0);
          expect(textBytes(chunked)).toBe(textBytes(whole));
        }),
        { numRuns: RUNS, seed: seedOf(7) },
      );
    },
    TIMEOUT,
  );

  test(
    'mutated, truncated and spliced real streams: no throw, and tests assemble',
    () => {
      const kinds: Damage[] = ['truncate', 'flip', 'splice', 'insert', 'delete'];
      fc.assert(
        fc.property(
          fc.nat({ max: SAMPLES.length - 1 }),
          fc.nat(),
          fc.constantFrom(...kinds),
          fc.array(fc.nat(), { maxLength: 4 }),
          (which, seed, kind, cuts) => {
            const bytes = damage(SAMPLES[which] as Uint8Array, seed, kind);
            const a = comparable(assembleBytes(split(bytes, cuts)));
            expect(a).toEqual(comparable(assembleBytes([bytes])));
          },
        ),
        { numRuns: RUNS, seed: seedOf(99) },
      );
    },
    TIMEOUT,
  );

  test(
    'a bounded subset of damaged real and generated streams equals the reference, test by test',
    () => {
      const n = Math.max(40, Math.floor(RUNS / 5));
      const kinds: Damage[] = ['truncate', 'flip', 'splice', 'insert', 'delete'];
      const cases = fc.sample(
        fc.record({
          source: fc.nat({ max: SAMPLES.length + 1 }),
          seed: fc.nat(),
          kind: fc.constantFrom(...kinds),
          twice: fc.boolean(),
          noise: fc.array(fc.oneof(fc.constant(0xb3), fc.nat({ max: 255 })), { maxLength: 300 }),
        }),
        { numRuns: n, seed: seedOf(2024) },
      );
      const streams = cases.map(({ source, seed, kind, twice, noise }) => {
        // One case in five is pure noise: text, 0xB3 bytes and the packets they seem to start.
        if (seed % 5 === 0) return Uint8Array.from(noise);
        const base =
          source < SAMPLES.length
            ? (SAMPLES[source] as Uint8Array)
            : generateStream(seed, { garbage: 0.3, unfinished: 0.2, noTimestamps: source > SAMPLES.length });
        const once = damage(base, seed, kind);
        return twice ? damage(once, seed + 1, kinds[(seed >> 3) % 5] as Damage) : once;
      });
      const oracle = runOracle(streams);
      let compared = 0;
      streams.forEach((s, k) => {
        const o = oracle[k] as OracleResult;
        if (o.crashed !== null) return;
        expect(comparable(assembleBytes([s])), `case ${JSON.stringify(cases[k])}`).toEqual({
          tests: o.tests,
          output: o.output,
        });
        compared++;
      });
      expect(compared).toBeGreaterThan(n * 0.8);
    },
    TIMEOUT,
  );
});
