// Streaming subunit v1 (text protocol) reader: emits the events python-subunit's v1 → v2 transcoding (stestr) produces.
// Long on purpose: the v1 grammar is one state machine; split, its states would be read across files.
import type { EventSink, StreamReader, SubunitEvent, TestStatus } from './events.js';
import { nonSubunitEvent } from './events.js';

export interface V1ReaderOptions {
  /** File name given to lines that are not protocol (as python-subunit's v2 `non_subunit_name`). */
  nonSubunitName?: string;
}

/*
 * What the reference does, and therefore what this reader reproduces (stestr's `get_subunit_stream`:
 * `ProtocolTestCase(v1).run(ExtendedToStreamDecorator(StreamResultToBytes(out)))`):
 * - input is split into lines at 0x0A; a line is a directive when it does not start with whitespace, has a
 *   first word and something after it; the word minus trailing ':' picks the directive;
 * - `test: NAME` → an `inprogress` event; the outcome line must name the same test (else it is plain output),
 *   optionally followed by ` [` (simple details up to a `]` line) or ` [ multipart` (MIME parts, chunked);
 * - the outcome becomes one file event per detail (eof, the whole content), then a status event that carries the
 *   current tag set (no tags field when the set is empty, as StreamResultToBytes writes it);
 * - every event carries the latest `time:` value (python uses the wall clock before the first `time:`; we use
 *   no timestamp: a deterministic, honest choice);
 * - `tags:` outside a test change the global set; inside a test they change the test's own copy;
 * - any part of the word `skip` (`ski:`, `k:`, even a bare `:`) is a skip directive, as python-subunit's
 *   `cmd in b'skip'` has it;
 * - the stream ending inside a test gives a `fail` with a `traceback` naming the lost connection.
 * Where python-subunit raises (undecodable UTF-8, a malformed `time:`/`progress:` value, a malformed multipart
 * header) it stops the whole run; we go on instead: names are decoded with replacement characters, an unusable
 * `time:`/`progress:` line is kept as plain output, and a bad chunk header ends that attachment part.
 */

const NL = 0x0a;
const CR = 0x0d;

const enum State {
  Outside,
  InTest,
  Simple,
  Multipart,
}

const enum Part {
  /** Expecting a `Content-Type: a/b` line or the closing `]`. */
  LookForContent,
  Name,
  /** Expecting a chunk-size line (hex, CRLF). */
  Length,
  Body,
}

const enum Style {
  Traceback,
  Reason,
  Message,
}

interface Outcome {
  status: TestStatus;
  /** Used in the lost-connection message, as python-subunit labels the details state. */
  label: string;
  /** How simple (`[ … ]`) details are named and typed. */
  style: Style;
}

const SUCCESS: Outcome = { status: 'success', label: 'success', style: Style.Message };
const FAILURE: Outcome = { status: 'fail', label: 'failure', style: Style.Traceback };
const ERROR: Outcome = { status: 'fail', label: 'error', style: Style.Traceback };
const SKIP: Outcome = { status: 'skip', label: 'skip', style: Style.Reason };
const XFAIL: Outcome = { status: 'xfail', label: 'xfail', style: Style.Traceback };
const UXSUCCESS: Outcome = { status: 'uxsuccess', label: 'uxsuccess', style: Style.Traceback };

/** The words that start a directive line (python-subunit's `_ParserState.lineReceived`), trailing ':' stripped. */
export const V1_DIRECTIVE_WORDS: readonly string[] = [
  'test',
  'testing',
  'tags',
  'time',
  'progress',
  'success',
  'successful',
  'failure',
  'error',
  'skip',
  'xfail',
  'uxsuccess',
];
/** The directive words as bytes; the index is the keyword's code. */
const KEYWORDS = V1_DIRECTIVE_WORDS.map((w) => Uint8Array.from(w, (c) => c.charCodeAt(0)));
const KW_TEST = 0;
const KW_TAGS = 2;
const KW_TIME = 3;
const KW_PROGRESS = 4;
const KW_SKIP = 9;
const SKIP_WORD = KEYWORDS[KW_SKIP] as Uint8Array;
/** Outcome by keyword code (codes 5..11). */
const OUTCOME_BY_KW: readonly (Outcome | undefined)[] = [
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  SUCCESS,
  SUCCESS,
  FAILURE,
  ERROR,
  SKIP,
  XFAIL,
  UXSUCCESS,
];

