// CRCs checked ahead of the decoder: the scanner vouches only for packets whose CRC is good, finds every packet
// of an intact stream (across the ring's end too), and the decoder reads the same events with or without it.
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { SubunitEvent } from './events.js';
import { V2Reader } from './v2.js';
import { CheckedOffsets, claimedLength, CrcScanner, type CheckedPackets } from './v2-crc.js';
import { encodePacket } from './v2-encode.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 200);

/** A stream of `n` packets of varied sizes (1-, 2- and 3-byte length fields) and their offsets. */
function stream(n: number, seed: number): { bytes: Uint8Array; offsets: number[] } {
  const packets: Uint8Array[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = [0, 40, 300, 20_000][(i * 7 + seed) % 4] as number;
    const p = encodePacket({
      testId: `t${i}`,
      status: i % 3 === 0 ? 'success' : 'inprogress',
      ...(size > 0 ? { fileName: 'log', fileBytes: new Uint8Array(size).fill(0xb3 ^ (i & 1)) } : {}),
    });
    offsets.push(at);
    packets.push(p);
    at += p.length;
  }
  return { bytes: Buffer.concat(packets), offsets };
}

/** Feed `bytes` through a ring of `ringSize` in pieces of `piece`, scanning after each: what the pipeline does. */
function scanThroughRing(bytes: Uint8Array, ringSize: number, piece: number, start = 0): number[] {
  const ring = new Uint8Array(ringSize);
  const scanner = new CrcScanner(ring, start);
  const found: number[] = [];
  for (let i = 0; i < bytes.length; i += piece) {
    const chunk = bytes.subarray(i, Math.min(bytes.length, i + piece));
    for (let k = 0; k < chunk.length; k++) ring[(start + i + k) % ringSize] = chunk[k] as number;
    const got = scanner.scan(start + i + chunk.length);
    if (got !== null) found.push(...got);
  }
  return found;
}

/** True when the bytes at `at` read as a packet whose stored CRC matches. */
function goodPacketAt(bytes: Uint8Array, at: number): boolean {
  const length = claimedLength(bytes[at + 3] ?? 0, bytes[at + 4] ?? 0, bytes[at + 5] ?? 0);
  if (bytes[at] !== 0xb3 || length < 0 || at + length > bytes.length) return false;
  const crcAt = at + length - 4;
  const stored = Buffer.from(bytes.buffer, bytes.byteOffset + crcAt, 4).readUInt32BE(0);
  return crc32(bytes.subarray(at, crcAt)) >>> 0 === stored;
}

function decode(bytes: Uint8Array, piece: number, checked?: CheckedPackets): unknown[] {
  const events: SubunitEvent[] = [];
  const reader = new V2Reader({ event: (e) => events.push(e) }, checked === undefined ? {} : { checked });
  for (let i = 0; i < bytes.length; i += piece) reader.push(bytes.subarray(i, i + piece));
  reader.end();
  // Bytes as hex: one string compare instead of an element-by-element walk of each array.
  return events.map((e) => ({
    ...e,
    fileBytes: e.fileBytes === null ? null : Buffer.from(e.fileBytes).toString('hex'),
  }));
}

