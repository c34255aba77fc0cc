// Attachment bytes → the text written in `_details.json`, per the spec's decoding rules, in pieces.
import { Buffer, isUtf8 } from 'node:buffer';

/**
 * A charset name as Python's codec lookup sees it (`encodings.normalize_encoding` after lower-casing): every
 * run of characters other than letters, digits and dots becomes one `_`, and none is kept at either end.
 */
export function pyCodecName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Python's names (normalised, aliases included) for ISO-8859-1, which is byte = code point (WHATWG's "latin1" is cp1252). */
const LATIN1 = new Set([
  'latin_1',
  '8859',
  'cp819',
  'csisolatin1',
  'ibm819',
  'iso8859',
  'iso8859_1',
  'iso_8859_1',
  'iso_8859_1_1987',
  'iso_ir_100',
  'l1',
  'latin',
  'latin1',
]);
/** ... for ASCII (`ANSI_X3.4-1968` is what Python calls it in the C locale). */
const ASCII = new Set([
  'ascii',
  '646',
  'ansi_x3.4_1968',
  'ansi_x3_4_1968',
  'ansi_x3.4_1986',
  'cp367',
  'csascii',
  'ibm367',
  'iso646_us',
  'iso_646.irv_1991',
  'iso_ir_6',
  'us',
  'us_ascii',
]);
/** ... for UTF-8; and UTF-8 whose leading BOM is dropped. */
const UTF8 = new Set(['utf_8', 'u8', 'utf', 'utf8', 'utf8_ucs2', 'utf8_ucs4', 'cp65001']);
const UTF8_SIG = new Set(['utf_8_sig']);
/** ... for UTF-16 that reads its byte order from a BOM; and with the byte order given (a BOM is then text). */
const UTF16 = new Set(['utf_16', 'u16', 'utf16']);
const UTF16LE = new Set(['utf_16_le', 'utf_16le', 'unicodelittleunmarked']);
const UTF16BE = new Set(['utf_16_be', 'utf_16be', 'unicodebigunmarked']);

export interface MimeType {
  /** `type/subtype`, lower case. */
  type: string;
  /** Parameters by lower-case name (a Map: names come from the stream). */
  params: Map<string, string>;
}

/** Parse `text/plain; charset="utf8"`; a missing type counts as `application/octet-stream`, as in testtools. */
export function parseMime(mime: string | null): MimeType {
  const parts = (mime ?? 'application/octet-stream').split(';');
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    const name = p.slice(0, eq).trim().toLowerCase();
    // testtools keeps a charset only up to a comma: its own tracebacks say `charset=utf8,language=python`.
    if (name === 'charset' && v.includes(',')) v = v.slice(0, v.indexOf(','));
    params.set(name, v);
  }
  return { type: (parts[0] as string).trim().toLowerCase(), params };
}

/** Turns chunks into text pieces; `flush` gives the tail. Pieces are whole code points. */
interface PieceDecoder {
  write(chunk: Uint8Array): string;
  flush(): string;
  /** Decode a whole attachment at once, when there is a faster way than the streaming one. */
  whole?: (b: Buffer) => string;
}

const WHOLE_LIMIT = 8 * 1024 * 1024;