/**
 * The keyword code of bytes s..w, -1 when it is none ('testing' reports as 'test'). python-subunit keeps its
 * skip word as bytes where the others are tuples, so `cmd in b'skip'` is a substring test: any part of
 * `skip` (`s`, `ki`, `ski`... and an empty word, from a line that starts with `:`) is a skip directive.
 */
function keyword(b: Uint8Array, s: number, w: number): number {
  const len = w - s;
  for (let k = 0; k < KEYWORDS.length; k++) {
    const kw = KEYWORDS[k] as Uint8Array;
    if (kw.length !== len || kw[0] !== b[s]) continue;
    let j = 1;
    while (j < len && kw[j] === b[s + j]) j++;
    if (j === len) return k === 1 ? KW_TEST : k;
  }
  for (let at = 0; at + len <= SKIP_WORD.length; at++) {
    let j = 0;
    while (j < len && SKIP_WORD[at + j] === b[s + j]) j++;
    if (j === len) return KW_SKIP;
  }
  return -1;
}

/** python's `line[offset:-1].decode('utf8')` (invalid bytes become U+FFFD where python would raise). */
function rest(b: Buffer, offset: number, e: number): string {
  return offset >= e - 1 ? '' : b.toString('utf8', offset, e - 1);
}

const TRACEBACK_MIME = 'text/x-traceback; charset="utf8"; language="python"';
const SIMPLE_TRACEBACK_MIME = 'text/x-traceback; charset="utf8"';

const encoder = new TextEncoder();

/** Python `str.split()` whitespace (tags are split as text); control characters are part of that set. */
// eslint-disable-next-line no-control-regex
const PY_STR_WS = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
/** subunit's own iso8601 pattern, on the line as Latin-1 text (so `.` is any byte but LF). */
const ISO8601 =
  /^([0-9]{4})(-([0-9]{1,2})(-([0-9]{1,2})(([^\n])([0-9]{2}):([0-9]{2})(:([0-9]{2})(\.([0-9]+))?)?(Z|(([-+])([0-9]{2}):([0-9]{2})))?)?)?)?/;
const PROGRESS = /^[+-]?[0-9]+$/;

/** Python `bytes.split()` whitespace. */
function isSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k += 4096) {
    s += String.fromCharCode(...bytes.subarray(k, k + 4096));
  }
  return s;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const d2 = (b: Uint8Array, k: number): number => ((b[k] as number) - 0x30) * 10 + (b[k + 1] as number) - 0x30;
/** Midnight of the last date seen, in ms: time lines of one run share their date. */
let lastDateKey = -1;
let lastDateMs = 0;

/**
 * A `time:` value at bytes s..e. The usual `YYYY-MM-DD HH:MM:SS[.fraction][Z]` is read directly;
 * anything else goes through the full pattern (parseV1Time).
 */