describe('CrcScanner', () => {
  test('finds every packet of an intact stream, in order, across the ring end and any piece size', () => {
    const { bytes, offsets } = stream(60, 1);
    expect(bytes.length).toBeGreaterThan(200_000);
    // The pipeline never overwrites bytes the decoder still reads: a ring holds a packet and a piece.
    for (const piece of [1, 7, 4096, 40_000]) {
      expect(scanThroughRing(bytes, 64 * 1024, piece)).toEqual(offsets);
      // A run that starts further on in the ring reports offsets from its own start.
      expect(scanThroughRing(bytes, 64 * 1024, piece, 12_345)).toEqual(offsets);
    }
  });

  test('vouches for a packet only when its CRC is good: damaged, cut and spliced streams', () => {
    const { bytes } = stream(12, 2);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 })), { maxLength: 3 }),
        fc.nat(),
        fc.constantFrom(101, 1000, 70_000),
        (flips, inserts, cut, piece) => {
          let b: Uint8Array = Uint8Array.from(bytes);
          for (const [at, v] of flips) b[at % b.length] = v;
          for (const [at, junk] of inserts) {
            const p = at % b.length;
            b = Buffer.concat([b.subarray(0, p), Uint8Array.of(0xb3, 0x20, 0x40), junk, b.subarray(p)]);
          }
          b = b.subarray(0, b.length - (cut % 1000));
          const found = scanThroughRing(b, 96 * 1024, piece);
          for (let k = 1; k < found.length; k++) expect(found[k]).toBeGreaterThan(found[k - 1] as number);
          for (const at of found) expect(goodPacketAt(b, at)).toBe(true);
          // The decoder reads the same events with the scanner's word as without it.
          const offsets = new CheckedOffsets();
          offsets.add(Float64Array.from(found));
          expect(decode(b, piece, offsets)).toEqual(decode(b, piece));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('gives up on candidates the ring no longer holds, and on a stream that is not v2', () => {
    // A header claiming 60,000 bytes in a 16 KiB ring: its bytes are gone before they all arrive.
    const bogus = Uint8Array.of(0xb3, 0x20, 0x00, 0x80, 0xea, 0x60);
    const { bytes, offsets } = stream(20, 3);
    const tail = Buffer.concat([bogus, new Uint8Array(70_000), bytes]);
    const found = scanThroughRing(tail, 16 * 1024, 4096);
    for (const at of found) expect(goodPacketAt(tail, at)).toBe(true);
    // Once past the bogus header it finds the packets again (all of those that fit in the ring).
    const small = offsets.filter((o, i) => (offsets[i + 1] ?? bytes.length) - o < 16 * 1024 - 4096);
    expect(found.map((o) => o - bogus.length - 70_000)).toEqual(expect.arrayContaining(small));

    // Text full of 0xB3 candidates (each a bad CRC): it stops checking after its allowance.
    const text = new Uint8Array(40 * 1024 * 1024);
    for (let k = 0; k < text.length; k += 64) text.set([0xb3, 0x20, 0x00, 0x8f, 0xff, 0xff], k);
    const ring = new Uint8Array(text.length);
    ring.set(text);
    const scanner = new CrcScanner(ring, 0);
    const t0 = performance.now();
    expect(scanner.scan(text.length)).toBeNull();
    expect(scanner.scan(text.length)).toBeNull();
    // Without the allowance it would check ~650,000 candidates of 1 MiB each (minutes).
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  test('claimedLength: the three length forms, and no length a packet with a CRC cannot have', () => {
    expect(claimedLength(0x0c, 0, 0)).toBe(12);
    expect(claimedLength(0x41, 0x02, 0)).toBe(258);
    expect(claimedLength(0x81, 0x00, 0x10)).toBe(65_552);
    expect(claimedLength(0x07, 0, 0)).toBe(-1);
    expect(claimedLength(0x80, 0, 0x09)).toBe(-1);
    expect(claimedLength(0xc0, 0, 0)).toBe(-1);
  });
});

describe('CheckedOffsets', () => {
  test('answers offsets asked in increasing order across batches', () => {
    const c = new CheckedOffsets();
    c.add(Float64Array.of(0, 10, 25));
    c.add(Float64Array.of(40));
    c.add(Float64Array.of(90, 100));
    expect([0, 5, 10, 30, 40, 41, 90, 100, 200].map((o) => c.has(o))).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  test('the decoder skips its own check for a listed packet (the list is trusted)', () => {
    const p = encodePacket({ testId: 'x', status: 'success' });
    const bad = Uint8Array.from(p);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    const unchecked = decode(bad, 64);
    const ids = (events: unknown[]): unknown[] => events.map((e) => (e as SubunitEvent).testId);
    expect(ids(unchecked)).toEqual(['subunit.parser', 'subunit.parser']);
    const trusted = new CheckedOffsets();
    trusted.add(Float64Array.of(0));
    expect(ids(decode(bad, 64, trusted))).toEqual(['x']);
  });
});
