// Escaping inside the memory the threads share: bytes read and written in place give what JSON.stringify gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeInMemory, escapeJsonBytes } from './json-bytes.js';
import { ESCAPER_BYTES, sharedMemory } from './shared-memory.js';

const inner = (s: string): string => JSON.stringify(s).slice(1, -1);

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