function parseTimeBytes(b: Uint8Array, s: number, e: number): number | null {
  let k = s + 19;
  const fast =
    k <= e &&
    isDigit(b[s]) &&
    isDigit(b[s + 1]) &&
    isDigit(b[s + 2]) &&
    isDigit(b[s + 3]) &&
    b[s + 4] === 0x2d &&
    isDigit(b[s + 5]) &&
    isDigit(b[s + 6]) &&
    b[s + 7] === 0x2d &&
    isDigit(b[s + 8]) &&
    isDigit(b[s + 9]) &&
    b[s + 10] !== NL &&
    isDigit(b[s + 11]) &&
    isDigit(b[s + 12]) &&
    b[s + 13] === 0x3a &&
    isDigit(b[s + 14]) &&
    isDigit(b[s + 15]) &&
    b[s + 16] === 0x3a &&
    isDigit(b[s + 17]) &&
    isDigit(b[s + 18]);
  if (!fast) return parseV1Time(b.subarray(s, Math.max(s, e)));
  let micro = 0;
  if (k < e && b[k] === 0x2e && isDigit(b[k + 1])) {
    let digits = 0;
    let scale = 1;
    k++;
    const f0 = k;
    while (k < e && isDigit(b[k])) {
      digits = digits * 10 + (b[k] as number) - 0x30;
      scale *= 10;
      k++;
    }
    // digits / 10^n is the correctly rounded double of "0.<digits>" while both are exact (n <= 15).
    if (k - f0 > 15) return parseV1Time(b.subarray(s, e));
    micro = Math.trunc((digits / scale) * 1e6);
  }
  // A zone offset takes the full path; 'Z', the end, or anything the pattern ignores means UTC.
  if (k < e && (b[k] === 0x2b || b[k] === 0x2d)) return parseV1Time(b.subarray(s, e));
  const year = d2(b, s) * 100 + d2(b, s + 2);
  const month = d2(b, s + 5);
  const day = d2(b, s + 8);
  const hour = d2(b, s + 11);
  const minute = d2(b, s + 14);
  const second = d2(b, s + 17);
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return parseV1Time(b.subarray(s, e));
  }
  if (hour > 23 || minute > 59 || second > 59 || micro > 999999) return null;
  const key = year * 10000 + month * 100 + day;
  if (key !== lastDateKey) {
    lastDateKey = key;
    lastDateMs = Date.UTC(year, month - 1, day);
  }
  return (lastDateMs + ((hour * 60 + minute) * 60 + second) * 1000) * 1000 + micro;
}

/**
 * Parses a `time:` value as subunit's iso8601 module and `datetime` do; null where they would raise.
 * The fraction is `int(float("0." + digits) * 1e6)`: truncated through a double, exactly as python computes it.
 * A zone offset of a day or more parses too: python only raises once such a time stamps an event (which
 * stops its run), so a later `time:` line can replace it harmlessly; we go on with the instant it names.
 */
export function parseV1Time(value: Uint8Array): number | null {
  const m = ISO8601.exec(latin1(value));
  if (m === null || m[8] === undefined || m[11] === undefined) return null;
  const year = Number(m[1]);
  const month = Number(m[3]);
  const day = Number(m[5]);
  const hour = Number(m[8]);
  const minute = Number(m[9]);
  const second = Number(m[11]);
  const micro = m[13] === undefined ? 0 : Math.trunc(Number(`0.${m[13]}`) * 1e6);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || micro > 999999) return null;
  let offsetMinutes = 0;
  if (m[14] !== undefined && m[14] !== 'Z') {
    const sign = m[16] === '-' ? -1 : 1;
    offsetMinutes = sign * (Number(m[17]) * 60 + Number(m[18]));
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return (d.getTime() - offsetMinutes * 60000) * 1000 + micro;
}

export class V1Reader implements StreamReader {
  private readonly sink: EventSink;
  private readonly nonSubunitName: string;
  private consumed = 0;
  private ended = false;
  /** A line that has not seen its LF yet (copies). */
  private carry: Uint8Array[] = [];
  private carrySize = 0;
  /** Plain-output lines waiting to be handed on as one event (views into the current chunk, copied on flush). */
  private out: Uint8Array[] = [];
  private outSize = 0;

  private state = State.Outside;
  private nowUs: number | null = null;
  private readonly globalTags = new Set<string>();
  /** The running test's tag context (a copy of the global set made at `test:`), null outside tests. */
  private testTags: Set<string> | null = null;
  private current = '';
  private outcome: Outcome = SUCCESS;

  // Simple details.
  private simple: Uint8Array[] = [];
  private simpleSize = 0;
  // Multipart details.
  private part = Part.LookForContent;
  private partMime = '';
  private partName = '';
  private body: Uint8Array[] = [];
  private bodySize = 0;
  private bodyLeft = 0;
  /** The chunked decoder's buffered pieces, used only off the fast path (python's `buffered_bytes`). */
  private pending: Uint8Array[] = [];
  /** Size-line bytes collected from pending[0..scanned): pieces are only appended while it waits. */
  private scanChars: number[] = [];
  private scanned = 0;
  /** Finished parts by name; a repeated name keeps its first position and takes the later content (a dict). */
  private details = new Map<string, { mime: string; bytes: Uint8Array }>();

