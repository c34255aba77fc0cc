// Differential tests: our v2 decoder + assembler against python-subunit + testtools' StreamToDict, test by test.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Damage } from './gen.js';
import { encodePacket, withCrc } from '../../src/formats/subunit/v2-encode.js';
import { damage, generateStream, rng } from './gen.js';
import type { OracleResult } from './oracle.js';
import { assembleBytes, comparable, runOracle } from './oracle.js';

const FIXTURES = new URL('../fixtures/streams/', import.meta.url);

/** Compare one stream fed whole and in uneven chunks; returns false when the reference itself crashed. */
function agrees(stream: Uint8Array, oracle: OracleResult, label: string): boolean {
  if (oracle.crashed !== null) return false;
  const want = { tests: oracle.tests, output: oracle.output };
  expect(comparable(assembleBytes([stream])), label).toEqual(want);
  const chunks: Uint8Array[] = [];
  for (let k = 0, step = 1; k < stream.length; k += step, step = (step * 7 + 3) % 4099) {
    chunks.push(stream.subarray(k, k + step));
  }
  expect(comparable(assembleBytes(chunks)), `${label} (chunked)`).toEqual(want);
  return true;
}

describe('against python-subunit + StreamToDict', () => {
  test('every sample stream', () => {
    const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.subunit'));
    expect(names.length).toBeGreaterThanOrEqual(5);
    const streams = names.map((n) => new Uint8Array(readFileSync(new URL(n, FIXTURES))));
    const oracle = runOracle(streams);
    streams.forEach((s, k) => {
      expect(oracle[k]?.tests.length, names[k]).toBeGreaterThan(0);
      expect(agrees(s, oracle[k] as OracleResult, names[k] as string)).toBe(true);
    });
  });

  test('generated streams: workers, chunked attachments, unfinished tests, no timestamps, runner output', () => {
    const streams = [
      generateStream(1),
      generateStream(2, { tests: 60, workers: 8 }),
      generateStream(3, { unfinished: 0.3 }),
      generateStream(4, { noTimestamps: true, unfinished: 0.2 }),
      generateStream(5, { garbage: 0.3 }),
      generateStream(6, { garbage: 0.6, unfinished: 0.5, workers: 5, tests: 40 }),
      new Uint8Array(0),
      new TextEncoder().encode('only runner output, no packets ″³\n'),
    ];
    const oracle = runOracle(streams);
    streams.forEach((s, k) => expect(agrees(s, oracle[k] as OracleResult, `generated ${k}`)).toBe(true));
    // The generator really produced what the test names: incomplete tests and stream output are compared.
    expect(oracle[2]?.tests.some((t) => t.end_us === null && t.status === 'inprogress')).toBe(true);
    expect(oracle[4]?.output.length).toBeGreaterThan(0);
  });

  test('damaged streams: truncated, flipped, spliced, with junk inserted or bytes deleted', () => {
    const sample = new Uint8Array(readFileSync(new URL('tempest.subunit', FIXTURES)));
    const sources = [sample, generateStream(7, { garbage: 0.2 }), generateStream(8, { tests: 30 })];
    const kinds: Damage[] = ['truncate', 'flip', 'splice', 'insert', 'delete'];
    const streams: Uint8Array[] = [];
    for (let seed = 0; seed < 120; seed++) {
      streams.push(damage(sources[seed % 3] as Uint8Array, seed, kinds[seed % 5] as Damage));
    }
    const oracle = runOracle(streams);
    let compared = 0;
    let parserErrors = 0;
    streams.forEach((s, k) => {
      const o = oracle[k] as OracleResult;
      if (agrees(s, o, `damaged #${k}`)) compared++;
      if (o.tests.some((t) => t.id === 'subunit.parser')) parserErrors++;
    });
    // python-subunit crashes on a few damaged inputs (struct.error); those cannot be compared.
    expect(compared).toBeGreaterThan(100);
    expect(parserErrors).toBeGreaterThan(50);
  });
});

