// Escaping and copying inside the memory the threads share: bytes read and written in place give what
// JSON.stringify gives, and the native copy moves exactly the bytes asked for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateStream } from '../../bench/generate.js';
import type { SubunitEvent } from '../formats/subunit/events.js';
import { STRING_CACHE_BYTES, V2Reader } from '../formats/subunit/v2.js';
import { encodePacket } from '../formats/subunit/v2-encode.js';
import { escapeInMemory, escapeJsonBytes, memoryEqual } from './json-bytes.js';
import { ESCAPER_BYTES, sharedMemory, STRINGS_BYTES } from './shared-memory.js';

const inner = (s: string): string => JSON.stringify(s).slice(1, -1);

/** A memory with 64 KiB after the escaper's area, and its bytes. */
function smallMemory(): { memory: ReturnType<typeof sharedMemory>; mem: Uint8Array } {
  const memory = sharedMemory(ESCAPER_BYTES + 64 * 1024);
  return { memory, mem: new Uint8Array(memory.buffer) };
}

describe('escapeJsonBytes after escapeInMemory', () => {
  const memory = sharedMemory(ESCAPER_BYTES + 4 * 1024 * 1024);
  escapeInMemory(memory);
  const mem = Buffer.from(memory.buffer);
  const IN = ESCAPER_BYTES;
  const OUT = ESCAPER_BYTES + 1024 * 1024;

  it('escapes input and output that are both views of the memory, at any offsets', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.nat({ max: 4000 }),
        fc.nat({ max: 4000 }),
        fc.nat({ max: 40 }),
        (s, inOff, outOff, at) => {
          const bytes = Buffer.from(s, 'utf8');
          const src = mem.subarray(IN + inOff, IN + inOff + bytes.length);
          bytes.copy(src);
          const out = mem.subarray(OUT + outOff, OUT + outOff + at + bytes.length * 6 + 1);
          out.fill(0xee);
          const end = escapeJsonBytes(src, out, at);
          expect(out.subarray(at, end).toString()).toBe(inner(s));
          expect(out[end]).toBe(0xee);
          expect(out[at - 1]).toBe(at > 0 ? 0xee : undefined);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('escapes when only one side is in the memory, and when neither is', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.nat({ max: 15 }), (s, off) => {
        const bytes = Buffer.from(s, 'utf8');
        const inMem = mem.subarray(IN + off, IN + off + bytes.length);
        bytes.copy(inMem);
        const own = Buffer.concat([Buffer.alloc(off), bytes]).subarray(off);
        const outMem = mem.subarray(OUT + off, OUT + off + bytes.length * 6);
        const outOwn = Buffer.alloc(off + bytes.length * 6).subarray(off);
        for (const [src, out] of [
          [inMem, outOwn],
          [own, outMem],
          [own, outOwn],
        ] as const) {
          const end = escapeJsonBytes(src, out, 0);
          expect(out.subarray(0, end).toString()).toBe(inner(s));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('escapes a long input in one go in place (past the 64 KiB blocks of the copying path)', () => {
    const s = Array.from({ length: 300_000 }, (_, i) =>
      i % 97 === 0 ? '"' : i % 89 === 0 ? '\n' : 'é',
    ).join('');
    const bytes = Buffer.from(s, 'utf8');
    const src = mem.subarray(IN + 3, IN + 3 + bytes.length);
    bytes.copy(src);
    const out = mem.subarray(OUT + 5, OUT + 5 + bytes.length * 2);
    const end = escapeJsonBytes(src, out, 0);
    expect(out.subarray(0, end).toString()).toBe(inner(s));
  });
});

describe('memoryEqual', () => {
  it('says whether n bytes at two places of the memory are equal', () => {
    const { memory, mem } = smallMemory();
    const equal = memoryEqual(memory);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat({ max: 7 }), (bytes, at, shift) => {
        const a = ESCAPER_BYTES + shift;
        const b = ESCAPER_BYTES + 20_000 + shift * 3;
        mem.set(bytes, a);
        mem.set(bytes, b);
        expect(equal(a, b, bytes.length)).toBe(1);
        if (bytes.length === 0) return;
        const k = at % bytes.length;
        mem[b + k] = ((bytes[k] as number) + 1) & 0xff;
        expect(equal(a, b, bytes.length)).toBe(0);
        expect(equal(a, b, k)).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the v2 reader with its string cache in a shared memory', () => {
  it('reads the same events from a stream in that memory as with a cache of its own', () => {
    expect(STRINGS_BYTES).toBeGreaterThanOrEqual(STRING_CACHE_BYTES);
    const packets: Uint8Array[] = [];
    generateStream({ tests: 400, bytes: 300_000, seed: 5, maxPacketBytes: 3000 }, (p) => packets.push(p));
    // Ids that differ only where the cache's slot does not look (their first bytes): they share a slot, so
    // only the comparison tells them apart.
    for (let i = 0; i < 60; i++) {
      const testId = `${'abcde'[i % 5] as string}${'vw'[i % 2] as string}.same.middle.part.test_x`;
      packets.push(encodePacket({ testId, status: i % 3 === 0 ? 'inprogress' : 'success' }));
    }
    const stream = Buffer.concat(packets);
    const read = (bytes: Uint8Array, chunk: number, cache: boolean): string[] => {
      const events: string[] = [];
      const sink = {
        event: (e: SubunitEvent): void =>
          void events.push(JSON.stringify({ ...e, fileBytes: e.fileBytes?.length })),
      };
      const memory = sharedMemory(ESCAPER_BYTES + STRINGS_BYTES);
      const stringCache = {
        slab: new Uint8Array(memory.buffer, ESCAPER_BYTES, STRINGS_BYTES),
        equal: memoryEqual(memory),
      };
      const r = new V2Reader(sink, cache ? { ownChunks: true, stringCache } : { ownChunks: true });
      for (let i = 0; i < bytes.length; i += chunk) r.push(bytes.subarray(i, i + chunk));
      r.end();
      return events;
    };
    const want = read(stream, 4096, false);
    expect(want.length).toBeGreaterThan(800);
    // The stream in the cache's memory (compared there), and outside it (compared in JavaScript).
    const memory = sharedMemory(ESCAPER_BYTES + STRINGS_BYTES + stream.length);
    const inMemory = new Uint8Array(memory.buffer, ESCAPER_BYTES + STRINGS_BYTES, stream.length);
    inMemory.set(stream);
    const events: string[] = [];
    const sink = {
      event: (e: SubunitEvent): void =>
        void events.push(JSON.stringify({ ...e, fileBytes: e.fileBytes?.length })),
    };
    const stringCache = {
      slab: new Uint8Array(memory.buffer, ESCAPER_BYTES, STRINGS_BYTES),
      equal: memoryEqual(memory),
    };
    const r = new V2Reader(sink, { ownChunks: true, stringCache });
    for (let i = 0; i < inMemory.length; i += 4096) r.push(inMemory.subarray(i, i + 4096));
    r.end();
    expect(events).toEqual(want);
    expect(read(stream, 4096, true)).toEqual(want);
  });
});
