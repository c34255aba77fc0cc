// The two kinds of damage issue 14 names, as minimal streams, each against python-subunit + StreamToDict.
import { describe, expect, test } from 'vitest';
import { encodePacket } from '../../src/formats/subunit/v2-encode.js';
import type { PacketFields } from '../../src/formats/subunit/v2-encode.js';
import { multisetDiff, readOurs, readReference, type NameStatus } from './damage-fuzz.js';

const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const at = (seconds: number): PacketFields['timestamp'] => ({ seconds, nanos: 0 });

/** A test's two packets: in progress, then its final status (with a traceback when it failed). */
function testPackets(id: string, status: 'success' | 'fail', t: number): Uint8Array[] {
  const end: PacketFields =
    status === 'fail'
      ? {
          testId: id,
          status,
          timestamp: at(t + 1),
          fileName: 'traceback',
          fileBytes: text('boom'),
          eof: true,
        }
      : { testId: id, status, timestamp: at(t + 1) };
  return [encodePacket({ testId: id, status: 'inprogress', timestamp: at(t) }), encodePacket(end)];
}

/** Bit `bit` of byte `k` flipped (a copy). */
function flip(bytes: Uint8Array, k: number, bit = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  out[k] = (out[k] as number) ^ (1 << bit);
  return out;
}

const [aStart, aEnd] = testPackets('pkg.A.test_a', 'success', 100) as [Uint8Array, Uint8Array];
const [bStart, bEnd] = testPackets('pkg.B.test_b', 'fail', 200) as [Uint8Array, Uint8Array];
const [cStart, cEnd] = testPackets('pkg.C.test_c', 'success', 300) as [Uint8Array, Uint8Array];

/** Both readings of each stream; the reference must not raise, and the multisets must be equal. */
function compare(cases: readonly [string, Uint8Array][]): Map<string, NameStatus[]> {
  const ours = cases.map(([, b]) => readOurs(b, 3));
  const ref = readReference(cases.map(([, b], k) => ({ version: ours[k]?.version ?? 'v2', bytes: b })));
  const out = new Map<string, NameStatus[]>();
  cases.forEach(([label], k) => {
    const r = ref[k];
    expect(r?.crashed, label).toBeNull();
    expect(multisetDiff(ours[k]?.tests ?? [], r?.tests ?? []), label).toEqual([]);
    out.set(label, r?.tests ?? []);
  });
  return out;
}

const count = (tests: readonly NameStatus[] | undefined, name: string, status: string): number =>
  (tests ?? []).filter(([n, s]) => n === name && s === status).length;

describe('a test after a damaged packet is read as the reference reads it', () => {
  test('v2: bad CRC, a cut packet, junk with a signature, a lying length before the next test', () => {
    const cut = bEnd.subarray(0, bEnd.length - 5);
    const cases: [string, Uint8Array][] = [
      ['bad CRC', cat(aStart, aEnd, bStart, flip(bEnd, bEnd.length - 8), cStart, cEnd)],
      ['cut packet', cat(aStart, aEnd, bStart, cut, cStart, cEnd)],
      [
        'junk with 0xB3 0x2X',
        cat(aStart, aEnd, Uint8Array.of(0x0a, 0xb3, 0x29, 0x00, 0x0c), text('abcdefgh'), cStart, cEnd),
      ],
      ['length one too long', cat(aStart, aEnd, bStart, flip(bEnd, 3, 0), cStart, cEnd)],
      ['flags damaged', cat(aStart, aEnd, bStart, flip(bEnd, 1, 3), cStart, cEnd)],
      ['bytes deleted at a packet start', cat(aStart, aEnd.subarray(3), cStart, cEnd)],
    ];
    const ref = compare(cases);
    // C follows the damage whole in the first cases: the reference reads it, and so do we.
    for (const label of ['bad CRC', 'junk with 0xB3 0x2X', 'flags damaged']) {
      expect(count(ref.get(label), 'pkg.C.test_c', 'success'), label).toBe(1);
    }
    expect(count(ref.get('bad CRC'), 'subunit.parser', 'fail')).toBe(1);
  });

  test('v1: a damaged directive between two tests', () => {
    const v1 = (mid: string): Uint8Array =>
      text(`test: pkg.A.test_a\nsuccess: pkg.A.test_a\n${mid}test: pkg.C.test_c\nsuccess: pkg.C.test_c\n`);
    const cases: [string, Uint8Array][] = [
      ['cut outcome', v1('test: pkg.B.test_b\nfailu')],
      ['outcome of another test', v1('test: pkg.B.test_b\nfailure: pkg.X\n')],
      ['binary junk line', v1('\u00b3)\u0007\u0000junk\n')],
      ['bracket never closed', v1('test: pkg.B.test_b\nfailure: pkg.B.test_b [\nboom\n')],
    ];
    const ref = compare(cases);
    expect(count(ref.get('binary junk line'), 'pkg.C.test_c', 'success')).toBe(1);
  });
});

describe('a final status the damage repeats is a second occurrence, as the reference reads it', () => {
  test('v2: the final packet twice, the whole test twice, a failure with its traceback twice', () => {
    const cases: [string, Uint8Array][] = [
      ['final packet twice', cat(aStart, aEnd, aEnd, cStart, cEnd)],
      ['whole test twice', cat(aStart, aEnd, aStart, aEnd, cStart, cEnd)],
      ['failure twice', cat(aStart, aEnd, bStart, bEnd, bEnd, cStart, cEnd)],
      ['final packet twice at the end', cat(aStart, aEnd, cStart, cEnd, cEnd)],
    ];
    const ref = compare(cases);
    expect(count(ref.get('final packet twice'), 'pkg.A.test_a', 'success')).toBe(2);
    expect(count(ref.get('whole test twice'), 'pkg.A.test_a', 'success')).toBe(2);
    expect(count(ref.get('failure twice'), 'pkg.B.test_b', 'fail')).toBe(2);
    expect(count(ref.get('final packet twice at the end'), 'pkg.C.test_c', 'success')).toBe(2);
  });

  test('v1: the outcome line twice, the whole test twice', () => {
    const cases: [string, Uint8Array][] = [
      ['outcome twice', text('test: pkg.A.test_a\nsuccess: pkg.A.test_a\nsuccess: pkg.A.test_a\n')],
      [
        'whole test twice',
        text('test: pkg.A.test_a\nsuccess: pkg.A.test_a\ntest: pkg.A.test_a\nsuccess: pkg.A.test_a\n'),
      ],
    ];
    const ref = compare(cases);
    // python-subunit's v1 parser takes an outcome outside a test for plain output: once.
    expect(count(ref.get('outcome twice'), 'pkg.A.test_a', 'success')).toBe(1);
    expect(count(ref.get('whole test twice'), 'pkg.A.test_a', 'success')).toBe(2);
  });
});