describe('packets with a correct CRC but lying fields, against the reference', () => {
  const good = encodePacket({ testId: 'after', status: 'success' });
  const withId = (bytes: number[]): Uint8Array =>
    withCrc(Uint8Array.of(0xb3, 0x28, 0x00, 4 + bytes.length + 4, ...bytes));
  const cases: [string, Uint8Array][] = [
    ['not UTF-8', withId([3, 0x61, 0xff, 0x62])],
    ['partial UTF-8', withId([3, 0x61, 0xe2, 0x82])],
    ['surrogate prefix', withId([3, 0x61, 0xed, 0xa0])],
    ['surrogate', withId([3, 0xed, 0xa0, 0x80])],
    ['overlong', withId([2, 0xc0, 0xaf])],
    ['NUL', withId([2, 0x61, 0x00])],
    ['string past end', withId([9, 0x61])],
    ['file past end', withCrc(Uint8Array.of(0xb3, 0x20, 0x40, 12, 0, 50, 0x61, 0x62))],
    ['4-byte length', Uint8Array.of(0xb3, 0x20, 0x00, 0xc0, 0x00, 0x00, 0x10)],
    ['length 5', Uint8Array.of(0xb3, 0x20, 0x00, 0x05, 0x01, 0x02)],
    ['length 6', Uint8Array.of(0xb3, 0x20, 0x00, 0x06, 0x01, 0x02)],
    ['length 7', Uint8Array.of(0xb3, 0x20, 0x00, 0x07, 0x01, 0x02, 0x03)],
    ['2-byte length field', withCrc(Uint8Array.of(0xb3, 0x21, 0x03, 0x40, 9))],
    ['3-byte length field', withCrc(Uint8Array.of(0xb3, 0x21, 0x03, 0x80, 0x00, 10))],
    ['3-byte length, bad id', withCrc(Uint8Array.of(0xb3, 0x28, 0x00, 0x80, 0x00, 13, 2, 0x61, 0xff))],
    ['trailing bytes ignored', withCrc(Uint8Array.of(0xb3, 0x28, 0x03, 12, 1, 0x61, 0x62, 0x63))],
  ];
  test('each case, between good packets and at the end of the stream, equals the reference', () => {
    const streams = cases.flatMap(([, packet]) => [
      new Uint8Array(Buffer.concat([good, packet, new TextEncoder().encode('\n'), good])),
      new Uint8Array(Buffer.concat([good, packet])),
    ]);
    const oracle = runOracle(streams);
    streams.forEach((stream, k) => {
      const [label] = cases[k >> 1] as [string, Uint8Array];
      const where = k % 2 === 0 ? `${label} (mid-stream)` : `${label} (at the end)`;
      if (label === 'length 5' && k % 2 === 0) {
        // The reference crashes (a read of -1 - n bytes); at the end of the stream it reports a short read.
        expect(oracle[k]?.crashed, where).toMatch(/^ValueError/);
        return;
      }
      expect(oracle[k]?.crashed, where).toBeNull();
      expect(agrees(stream, oracle[k] as OracleResult, where)).toBe(true);
    });
  });
});

test('random flags and field bytes under a correct CRC: the same events or errors as the reference', () => {
  // Exercises every field parser and error reason; the reference crashes on some (numbers past the
  // end), and those are left out.
  const r = rng(5);
  const good = encodePacket({ testId: 'g', status: 'success' });
  const streams: Uint8Array[] = [];
  for (let k = 0; k < 400; k++) {
    const n = Math.floor(r() * 40);
    const body = Array.from({ length: n }, () => Math.floor(r() * (r() < 0.3 ? 8 : 256)));
    const flags = 0x2000 | (Math.floor(r() * 0x1000) & 0x0ff7);
    const len = 1 + 2 + 1 + n + 4;
    const head =
      r() < 0.3 ? [0xb3, flags >> 8, flags & 0xff, 0x80, 0, len + 2] : [0xb3, flags >> 8, flags & 0xff, len];
    streams.push(new Uint8Array(Buffer.concat([good, withCrc(Uint8Array.from([...head, ...body])), good])));
  }
  const oracle = runOracle(streams);
  let compared = 0;
  streams.forEach((s, k) => {
    if (agrees(s, oracle[k] as OracleResult, `random packet #${k}`)) compared++;
  });
  expect(compared).toBeGreaterThan(300);
});
