// Property tests of the v1 reader: generated and mutated v1 text, split anywhere; no throw, no hang, same as the reference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { comparable } from '../../../test/reference/oracle.js';
import { assembleV1, runV1Oracle, v1Events } from '../../../test/reference/v1-oracle.js';

/** ~150 cases by default; `npm run fuzz` raises it through FUZZ_RUNS. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
/** Fixed seeds by default (the same cases every run); `FUZZ_SEED=n` explores others (a failure prints its seed). */
const FUZZ_SEED = process.env['FUZZ_SEED'];
const seedOf = (n: number): number => (FUZZ_SEED === undefined ? n : Number(FUZZ_SEED) * 1000 + n);
const RUN1 = new Uint8Array(
  readFileSync(join(import.meta.dirname, '../../../examples/stestr-repo/.stestr/1')),
);

const name = fc.constantFrom('a', 'b', 'tests.T.test_x[id-1,smoke]', 'ü', '__proto__', 'c d');
const text = fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, ' '));
const outcome = fc.constantFrom('success', 'successful', 'failure', 'error', 'skip', 'xfail', 'uxsuccess');
const time = fc
  .tuple(
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 999999999 }),
    fc.constantFrom('Z', '', '+01:00'),
  )
  .map(([s, f, z]) => `time: 2026-11-28 10:00:${String(s).padStart(2, '0')}.${f}${z}\n`);
const tags = fc
  .array(fc.tuple(fc.boolean(), fc.constantFrom('worker-0', 'worker-1', 'x', 'ÿ')), {
    minLength: 1,
    maxLength: 3,
  })
  .map((ts) => `tags: ${ts.map(([neg, t]) => (neg ? '-' : '') + t).join(' ')}\n`);
/** A chunked body split into random chunk sizes, as TestProtocolClient's encoder would write it. */
const part = fc
  .tuple(
    fc.constantFrom('text/plain', 'text/x-traceback;charset=utf8', 'application/octet-stream'),
    name,
    fc.array(text, { maxLength: 3 }),
  )
  .map(([mime, n, chunks]) => {
    const body = chunks
      .filter((c) => c.length > 0)
      .map((c) => `${Buffer.byteLength(c).toString(16).toUpperCase()}\r\n${c}`)
      .join('');
    return `Content-Type: ${mime}\n${n}\n${body}0\r\n`;
  });
const details = fc.oneof(
  fc.constant(''),
  fc
    .array(text, { maxLength: 3 })
    .map((lines) => ` [\n${lines.map((l) => `${l.startsWith(']') ? ' ' : ''}${l}\n`).join('')}]`),
  fc.array(part, { maxLength: 3 }).map((parts) => ` [ multipart\n${parts.join('')}]`),
);
const testBlock = fc
  .tuple(name, fc.array(fc.oneof(time, tags), { maxLength: 2 }), outcome, details, fc.boolean())
  .map(([n, inner, o, d, sameName]) => `test: ${n}\n${inner.join('')}${o}: ${sameName ? n : `${n}x`}${d}\n`);
const line = fc.oneof(
  { weight: 5, arbitrary: testBlock },
  time,
  tags,
  text.map((t) => `${t}\n`),
  fc.constant('progress: +1\n'),
);
const stream = fc
  .tuple(fc.array(line, { maxLength: 12 }), fc.nat(), fc.boolean())
  .map(([ls, cut, truncate]) => {
    const bytes = Buffer.from(ls.join(''));
    return new Uint8Array(truncate ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes);
  });

/** A real run or a generated stream (with multipart bodies), then bytes flipped, inserted or deleted. */
const mutated = fc
  .tuple(
    fc.oneof(fc.constant(RUN1), stream),
    fc.array(
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')),
      {
        minLength: 1,
        maxLength: 8,
      },
    ),
  )
  .map(([base, muts]) => {
    let b = Buffer.from(base);
    for (const [pos, v, kind] of muts) {
      const at = pos % (b.length + 1);
      if (kind === 'flip' && at < b.length) b[at] = v;
      else if (kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.of(v), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    }
    return new Uint8Array(b);
  });

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

/** Events as comparable values; adjacent plain-output events merged (their grouping depends on chunks). */
function shape(bytes: Uint8Array, cuts: number[]): unknown[] {
  const out: Record<string, unknown>[] = [];
  for (const e of v1Events(split(bytes, cuts))) {
    const hex = e.fileBytes === null ? null : Buffer.from(e.fileBytes).toString('hex');
    const prev = out[out.length - 1];
    if (e.testId === null && prev !== undefined && prev['testId'] === null)
      prev['fileBytes'] = `${String(prev['fileBytes'])}${hex ?? ''}`;
    else out.push({ ...e, fileBytes: hex });
  }
  return out;
}

describe('V1Reader properties', () => {
  test('generated streams: no throw, and the same events however they are split', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        expect(shape(bytes, cuts)).toEqual(shape(bytes, []));
      }),
      { numRuns: RUNS, seed: seedOf(11) },
    );
  });

  test('random bytes and mutated real runs: no throw, split-invariant', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 2000 }), mutated),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, cuts) => {
          expect(shape(bytes, cuts)).toEqual(shape(bytes, []));
        },
      ),
      { numRuns: RUNS, seed: seedOf(12) },
    );
  });

  // The reference is slow (one Python process runs every case): the time allowed grows with FUZZ_RUNS.
  test(
    'generated and mutated streams: the same tests as the reference wherever it does not crash',
    () => {
      const cases = [
        ...fc.sample(stream, { numRuns: RUNS, seed: seedOf(13) }),
        ...fc.sample(mutated, { numRuns: Math.ceil(RUNS / 3), seed: seedOf(14) }),
      ];
      const oracle = runV1Oracle(cases);
      let compared = 0;
      cases.forEach((bytes, k) => {
        const ref = oracle[k];
        if (ref === undefined || ref.crashed !== null) return;
        // A NUL in a name survives v1 but makes the transcoded v2 packet unreadable (a `subunit.parser` failure):
        // an artefact of stestr's round trip that we deliberately do not reproduce (names are kept as read).
        if (ref.tests.some((t) => t.id === 'subunit.parser')) return;
        compared++;
        expect(comparable(assembleV1([bytes])), Buffer.from(bytes).toString('latin1')).toEqual({
          tests: ref.tests,
          output: ref.output,
        });
      });
      // Most generated cases are valid v1: the comparison must not silently shrink to nothing.
      expect(compared).toBeGreaterThan(RUNS / 2);
    },
    Math.max(60_000, RUNS * 25),
  );
});
