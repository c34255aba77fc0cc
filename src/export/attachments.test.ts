// Unit tests for attachment decoding: charsets, Latin-1 default, non-text, invalid UTF-8, split chunks.
import { isUtf8 } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachmentText, chunksAreUtf8, parseMime } from './attachments.js';

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (mime: string | null, ...chunks: Uint8Array[]): string =>
  attachmentText(
    mime,
    chunks,
    chunks.reduce((n, c) => n + c.length, 0),
  );

describe('parseMime', () => {
  it('reads type and quoted parameters', () => {
    const m = parseMime('Text/Plain; Charset="utf8"; language=python');
    expect(m.type).toBe('text/plain');
    expect(m.params.get('charset')).toBe('utf8');
    expect(m.params.get('language')).toBe('python');
  });
});

/** The chunks as spilled bytes come back (each time iterated): every piece in one buffer, overwritten by the next. */
function reused(chunks: Uint8Array[]): Iterable<Uint8Array> {
  const buf = new Uint8Array(Math.max(1, ...chunks.map((c) => c.length)));
  return {
    *[Symbol.iterator]() {
      for (const c of chunks) {
        buf.set(c);
        yield buf.subarray(0, c.length);
      }
    },
  };
}

describe('attachmentText', () => {
  it('gives the same text when each chunk is overwritten by the next (spilled bytes read back)', () => {
    const cases: [string | null, Uint8Array][] = [
      ['text/plain', b(0x41, 0xe9, 0x42, 0xff, 0x43, 0x44)],
      ['text/plain;charset=utf8', utf8('héllo ✓ wörld, again and again')],
      ['text/plain;charset=utf8', b(0x61, 0xc3, 0x28, 0x62, 0x63, 0x64)],
      [null, utf8('x-python-traceback ✓ in pieces')],
      ['application/octet-stream', b(0x80, 0x81, 0x82, 0x83)],
    ];
    for (const [mime, bytes] of cases) {
      const pieces = [bytes.subarray(0, 3), bytes.subarray(3, 5), bytes.subarray(5)];
      const want = attachmentText(mime, [bytes], bytes.length);
      expect(attachmentText(mime, reused(pieces), bytes.length), String(mime)).toBe(want);
      expect(chunksAreUtf8(reused(pieces))).toBe(isUtf8(bytes));
    }
  });

  it('decodes text with its charset, joining chunks split inside a character', () => {
    const e = utf8('héllo ✓');
    expect(text('text/plain;charset=utf8', e.subarray(0, 2), e.subarray(2, 9), e.subarray(9))).toBe(
      'héllo ✓',
    );
  });
  it('decodes text with no charset as ISO-8859-1 byte for byte (not cp1252)', () => {
    expect(text('text/plain', b(0x41, 0x80, 0xe9, 0xff))).toBe('A\u0080éÿ');
    expect(text('text/x-traceback; charset=iso-8859-1', b(0x93))).toBe('\u0093');
  });
  it('replaces invalid UTF-8 and non-ASCII bytes in ASCII', () => {
    expect(text('text/plain; charset=utf-8', b(0x61, 0xff, 0x62))).toBe('a\ufffdb');
    expect(text('text/plain; charset=us-ascii', b(0x61, 0xc3, 0xa9))).toBe('a\ufffd\ufffd');
  });
  it('keeps a leading BOM in UTF-8, as Python does', () => {
    expect(text('text/plain;charset=utf-8', b(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
  });
  it('keeps non-text as UTF-8 when valid, else a one-line note', () => {
    expect(text('application/json', utf8('{"a": "é"}'))).toBe('{"a": "é"}');
    expect(text(null, utf8('plain'))).toBe('plain');
    expect(text('image/png', b(0x89, 0x50, 0x4e, 0x47, 0xff))).toBe(
      '[binary attachment: image/png, 5 bytes]',
    );
    expect(text(null, b(0xff))).toBe('[binary attachment: application/octet-stream, 1 bytes]');
  });
  it('treats an unknown charset like non-text', () => {
    expect(text('text/plain; charset=klingon', utf8('qapla'))).toBe('qapla');
  });
});

describe('chunksAreUtf8', () => {
  /** Bytes near UTF-8's edges: ASCII, lead bytes of every length, continuations, overlongs, surrogates. */
  const bytes = fc.uint8Array({ maxLength: 40 });
  const text = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => new Uint8Array(Buffer.from(s)));
  const anyBytes = fc.oneof(
    bytes,
    text,
    fc.tuple(text, bytes).map(([a, b]) => Buffer.concat([a, b])),
  );

  it('agrees with isUtf8 of the joined bytes, however they are cut', () => {
    fc.assert(
      fc.property(anyBytes, fc.array(fc.nat(), { maxLength: 6 }), (all, cuts) => {
        const at = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const c of [...at, all.length]) {
          chunks.push(all.subarray(prev, c));
          prev = c;
        }
        expect(chunksAreUtf8(chunks)).toBe(isUtf8(all));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts a character cut over three chunks and rejects one left unfinished', () => {
    const euro = Buffer.from('a€b');
    expect(chunksAreUtf8([euro.subarray(0, 2), euro.subarray(2, 3), euro.subarray(3)])).toBe(true);
    expect(chunksAreUtf8([euro.subarray(0, 3)])).toBe(false);
    expect(chunksAreUtf8([Buffer.from([0xed, 0xa0]), Buffer.from([0x80])])).toBe(false);
  });
});

describe('charsets as testtools and Python read them', () => {
  // [MIME type, bytes]: what python-subunit's consumers do with them (testtools cuts a charset at a comma;
  // Python's codec names and aliases; BOM rules per codec), decoded with errors='replace' as we document.
  const cases: [string, number[]][] = [
    ['text/x-traceback;charset=utf8,language=python', [...utf8('bad byte '), 0xff, 0x0a]],
    ['text/plain;charset=latin-1,foo', [0x63, 0x61, 0x66, 0xe9]],
    ['text/plain;charset=utf-16', [0xfe, 0xff, 0, 0x62, 0, 0x65, 0x27, 0x13]],
    ['text/plain;charset=utf-16', [0xff, 0xfe, 0x62, 0, 0x65, 0, 0x13, 0x27]],
    ['text/plain;charset=UTF-16LE', [0xff, 0xfe, 0x41, 0, 0x42, 0]],
    ['text/plain;charset=utf-16-be', [0xfe, 0xff, 0, 0x41]],
    ['text/plain;charset=utf-8-sig', [0xef, 0xbb, 0xbf, 0x41]],
    ['text/plain;charset=U8', [0xc3, 0xa9, 0xff]],
    ['text/plain;charset=ANSI_X3.4-1968', [...utf8('ascii? '), 0x80, 0xe9]],
    ['text/plain;charset=csisolatin1', [0x80, 0x9f]],
    ['text/plain;charset=IBM819', [0x80, 0xff]],
    ['text/plain;charset=iso_8859-1:1987', [0x41, 0x9f]],
  ];

  it('gives the text Python gives, whole and a byte at a time', () => {
    const script =
      'import json,sys\n' +
      'out=[]\n' +
      'for cs,data in json.load(sys.stdin):\n' +
      '    out.append(bytes(data).decode(cs,"replace"))\n' +
      'print(json.dumps(out))';
    const charsets = cases.map(([mime, data]) => {
      const cs = /charset=([^;]*)/.exec(mime)?.[1] ?? '';
      return [cs.split(',')[0], data];
    });
    const py = spawnSync('/usr/bin/python3', ['-c', script], {
      input: JSON.stringify(charsets),
      encoding: 'utf8',
    });
    expect(py.status, py.stderr).toBe(0);
    const want = JSON.parse(py.stdout) as string[];
    cases.forEach(([mime, data], k) => {
      const bytes = Uint8Array.from(data);
      expect(text(mime, bytes), mime).toBe(want[k]);
      expect(text(mime, ...Array.from(bytes, (x) => b(x))), `${mime} in 1-byte chunks`).toBe(want[k]);
    });
  });
});
