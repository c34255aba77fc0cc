// writeJsonString and putJsonString against JSON.stringify, and the committed WebAssembly against its source.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../scripts/wasm.js';
import { escapeJsonBytes, putJsonString, writeJsonString } from './json-bytes.js';
import { JSON_ESCAPE_WASM } from './json-escape-wasm.js';

const viaStringify = (s: string): Buffer => Buffer.from(JSON.stringify(s), 'utf8');

function viaBytes(s: string, at = 3): Buffer {
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(at + src.length * 6 + 2);
  const end = writeJsonString(src, out, at);
  return out.subarray(at, end);
}

/** Text heavy in what gets escaped: controls, quotes, backslashes, next to multi-byte characters. */
const escapeHeavy = fc.string({
  unit: fc.constantFrom(
    '\n',
    '"',
    '\\',
    '\t',
    '\x00',
    '\x1f',
    '\x7f',
    'a',
    'é',
    '€',
    '😀',
    '\u2028',
    '\r',
    '\b',
  ),
  maxLength: 200,
});

describe('writeJsonString', () => {
  it('writes what JSON.stringify writes, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
        expect(viaBytes(s)).toEqual(viaStringify(s));
      }),
    );
  });

  it('escapes every control character, quote and backslash alike', () => {
    fc.assert(
      fc.property(escapeHeavy, (s) => {
        expect(viaBytes(s)).toEqual(viaStringify(s));
      }),
    );
    const all = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join('');
    expect(viaBytes(all).toString()).toBe(JSON.stringify(all));
  });

  it('is right across its 16-byte steps and 64 KiB blocks', () => {
    for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 65_535, 65_536, 65_537, 200_000]) {
      const s = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? '"' : i % 11 === 0 ? '\n' : 'x')).join('');
      expect(viaBytes(s).equals(viaStringify(s))).toBe(true);
    }
    // An escape at every position of a vector, and a multi-byte character cut by a block boundary.
    for (let k = 0; k < 18; k++) {
      const s = `${'a'.repeat(k)}\u0001${'b'.repeat(40 - k)}`;
      expect(viaBytes(s).toString()).toBe(JSON.stringify(s));
    }
    const cut = `${'x'.repeat(65_535)}€${'\\'.repeat(20)}`;
    expect(viaBytes(cut).equals(viaStringify(cut))).toBe(true);
  });

  it('writes at the offset it is given and nothing before it', () => {
    const out = Buffer.alloc(40, 0x2e);
    const end = writeJsonString(Buffer.from('a\nb'), out, 5);
    expect(out.subarray(0, end).toString()).toBe('.....' + '"a\\nb"');
    expect(out[end]).toBe(0x2e);
  });
});

describe('json-escape-wasm.ts', () => {
  it('is json-escape.wat as assembled now (run `npm run build:wasm` after editing the .wat)', async () => {
    expect(Buffer.from(await assemble()).toString('base64')).toBe(JSON_ESCAPE_WASM);
  });
});

describe('putJsonString', () => {
  it('writes the UTF-8 of JSON.stringify for any string (fast path or not), and says where it ended', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), (any, ascii) => {
        for (const s of [any, ascii]) {
          const out = Buffer.alloc(3 + s.length * 6 + 2 + 1, 0xee);
          const end = putJsonString(out, 3, s);
          expect(out.subarray(3, end).toString()).toBe(JSON.stringify(s));
          expect(out[end]).toBe(0xee);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('escapeJsonBytes between shared buffers', () => {
  it('gives the same bytes whatever the offsets of its input and output (copies are aligned to them)', () => {
    const shared = (n: number): Buffer => Buffer.from(new SharedArrayBuffer(n));
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.nat({ max: 15 }),
        fc.nat({ max: 15 }),
        (s, inOff, outOff) => {
          const bytes = Buffer.from(s, 'utf8');
          const input = shared(bytes.length + 16);
          bytes.copy(input, inOff);
          const out = shared(outOff + bytes.length * 6 + 32);
          const end = escapeJsonBytes(input.subarray(inOff, inOff + bytes.length), out, outOff);
          const expected = JSON.stringify(s);
          expect(out.subarray(outOff, end).toString()).toBe(expected.slice(1, expected.length - 1));
        },
      ),
      { numRuns: 500 },
    );
  });
});