function latin1Decoder(): PieceDecoder {
  return {
    write: (c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('latin1'),
    flush: () => '',
    whole: (b) => b.toString('latin1'),
  };
}

function asciiDecoder(): PieceDecoder {
  return {
    // Bytes above 0x7F are not ASCII: each becomes U+FFFD, as Python's errors='replace' does.
    write: (c) =>
      Buffer.from(c.buffer, c.byteOffset, c.byteLength)
        .toString('latin1')
        .replace(/[\x80-\xff]/g, '\ufffd'),
    flush: () => '',
  };
}

/**
 * A WHATWG decoder. `keepBom`: a leading BOM stays as U+FEFF (Python's utf-8, utf-16-le and utf-16-be codecs
 * keep it; utf-8-sig and utf-16 drop it); by default only UTF-8 keeps it.
 */
function whatwgDecoder(label: string, fatal: boolean, keepBom?: boolean): PieceDecoder {
  const isUtf8 = label.replace(/[-_]/g, '').toLowerCase() === 'utf8';
  const ignoreBOM = keepBom ?? isUtf8;
  // Made on first use: most attachments are decoded whole and never need it. Throws now on an unknown label.
  let d: InstanceType<typeof TextDecoder> | null = isUtf8
    ? null
    : new TextDecoder(label, { fatal, ignoreBOM });
  const get = (): InstanceType<typeof TextDecoder> => (d ??= new TextDecoder(label, { fatal, ignoreBOM }));
  const dec: PieceDecoder = { write: (c) => get().decode(c, { stream: true }), flush: () => get().decode() };
  // Buffer's UTF-8 decoding replaces bad sequences the same WHATWG way and keeps a BOM, without a decoder object.
  if (isUtf8 && !fatal && ignoreBOM) dec.whole = (b) => b.toString('utf8');
  return dec;
}

/**
 * Charsets TextDecoder rejected: remembered so an unknown label (e.g. `utf8,language=python`, which
 * testtools writes for tracebacks) costs one thrown error per run, not one per attachment.
 */
const UNKNOWN_CHARSETS = new Set<string>();

/** UTF-16 whose byte order the first two bytes tell (FF FE little-endian, FE FF big-endian; that BOM is dropped). */
function utf16SniffDecoder(): PieceDecoder {
  let d: PieceDecoder | null = null;
  let head: Uint8Array = new Uint8Array(0);
  const start = (bytes: Uint8Array): PieceDecoder => {
    const be = bytes[0] === 0xfe && bytes[1] === 0xff;
    // No BOM: Python refuses the text; we read it little-endian (as before, documented).
    return whatwgDecoder(be ? 'utf-16be' : 'utf-16le', false, false);
  };
  return {
    write: (c) => {
      if (d === null) {
        head = head.length === 0 ? c : Buffer.concat([head, c]);
        if (head.length < 2) return '';
        d = start(head);
        const s = d.write(head);
        head = new Uint8Array(0);
        return s;
      }
      return d.write(c);
    },
    flush: () => {
      if (d !== null) return d.flush();
      // Fewer than two bytes in all: nothing to tell the byte order by.
      d = start(head);
      return d.write(head) + d.flush();
    },
  };
}

/** A decoder for a text charset, or null when neither Python's names nor Node know the charset. */
function charsetDecoder(charset: string): PieceDecoder | null {
  const py = pyCodecName(charset);
  if (LATIN1.has(py)) return latin1Decoder();
  if (ASCII.has(py)) return asciiDecoder();
  if (UTF8.has(py)) return whatwgDecoder('utf-8', false);
  if (UTF8_SIG.has(py)) return whatwgDecoder('utf-8', false, false);
  if (UTF16.has(py)) return utf16SniffDecoder();
  if (UTF16LE.has(py)) return whatwgDecoder('utf-16le', false, true);
  if (UTF16BE.has(py)) return whatwgDecoder('utf-16be', false, true);
  const cs = charset.trim().toLowerCase();
  if (UNKNOWN_CHARSETS.has(cs)) return null;
  try {
    return whatwgDecoder(cs, false);
  } catch {
    // Bounded: only labels seen in the input land here, and a run has a handful of MIME types.
    if (UNKNOWN_CHARSETS.size < 1024) UNKNOWN_CHARSETS.add(cs);
    return null;
  }
}

/** True when the chunks, joined, are valid UTF-8 (checked across chunk boundaries). */
function isValidUtf8(chunks: Iterable<Uint8Array>): boolean {
  const d = new TextDecoder('utf-8', { fatal: true });
  try {
    for (const c of chunks) d.decode(c, { stream: true });
    d.decode();
    return true;
  } catch {
    return false;
  }
}

/** The chunks of an array as one buffer (the chunk itself when there is one). */
const joined = (all: readonly Uint8Array[], size: number): Uint8Array =>
  all.length === 1 ? (all[0] as Uint8Array) : Buffer.concat(all, size);

/** The chunks copied into one buffer as they come: an iterable's chunk may be reused by the next. */
function copied(chunks: Iterable<Uint8Array>, size: number): Uint8Array {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out.subarray(0, at);
}

/**
 * Decode an attachment into text pieces, calling `emit` for each (never one huge string for a huge
 * attachment). `text/*` uses its charset (ISO-8859-1 when none); anything else is kept as UTF-8 when
 * valid, otherwise replaced by a one-line note of its type and size. Invalid bytes in a text charset
 * become U+FFFD.
 */
export function decodeAttachment(
  mime: string | null,
  chunks: Iterable<Uint8Array>,
  size: number,
  emit: (piece: string) => void,
): void {
  const m = parseMime(mime);
  let dec: PieceDecoder | null = null;
  if (m.type.startsWith('text/')) {
    const cs = m.params.get('charset');
    dec = cs === undefined ? latin1Decoder() : charsetDecoder(cs);
  }
  if (dec === null) {
    if (!isValidUtf8(chunks)) {
      emit(`[binary attachment: ${mime ?? 'application/octet-stream'}, ${size} bytes]`);
      return;
    }
    dec = whatwgDecoder('utf-8', false);
  }
  if (dec.whole !== undefined && size <= WHOLE_LIMIT) {
    // Small attachments (nearly all): one conversion of the joined bytes, no decoder object.
    const buf = Array.isArray(chunks) ? joined(chunks as readonly Uint8Array[], size) : copied(chunks, size);
    const s = dec.whole(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    if (s !== '') emit(s);
    return;
  }
  for (const c of chunks) {
    const s = dec.write(c);
    if (s !== '') emit(s);
  }
  const tail = dec.flush();
  if (tail !== '') emit(tail);
}

/** The whole text of an attachment as one string (for small ones: tracebacks, skip reasons). */
export function attachmentText(mime: string | null, chunks: Iterable<Uint8Array>, size: number): string {
  const parts: string[] = [];
  decodeAttachment(mime, chunks, size, (p) => parts.push(p));
  return parts.join('');
}

/** Per MIME type: does its text come from decoding the bytes as UTF-8 (when they are valid UTF-8)? */
const UTF8_MIMES = new Map<string, boolean>();

function decodesAsUtf8(mime: string | null): boolean {
  const key = mime ?? '\0';
  const known = UTF8_MIMES.get(key);
  if (known !== undefined) return known;
  const m = parseMime(mime);
  let utf8 = true;
  const cs = m.params.get('charset');
  if (m.type.startsWith('text/')) {
    // The same choices decodeAttachment makes: no charset is ISO-8859-1; a charset Node does not know
    // falls back to the non-text rule (UTF-8 when valid); any other known charset is not UTF-8.
    if (cs === undefined) utf8 = false;
    else if (!UTF8.has(pyCodecName(cs))) utf8 = charsetDecoder(cs) === null;
  }
  if (UTF8_MIMES.size < 1024) UTF8_MIMES.set(key, utf8);
  return utf8;
}

/** Bytes in the UTF-8 sequence a lead byte starts (1 for bytes that cannot lead: the validator rejects them). */
const seqLength = (b: number): number => (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1);

/**
 * True when the chunks, joined, are valid UTF-8, without joining them: each chunk is checked up to its last
 * whole character, and a character cut between chunks is checked on its own once complete.
 */
export function chunksAreUtf8(chunks: Iterable<Uint8Array>): boolean {
  let carry: Uint8Array | null = null;
  for (const c of chunks) {
    let start = 0;
    if (carry !== null) {
      const take = seqLength(carry[0] as number) - carry.length;
      if (c.length < take) {
        carry = Buffer.concat([carry, c]);
        continue;
      }
      if (!isUtf8(Buffer.concat([carry, c.subarray(0, take)]))) return false;
      carry = null;
      start = take;
    }
    // Where the last character begins: a lead byte within the last 4 bytes whose sequence runs past the end.
    let end = c.length;
    let k = end - 1;
    while (k >= start && k > end - 4 && ((c[k] as number) & 0xc0) === 0x80) k--;
    if (k >= start && (c[k] as number) >= 0xc0 && k + seqLength(c[k] as number) > end) end = k;
    if (!isUtf8(c.subarray(start, end))) return false;
    // A copy: the chunk's memory may be reused once the next one is read.
    if (end < c.length) carry = new Uint8Array(c.subarray(end));
  }
  return carry === null;
}

/**
 * The attachment's chunks when its text is exactly their bytes read as UTF-8 (valid UTF-8 under a UTF-8
 * decoding); otherwise null. Lets a writer escape the bytes for JSON without a decode/encode trip.
 */
export function verbatimUtf8(mime: string | null, chunks: Iterable<Uint8Array>): Iterable<Uint8Array> | null {
  if (!decodesAsUtf8(mime)) return null;
  const one = Array.isArray(chunks) && chunks.length === 1 ? (chunks[0] as Uint8Array) : null;
  if (one !== null ? !isUtf8(one) : !chunksAreUtf8(chunks)) return null;
  return chunks;
}