  constructor(sink: EventSink, options: V1ReaderOptions = {}) {
    this.sink = sink;
    this.nonSubunitName = options.nonSubunitName ?? 'stdout';
  }

  get bytesRead(): number {
    return this.consumed;
  }

  /** Everything kept between pushes is a copy. */
  get holdsFrom(): number {
    return Infinity;
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('V1Reader: push() after end()');
    // A Buffer view (no copy) gives native line search and native small-range decoding.
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      if (this.state === State.Multipart && this.part === Part.Body) {
        // Chunk bodies are raw bytes: take them directly, whatever lines they contain.
        const take = Math.min(this.bodyLeft, n - pos);
        // A copy: the caller may reuse its chunk once push returns.
        this.body.push(Uint8Array.prototype.slice.call(buf, pos, pos + take));
        this.bodySize += take;
        this.bodyLeft -= take;
        pos += take;
        if (this.bodyLeft === 0) this.part = Part.Length;
        continue;
      }
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) {
        this.carry.push(Uint8Array.prototype.slice.call(buf, pos));
        this.carrySize += n - pos;
        break;
      }
      if (this.carrySize > 0) {
        this.carry.push(Uint8Array.prototype.slice.call(buf, pos, nl + 1));
        const joined = Buffer.concat(this.carry, this.carrySize + nl + 1 - pos);
        this.carry = [];
        this.carrySize = 0;
        this.line(joined, 0, joined.length);
      } else {
        this.line(buf, pos, nl + 1);
      }
      pos = nl + 1;
    }
    this.consumed += n;
    this.flushOut();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.carrySize > 0) {
      // python's readline hands over the last line without its LF; it is processed like any other.
      const last = Buffer.concat(this.carry, this.carrySize);
      this.carry = [];
      this.carrySize = 0;
      this.line(last, 0, last.length);
    }
    this.flushOut();
    switch (this.state) {
      case State.InTest:
        this.lostConnection('');
        break;
      case State.Simple:
      case State.Multipart:
        this.lostConnection(`${this.outcome.label} report of `);
        break;
      case State.Outside:
        break;
    }
  }

  /** One line: bytes s..e of b (e is past the LF, or the stream's end for a last line without one). */
  private line(b: Buffer, s: number, e: number): void {
    switch (this.state) {
      case State.Simple:
        this.simpleLine(b, s, e);
        return;
      case State.Multipart:
        this.multipartLine(b, s, e);
        return;
      default:
        this.directive(b, s, e);
    }
  }

  /** A line outside details: a directive, or plain output. */
  private directive(b: Buffer, s: number, e: number): void {
    if (e === s || isSpace(b[s] as number)) {
      this.plain(b, s, e);
      return;
    }
    let t = s + 1;
    while (t < e && !isSpace(b[t] as number)) t++;
    let r = t;
    while (r < e && isSpace(b[r] as number)) r++;
    if (r === e) {
      // One word only: not a directive.
      this.plain(b, s, e);
      return;
    }
    let w = t;
    while (w > s && b[w - 1] === 0x3a) w--;
    const word = keyword(b, s, w);
    const offset = t + 1;
    switch (word) {
      case KW_TEST:
        if (this.state === State.Outside) this.startTest(b, offset, e);
        else this.plain(b, s, e);
        return;
      case KW_TAGS:
        this.tagsLine(b, offset, e);
        return;
      case KW_TIME: {
        const us = parseTimeBytes(b, offset, e - 1);
        if (us === null) this.plain(b, s, e);
        else this.nowUs = us;
        return;
      }
      case KW_PROGRESS: {
        // Progress has no StreamResult counterpart: it is dropped; a value python could not parse is output.
        const v = b.toString('latin1', offset, e).trim();
        if (!(PROGRESS.test(v) || v === 'push' || v === 'pop')) this.plain(b, s, e);
        return;
      }
      case -1:
        this.plain(b, s, e);
        return;
      default:
        if (this.state === State.InTest) this.outcomeLine(b, s, offset, e, OUTCOME_BY_KW[word] as Outcome);
        else this.plain(b, s, e);
    }
  }

  private startTest(b: Buffer, offset: number, e: number): void {
    this.flushOut();
    this.current = rest(b, offset, e);
    this.state = State.InTest;
    this.emit(this.current, 'inprogress', null, null, null, false);
    this.testTags = new Set(this.globalTags);
  }

  private outcomeLine(b: Buffer, s: number, offset: number, e: number, outcome: Outcome): void {
    const name = rest(b, offset, e);
    const current = this.current;
    if (name === current) {
      this.outcome = outcome;
      this.finishTest();
    } else if (name === `${current} [`) {
      this.outcome = outcome;
      this.state = State.Simple;
      this.simple = [];
      this.simpleSize = 0;
    } else if (name === `${current} [ multipart`) {
      this.outcome = outcome;
      this.state = State.Multipart;
      this.part = Part.LookForContent;
      this.details = new Map();
    } else {
      this.plain(b, s, e);
    }
  }

  private tagsLine(b: Buffer, offset: number, e: number): void {
    const target = this.testTags ?? this.globalTags;
    const added: string[] = [];
    const gone: string[] = [];
    const take = (w: string): void => {
      if (w.length === 0) return;
      if (w.startsWith('-')) gone.push(w.slice(1));
      else added.push(w);
    };
    let ascii = true;
    for (let k = offset; k < e; k++) {
      const c = b[k] as number;
      // Bytes python's str.split() would treat specially (non-ASCII, the 0x1c-0x1f separators): full path.
      if (c >= 0x80 || (c >= 0x1c && c <= 0x1f)) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      let k = offset;
      while (k < e) {
        while (k < e && isSpace(b[k] as number)) k++;
        const from = k;
        while (k < e && !isSpace(b[k] as number)) k++;
        if (k > from) take(b.toString('latin1', from, k));
      }
    } else {
      for (const w of b.toString('utf8', offset, e).split(PY_STR_WS)) take(w);
    }
    // TagContext.change_tags: add the new set, then remove the gone set.
    for (const t of added) target.add(t);
    for (const t of gone) target.delete(t);
  }

  private simpleLine(b: Buffer, s: number, e: number): void {
    if (e - s === 2 && b[s] === 0x5d && b[s + 1] === NL) {
      const bytes = concat(this.simple, this.simpleSize);
      this.simple = [];
      this.simpleSize = 0;
      const style = this.outcome.style;
      this.details = new Map();
      if (style === Style.Traceback) this.details.set('traceback', { mime: SIMPLE_TRACEBACK_MIME, bytes });
      else this.details.set(style === Style.Reason ? 'reason' : 'message', { mime: 'text/plain', bytes });
      this.finishTest();
      return;
    }
    // A line starting " ]" is a quoted "]": drop the space.
    const from = e - s >= 2 && b[s] === 0x20 && b[s + 1] === 0x5d ? s + 1 : s;
    this.simple.push(Uint8Array.prototype.slice.call(b, from, e));
    this.simpleSize += e - from;
  }

  private multipartLine(b: Buffer, s: number, e: number): void {
    switch (this.part) {
      case Part.LookForContent: {
        if (e - s === 2 && b[s] === 0x5d && b[s + 1] === NL) {
          this.finishTest();
          return;
        }
        const text = rest(b, s, e);
        const space = text.indexOf(' ');
        // `Content-Type: main/sub` (the field name is not checked); ContentType(main, sub) prints as main/sub.
        this.partMime = space < 0 ? text : text.slice(space + 1);
        this.part = Part.Name;
        return;
      }
      case Part.Name:
        this.partName = rest(b, s, e);
        this.body = [];
        this.bodySize = 0;
        this.bodyLeft = 0;
        this.pending = [];
        this.scanChars = [];
        this.scanned = 0;
        this.part = Part.Length;
        return;
      case Part.Length: {
        const size = this.pending.length === 0 ? chunkSize(b, s, e) : null;
        if (size === 0) {
          this.finishPart();
        } else if (size !== null) {
          this.bodyLeft = size;
          this.part = Part.Body;
        } else {
          // Anything unusual: subunit's chunked decoder, byte for byte (it may wait for more lines).
          this.pending.push(Uint8Array.prototype.slice.call(b, s, e));
          this.runDecoder();
        }
        return;
      }
      case Part.Body: {
        // push() feeds bodies directly; this serves lines re-read after a decoder failure.
        const take = Math.min(this.bodyLeft, e - s);
        this.body.push(Uint8Array.prototype.slice.call(b, s, s + take));
        this.bodySize += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) {
          this.part = Part.Length;
          if (s + take < e) this.multipartLine(b, s + take, e);
        }
        return;
      }
    }
  }

  /**
   * python-subunit's `chunked.Decoder` (strict) over the lines it was given (`pending`): a size line is the
   * bytes of `0-9a-fA-F\\r\\n` at the start of each pending piece, stopping at a piece's first other byte or
   * LF; until those bytes end with LF it waits (taking every further line, as the reference does); the size
   * line's length is then cut from the front of the pending pieces. Where python raises (a bad size line, bytes
   * after the final `0`), we end the part instead and read the pending lines again as multipart lines.
   */
  private runDecoder(): void {
    for (;;) {
      if (this.bodyLeft > 0) {
        // _read_body: consume pending pieces.
        // Whole pieces are dropped with one splice (not shift() each): pending may hold very many lines.
        let used = 0;
        let done = false;
        this.scanned = 0;
        this.scanChars = [];
        while (this.bodyLeft > 0 && used < this.pending.length) {
          const p = this.pending[used] as Uint8Array;
          if (this.bodyLeft >= p.length) {
            this.body.push(p);
            this.bodySize += p.length;
            this.bodyLeft -= p.length;
            used++;
            done = this.bodyLeft === 0;
          } else {
            this.body.push(p.subarray(0, this.bodyLeft));
            this.bodySize += this.bodyLeft;
            this.pending[used] = p.subarray(this.bodyLeft);
            this.bodyLeft = 0;
          }
        }
        this.pending.splice(0, used);
        // python stops when a body ends exactly with a piece, until the next line arrives.
        if (done) return;
        if (this.bodyLeft > 0) {
          // Nothing pending: the rest of the body comes straight from the input.
          this.part = Part.Body;
          return;
        }
      }
      // _read_length.
      for (; this.scanned < this.pending.length; this.scanned++) {
        const p = this.pending[this.scanned] as Uint8Array;
        for (let k = 0; k < p.length; k++) {
          const c = p[k] as number;
          if (!isChunkChar(c)) break;
          this.scanChars.push(c);
          if (c === NL) break;
        }
      }
      const chars = this.scanChars;
      const n = chars.length;
      if (n === 0 || chars[n - 1] !== NL) return;
      let size: number | null = null;
      if (n >= 2 && chars[n - 2] === CR && !chars.slice(0, n - 2).includes(CR)) {
        // int(count.rstrip(b'\\n\\r'), 16): python's int() also strips whitespace (here: LF) at the front.
        let a = 0;
        let z = n;
        while (z > 0 && (chars[z - 1] === NL || chars[z - 1] === CR)) z--;
        while (a < z && chars[a] === NL) a++;
        size = a < z ? hexValue(chars, a, z) : null;
      }
      if (size === null) {
        this.decoderFailed();
        return;
      }
      // Cut the size line's length from the front of the pending pieces.
      let excess = n;
      let cut = 0;
      while (excess > 0) {
        const p = this.pending[cut] as Uint8Array;
        if (excess >= p.length) {
          excess -= p.length;
          cut++;
        } else {
          this.pending[cut] = p.subarray(excess);
          excess = 0;
        }
      }
      this.pending.splice(0, cut);
      this.scanned = 0;
      this.scanChars = [];
      if (size === 0) {
        if (this.pending.length > 0) {
          // python: non-empty residue fails an assertion.
          this.decoderFailed();
          return;
        }
        this.finishPart();
        return;
      }
      this.bodyLeft = size;
    }
  }

  /** Where python-subunit would raise: end the part here and read what was pending as multipart lines. */
  private decoderFailed(): void {
    const again = this.pending;
    this.pending = [];
    this.scanned = 0;
    this.scanChars = [];
    this.bodyLeft = 0;
    this.finishPart();
    for (const p of again) {
      const buf = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      if (this.state === State.Multipart) this.multipartLine(buf, 0, buf.length);
      else this.directive(buf, 0, buf.length);
    }
  }

  private finishPart(): void {
    const bytes = concat(this.body, this.bodySize);
    this.body = [];
    this.bodySize = 0;
    this.details.set(this.partName, { mime: this.partMime, bytes });
    this.part = Part.LookForContent;
  }

  /** The outcome is known and its details (if any) are complete: emit them, then the status; leave the test. */
  private finishTest(): void {
    this.flushOut();
    const id = this.current;
    for (const [name, d] of this.details) this.emit(id, null, name, d.mime, d.bytes, true);
    this.details = new Map();
    this.emit(id, this.outcome.status, null, null, null, false, true);
    this.stopTest();
  }

  private stopTest(): void {
    this.state = State.Outside;
    this.testTags = null;
    this.current = '';
  }

  private lostConnection(where: string): void {
    const id = this.current;
    const text = `testtools.testresult.real._StringException: lost connection during ${where}test '${id}'\n`;
    this.emit(id, null, 'traceback', TRACEBACK_MIME, encoder.encode(text), true);
    this.emit(id, 'fail', null, null, null, false, true);
    this.details = new Map();
    this.simple = [];
    this.body = [];
    this.pending = [];
    this.scanChars = [];
    this.scanned = 0;
    this.bodyLeft = 0;
    this.stopTest();
  }

  private emit(
    testId: string,
    status: TestStatus | null,
    fileName: string | null,
    mimeType: string | null,
    fileBytes: Uint8Array | null,
    eof: boolean,
    withTags = false,
  ): void {
    let tags: string[] | null = null;
    if (withTags) {
      const set = this.testTags ?? this.globalTags;
      // StreamResultToBytes writes no tags field for an empty set.
      if (set.size > 0) tags = [...set];
    }
    const e: SubunitEvent = {
      testId,
      routeCode: null,
      status,
      timestampUs: this.nowUs,
      tags,
      runnable: true,
      mimeType,
      fileName,
      fileBytes,
      eof,
    };
    this.sink.event(e);
  }

  private plain(b: Buffer, s: number, e: number): void {
    // A view for now: flushOut() copies before push() returns, so the caller may reuse its chunk.
    this.out.push(b.subarray(s, e));
    this.outSize += e - s;
  }

  private flushOut(): void {
    if (this.outSize === 0) {
      if (this.out.length > 0) this.out = [];
      return;
    }
    const bytes =
      this.out.length === 1 ? (this.out[0] as Uint8Array).slice() : concat(this.out, this.outSize);
    this.out = [];
    this.outSize = 0;
    this.sink.event(nonSubunitEvent(this.nonSubunitName, bytes));
  }
}

function isChunkChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === CR || c === NL
  );
}

/** Hex digits chars[a..z) as a number (capped at 2^53), null when any is not a hex digit. */
function hexValue(chars: ArrayLike<number>, a: number, z: number): number | null {
  let v = 0;
  for (let k = a; k < z; k++) {
    const b = chars[k] as number;
    let d: number;
    if (b >= 0x30 && b <= 0x39) d = b - 0x30;
    else if (b >= 0x61 && b <= 0x66) d = b - 0x57;
    else if (b >= 0x41 && b <= 0x46) d = b - 0x37;
    else return null;
    v = Math.min(v * 16 + d, Number.MAX_SAFE_INTEGER);
  }
  return v;
}

/**
 * A chunk-size line as subunit's strict chunked decoder accepts it: hex digits then CRLF (the line's end).
 * Returns null for anything else. Sizes beyond 2^53 are capped: they swallow the rest of the stream either way.
 */
function chunkSize(line: Uint8Array, s: number, e: number): number | null {
  if (e - s < 3 || line[e - 1] !== NL || line[e - 2] !== CR) return null;
  return hexValue(line, s, e - 2);
}
