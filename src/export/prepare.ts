// Assembled tests → the bytes of their raw entry and details, in batches: everything of a test's output that
// needs no run-wide state (keys, byte offsets, the tree, stats totals), so it can be made off the main thread.
// Over 500 lines: TestPreparer writes a test's entry, details and packed numbers in one pass over one buffer, and
// the pieces share its position, its room checks and its hand-over of big details in parts.
import { byCodePoint } from '../contract/export-format.js';
import { PARSER_TEST_ID } from '../formats/subunit/v2.js';
import { Buffer } from 'node:buffer';
import type { ExportStatus } from '../contract/export-format.js';
import { EXPORT_STATUSES, workerOf } from '../contract/export-format.js';
import { cleanTestId, stripNonWord } from '../model/names.js';
import type { Attachment, HeldBytes, StreamOutput, TestRecord } from '../model/test-record.js';
import { attachmentBytes as bytesOf } from '../model/test-record.js';
import { durationSeconds, ISO_MAX_BYTES, putIsoFromMicros } from '../model/time.js';
import { attachmentText, decodeAttachment, verbatimUtf8 } from './attachments.js';
import { bytes, KEY } from './fields.js';
import {
  escapeJsonBytes,
  isPlainJson,
  putAscii,
  putBytes,
  putJsonString,
  putPlainJsonString,
} from './json-bytes.js';

/** Test id python-subunit gives the entries it makes for damaged packets. */
/** A batch is handed over once its bytes pass this size (after the test that passed it). */
export const BATCH_BYTES = 1024 * 1024;
/** Attachments bigger than this are decoded piece by piece instead of as one string. */
const WHOLE_LIMIT = 1024 * 1024;
/** Bytes of an attachment escaped at a time. */
const PIECE = 256 * 1024;
/** Smallest piece escaped at a time (below it, the buffer grows instead). */
const MIN_PIECE = 16 * 1024;

/** One test, ready to write: its byte ranges in the batch's buffer and what the run-wide state needs. */
export interface PreparedTest {
  name: string;
  status: ExportStatus;
  startUs: number | null;
  endUs: number | null;
  duration: number | null;
  /** `,{"name":<name>,"status":...,` up to (not including) `"details_key"`: the raw entry less its tail. */
  entryAt: number;
  entryLen: number;
  /** Bytes of `{"name":<name>,` (no comma), for the tree. */
  preLen: number;
  /**
   * `{"<key>":"<text>",...}` of its attachments, or -1 when it has none. When the details were too big for
   * one batch, earlier batches carried their start (`partial`) and this is the rest.
   */
  detailsAt: number;
  detailsLen: number;
  /** Decoded traceback of a failure (or a damaged packet's parser error), for the stats. */
  traceback: string | null;
  /** Decoded skip reason, for the stats. */
  reason: string | null;
  parserError: boolean;
  /** Worker number from its `worker-N` tag, or null. */
  worker: number | null;
  /** Its details key, once the run writer has given it one (null: no details). */
  detailsKey: string | null;
}

/**
 * Tests prepared since the last batch, their bytes in `buffer[0, used)`. Packed for a cheap hand-over between
 * threads (both buffers can be transferred): per test, FIELDS numbers in `nums` and its name in `names`;
 * tracebacks and skip reasons of the few tests that have them in `notes`. Read a test with `preparedTest`.
 */
export interface PreparedBatch {
  /** The batch's bytes are `buffer[offset, offset + used)` (a slot of a shared ring, or a buffer of its own). */
  buffer: ArrayBuffer | SharedArrayBuffer;
  offset: number;
  used: number;
  /** True when the batch took a turn of a ring (`BatchBuffers.counted`): the writer must release it. */
  counted: boolean;
  count: number;
  nums: Float64Array;
  names: string[];
  notes: { index: number; traceback: string | null; reason: string | null }[];
  /** The run's output with no test id, as a details object (only in the run's last batch). */
  streamOutput: { at: number; len: number } | null;
  /**
   * The first part of big details, after `tests`: those of the next test (named here), or of the stream
   * output; the next batches continue them. Big details go out in parts so that memory stays flat.
   */
  partial: DetailsPart | null;
}

/** A part of details that did not fit in one batch. */
export interface DetailsPart {
  /** The test's name, or null for the run's stream output. */
  name: string | null;
  /** True for the first part of these details. */
  first: boolean;
  at: number;
  len: number;
}

const json = JSON.stringify;

/**
 * Where each number of a test is in `PreparedBatch.nums` (test `i`'s start at `i * FIELDS`): start, end and
 * duration (NaN: null), the byte ranges of its entry and details in the batch, flags (status code, parser
 * error) and the worker number (NaN: none).
 */
const NUM = {
  startUs: 0,
  endUs: 1,
  duration: 2,
  entryAt: 3,
  entryLen: 4,
  preLen: 5,
  detailsAt: 6,
  detailsLen: 7,
  flags: 8,
  worker: 9,
} as const satisfies Partial<Record<keyof PreparedTest | 'flags', number>>;
const FIELDS = Object.keys(NUM).length;
/** Status codes in the packed flags (3 bits): indexes into the contract's list of statuses. */
const STATUSES = EXPORT_STATUSES;
const STATUS_CODE = new Map(STATUSES.map((s, i) => [s, i]));
const PARSER_FLAG = 16;
/** Statuses whose traceback is handed on: those JUnit reports as failures (`fail` alone for the stats). */
const TRACEBACK_STATUSES: ReadonlySet<ExportStatus> = new Set(['fail', 'uxsuccess', 'inprogress', 'unknown']);
const orNaN = (n: number | null): number => (n === null ? Number.NaN : n);
const orNull = (n: number): number | null => (Number.isNaN(n) ? null : n);

/** Test `i` of a batch, written into `into` (one object reused for a whole batch: nothing allocated). */
export function preparedTest(b: PreparedBatch, i: number, into: PreparedTest): PreparedTest {
  const n = b.nums;
  const o = i * FIELDS;
  const flags = n[o + NUM.flags] as number;
  into.name = b.names[i] as string;
  into.status = STATUSES[flags & 7] as ExportStatus;
  into.startUs = orNull(n[o + NUM.startUs] as number);
  into.endUs = orNull(n[o + NUM.endUs] as number);
  into.duration = orNull(n[o + NUM.duration] as number);
  into.entryAt = n[o + NUM.entryAt] as number;
  into.entryLen = n[o + NUM.entryLen] as number;
  into.preLen = n[o + NUM.preLen] as number;
  into.detailsAt = n[o + NUM.detailsAt] as number;
  into.detailsLen = n[o + NUM.detailsLen] as number;
  into.parserError = (flags & PARSER_FLAG) !== 0;
  into.worker = orNull(n[o + NUM.worker] as number);
  into.traceback = null;
  into.reason = null;
  into.detailsKey = null;
  return into;
}

/** An empty PreparedTest to pass to `preparedTest`. */
export const blankPreparedTest = (): PreparedTest => ({
  name: '',
  status: 'unknown',
  startUs: null,
  endUs: null,
  duration: null,
  entryAt: 0,
  entryLen: 0,
  preLen: 0,
  detailsAt: -1,
  detailsLen: 0,
  traceback: null,
  reason: null,
  parserError: false,
  worker: null,
  detailsKey: null,
});

/** Where batch buffers come from: fresh ones, or the slots of a ring shared with the writer's thread. */
export interface BatchBuffers {
  /** A buffer for the next batch with room for at least `minBytes` (may wait for the writer to free one). */
  next(minBytes: number): Buffer;
  /** True when every `next` is a turn the writer must release once it has written that batch. */
  readonly counted: boolean;
}

/** The decoded text of the attachment under details key `key`, or null. */
function textOf(atts: KeyedAttachments<Attachment>, key: string): string | null {
  const a = atts.get(key);
  return a === null ? null : attachmentText(a.mimeType, bytesOf(a), a.size);
}

/** What `details` writes: the bytes, MIME type and size of an attachment. */
type DetailsSource = HeldBytes & Pick<Attachment, 'mimeType' | 'size'>;

/**
 * Attachments under their details keys, in order; one whose key is taken replaces the earlier at its place
 * (the original's dict comprehension). A few per test, so a list searched in order: one is reused for every
 * test instead of a Map per test.
 */
class KeyedAttachments<T> {
  private readonly keys: string[] = [];
  private readonly values: (T | null)[] = [];
  count = 0;

  set(key: string, value: T): void {
    let i = 0;
    while (i < this.count && this.keys[i] !== key) i++;
    this.keys[i] = key;
    this.values[i] = value;
    if (i === this.count) this.count++;
  }

  get(key: string): T | null {
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key) return this.values[i] as T;
    return null;
  }

  key(i: number): string {
    return this.keys[i] as string;
  }

  value(i: number): T {
    return this.values[i] as T;
  }

  /** Empty again, holding on to no attachment. */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.values[i] = null;
    this.count = 0;
  }
}

// The constant parts of a raw entry (see `add`), their keys from the contract's table (fields.ts).
const ENTRY_NAME = bytes(',{', KEY.name);
const COLON_QUOTE = Buffer.from(':"');
const NULL = Buffer.from('null');
const STATUS_JSON = EXPORT_STATUSES.map((st) => bytes(KEY.status, json(st), ',', KEY.tags));
const TIMESTAMPS = bytes(',', KEY.timestamps, '[');
const DURATION = bytes('],', KEY.duration);
const DETAILS_ID = bytes(',', KEY.details, '{},', KEY.id);
const ATTRIBUTES = bytes(',', KEY.attributes);
const WORKER = bytes('],', KEY.worker);
const ROUTE_CODE = KEY.route_code;
/**
 * Bytes of an entry besides its strings and tag list, at most: the constants above, two timestamps, a
 * duration (a float's shortest form) and a worker number, with room to spare.
 */
const ENTRY_FIXED =
  ENTRY_NAME.length +
  Math.max(...STATUS_JSON.map((b) => b.length)) +
  TIMESTAMPS.length +
  2 * (ISO_MAX_BYTES + 2) +
  DURATION.length +
  32 +
  DETAILS_ID.length +
  ATTRIBUTES.length +
  WORKER.length +
  32;

/** Bytes of a string's JSON: a plain string in quotes, or text already stringified (its UTF-8). */
const jsonBytes = (text: string, plain: boolean): number =>
  plain ? text.length + 2 : Buffer.byteLength(text, 'utf8');

/** A string's JSON at `p`: a plain string in quotes, or text already stringified; the position after it. */
const putJsonText = (buf: Buffer, p: number, text: string, plain: boolean): number =>
  plain ? putPlainJsonString(buf, p, text) : p + buf.write(text, p, 'utf8');

/** `"<isoformat>"` of a timestamp, or `null`, at `p` (room: ISO_MAX_BYTES + 2); the position after it. */
function putTimestamp(buf: Buffer, p: number, us: number | null): number {
  if (us === null) return putBytes(buf, p, NULL);
  buf[p] = 0x22;
  const end = putIsoFromMicros(buf, p + 1, us);
  buf[end] = 0x22;
  return end + 1;
}

const FRESH_BUFFERS: BatchBuffers = { next: (n) => Buffer.allocUnsafeSlow(n), counted: false };
const NO_BYTES = Buffer.alloc(0);

/** Builds batches of prepared tests in one growing buffer. */
export class TestPreparer {
  /** The current batch's buffer, taken on its first byte (an empty batch takes no turn of a ring). */
  private buf: Buffer = NO_BYTES;
  private hasBuffer = false;
  private pos = 0;
  private count = 0;
  private nums = new Float64Array(FIELDS * 256);
  private names: string[] = [];
  private notes: PreparedBatch['notes'] = [];
  private streamOutput: PreparedBatch['streamOutput'] = null;
  private readonly outputs: StreamOutput[] = [];
  /** The details being written: where they start in `buf`, and whose they are (for a part handed out early). */
  private detailsAt = 0;
  private detailsOf: Pick<DetailsPart, 'name'> = { name: null };
  private detailsParted = false;

  /**
   * `emit` takes batches cut in the middle of big details (their first parts); without it, details of any
   * size stay in one batch.
   */
  constructor(
    private readonly initialBytes = 2 * BATCH_BYTES,
    private readonly emit: ((b: PreparedBatch) => void) | null = null,
    private readonly buffers: BatchBuffers = FRESH_BUFFERS,
  ) {}

  /** True once the current batch should be handed over. */
  get ready(): boolean {
    return this.pos >= BATCH_BYTES;
  }

  get size(): number {
    return this.count;
  }

  /** The batch so far; a new buffer is started (the old one may be transferred). */
  take(partial: DetailsPart | null = null): PreparedBatch {
    const batch: PreparedBatch = {
      buffer: this.buf.buffer,
      offset: this.buf.byteOffset,
      used: this.pos,
      counted: this.hasBuffer && this.buffers.counted,
      count: this.count,
      nums: this.nums,
      names: this.names,
      notes: this.notes,
      streamOutput: this.streamOutput,
      partial,
    };
    this.buf = NO_BYTES;
    this.hasBuffer = false;
    this.pos = 0;
    this.count = 0;
    this.nums = new Float64Array(FIELDS * 256);
    this.names = [];
    this.notes = [];
    this.streamOutput = null;
    return batch;
  }

  /** Room for `n` more bytes at `pos`, growing the buffer (and keeping what it holds) when needed. */
  private room(n: number): Buffer {
    if (!this.hasBuffer) {
      this.buf = this.buffers.next(Math.max(this.initialBytes, n));
      this.hasBuffer = true;
    }
    if (this.buf.length - this.pos < n) {
      // Rare (a huge test id, say): a buffer of its own, outside any ring.
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    return this.buf;
  }

  /** Constant bytes. */
  private lit(b: Buffer): void {
    this.pos = putBytes(this.room(b.length), this.pos, b);
  }

  /** `JSON.stringify(s)` as UTF-8 (see putJsonString). */
  private jsonString(s: string): void {
    this.pos = putJsonString(this.room(s.length * 6 + 2), this.pos, s);
  }

  private str(s: string): void {
    // A UTF-16 unit never takes more than 3 UTF-8 bytes: room for that, without measuring first.
    this.pos += this.room(s.length * 3).write(s, this.pos, 'utf8');
  }

  add(r: TestRecord): void {
    const { name, attributes } = cleanTestId(r.id);
    const status: ExportStatus = r.status;
    // Sorted (a copy: the reader's lists are shared); a list of one is already sorted.
    const tags = r.tags.length <= 1 ? r.tags : [...r.tags].sort(byCodePoint);
    const duration = durationSeconds(r.startUs, r.endUs);

    // Attachment keys with non-word characters removed; when two collide the later wins at the first's
    // place, as the original's dict comprehension does.
    const atts = this.atts;
    for (const a of r.attachments.values()) if (a.size > 0) atts.set(this.keyOf(a.name), a);

    // Details first: when big they may be handed out in parts, and the entry must stay in the last batch.
    let detailsAt = -1;
    if (atts.count > 0) {
      this.details(atts, name);
      detailsAt = this.detailsAt;
    }
    const detailsLen = detailsAt < 0 ? 0 : this.pos - detailsAt;

    // The entry's bytes are written straight into the batch: no string per field or per entry (the worker
    // made ~2 KB of garbage per test building them), in room reserved once for the longest it can be.
    const tagInfo = this.tagInfo(tags);
    // The name and attributes are made of the id's characters ('.' added): when the id is plain, they are,
    // and each takes its length and two quotes. Otherwise (rare) they are stringified first, so the room
    // reserved is what they take, not six times their length each (a hostile id can be megabytes).
    const plain = isPlainJson(r.id);
    const nameText = plain ? name : json(name);
    const idText = plain ? r.id : json(r.id);
    const attrTexts = plain ? attributes : attributes.map((a) => json(a));
    const routeText = r.routeCode === null ? null : json(r.routeCode);
    let most = ENTRY_FIXED + tagInfo.json.length + jsonBytes(nameText, plain) + jsonBytes(idText, plain);
    for (const a of attrTexts) most += jsonBytes(a, plain) + 1;
    if (routeText !== null) most += ROUTE_CODE.length + jsonBytes(routeText, false) + 1;
    const buf = this.room(most);
    const entryAt = this.pos;
    let p = putBytes(buf, entryAt, ENTRY_NAME);
    p = putJsonText(buf, p, nameText, plain);
    buf[p++] = 0x2c;
    const preLen = p - entryAt - 1;
    p = putBytes(buf, p, STATUS_JSON[STATUS_CODE.get(status) as number] as Buffer);
    p = putBytes(buf, p, tagInfo.json);
    p = putBytes(buf, p, TIMESTAMPS);
    p = putTimestamp(buf, p, r.startUs);
    buf[p++] = 0x2c;
    p = putTimestamp(buf, p, r.endUs);
    p = putBytes(buf, p, DURATION);
    p = duration === null ? putBytes(buf, p, NULL) : putAscii(buf, p, json(duration));
    p = putBytes(buf, p, DETAILS_ID);
    p = putJsonText(buf, p, idText, plain);
    p = putBytes(buf, p, ATTRIBUTES);
    buf[p++] = 0x5b;
    for (let k = 0; k < attrTexts.length; k++) {
      if (k > 0) buf[p++] = 0x2c;
      p = putJsonText(buf, p, attrTexts[k] as string, plain);
    }
    p = putBytes(buf, p, WORKER);
    const worker = tagInfo.worker;
    p = worker === null ? putBytes(buf, p, NULL) : putAscii(buf, p, String(worker));
    buf[p++] = 0x2c;
    if (routeText !== null) {
      p = putBytes(buf, p, ROUTE_CODE);
      p = putJsonText(buf, p, routeText, false);
      buf[p++] = 0x2c;
    }
    this.pos = p;
    const entryLen = this.pos - entryAt;

    const parserError = r.id === PARSER_TEST_ID;
    const i = this.count++;
    if (this.nums.length < this.count * FIELDS) {
      const bigger = new Float64Array(this.nums.length * 2);
      bigger.set(this.nums);
      this.nums = bigger;
    }
    const n = this.nums;
    const o = i * FIELDS;
    n[o + NUM.startUs] = orNaN(r.startUs);
    n[o + NUM.endUs] = orNaN(r.endUs);
    n[o + NUM.duration] = orNaN(duration);
    n[o + NUM.entryAt] = entryAt;
    n[o + NUM.entryLen] = entryLen;
    n[o + NUM.preLen] = preLen;
    n[o + NUM.detailsAt] = detailsAt;
    n[o + NUM.detailsLen] = detailsLen;
    n[o + NUM.flags] = (STATUS_CODE.get(status) as number) | (parserError ? PARSER_FLAG : 0);
    n[o + NUM.worker] = orNaN(worker);
    this.names.push(name);
    // A damaged packet (subunit.parser) has no traceback: its reason stands in, so the damage shows in the summary.
    // Tests that JUnit counts as failures bring theirs too (the stats read only a `fail`'s).
    const traceback = !TRACEBACK_STATUSES.has(status)
      ? null
      : (textOf(atts, 'traceback') ?? (parserError ? textOf(atts, 'ParserError') : null));
    const reason = status === 'skip' ? textOf(atts, 'reason') : null;
    atts.clear();
    if (traceback !== null || reason !== null) this.notes.push({ index: i, traceback, reason });
  }

  /** The test's attachments under their details keys (see `add`). */
  private readonly atts = new KeyedAttachments<Attachment>();

  /** Attachment names → details keys (the same few names come back in every test). */
  private readonly keys = new Map<string, string>();

  private keyOf(name: string): string {
    let k = this.keys.get(name);
    if (k === undefined) {
      k = stripNonWord(name);
      if (this.keys.size < 1024) this.keys.set(name, k);
    }
    return k;
  }

  /**
   * A one-tag list (`worker-N`, nearly every test): its JSON as UTF-8 and its worker number (workerOf runs a
   * regular expression), remembered per tag.
   */
  private readonly oneTag = new Map<string, { json: Buffer; worker: number | null }>();

  /** The tag list's JSON and worker number. */
  private tagInfo(tags: readonly string[]): { json: Buffer; worker: number | null } {
    if (tags.length !== 1) return { json: Buffer.from(json(tags), 'utf8'), worker: workerOf(tags) };
    const t = tags[0] as string;
    let info = this.oneTag.get(t);
    if (info === undefined) {
      info = { json: Buffer.from(json(tags), 'utf8'), worker: workerOf(tags) };
      if (this.oneTag.size < 1024) this.oneTag.set(t, info);
    }
    return info;
  }

  /** Run output with no test id; prepared by `finishRun`. */
  addStreamOutput(o: StreamOutput): void {
    if (o.size > 0) this.outputs.push(o);
  }

  /** End of the run: its stream output goes into the current batch. */
  finishRun(): void {
    if (this.outputs.length === 0) return;
    const atts = new KeyedAttachments<StreamOutput>();
    for (const o of this.outputs) atts.set(stripNonWord(o.name), o);
    this.outputs.length = 0;
    this.details(atts, null);
    this.streamOutput = { at: this.detailsAt, len: this.pos - this.detailsAt };
  }

  /**
   * `{"k":"text",...}` of the attachments of `name` (null: the stream output), from `detailsAt` on.
   */
  private details(atts: KeyedAttachments<DetailsSource>, name: string | null): void {
    this.detailsAt = this.pos;
    this.detailsOf = { name };
    this.detailsParted = false;
    this.room(1)[this.pos++] = 0x7b;
    for (let k = 0; k < atts.count; k++) {
      const a = atts.value(k);
      if (k > 0) this.room(1)[this.pos++] = 0x2c;
      this.jsonString(atts.key(k));
      this.lit(COLON_QUOTE);
      // Valid UTF-8 read as UTF-8 is escaped byte for byte: the same bytes as decode + stringify + encode.
      const bytes = bytesOf(a);
      const verbatim = verbatimUtf8(a.mimeType, bytes);
      if (verbatim !== null) {
        for (const c of verbatim) {
          for (let i = 0; i < c.length;) {
            // A piece may escape to 6 times its size: sized to what the buffer has left, so a batch's
            // buffer (a ring slot) is not outgrown by a worst case that text never reaches.
            const n = Math.min(c.length - i, this.pieceBytes());
            this.pos = escapeJsonBytes(c.subarray(i, i + n), this.room(n * 6), this.pos);
            this.part();
            i += n;
          }
        }
      } else if (a.size <= WHOLE_LIMIT) {
        this.strInner(attachmentText(a.mimeType, bytes, a.size));
      } else {
        decodeAttachment(a.mimeType, bytes, a.size, (piece) => this.strInner(piece));
      }
      this.room(1)[this.pos++] = 0x22;
    }
    this.room(1)[this.pos++] = 0x7d;
  }

  /** Bytes of the next piece to escape: at most PIECE, less when the buffer is short of 6 times that. */
  private pieceBytes(): number {
    if (!this.hasBuffer) return PIECE;
    return Math.min(PIECE, Math.max(MIN_PIECE, Math.floor((this.buf.length - this.pos) / 6)));
  }

  /** Text for the inside of a JSON string, in slices (never cutting a surrogate pair), handed out as they fill. */
  private strInner(text: string): void {
    for (let i = 0; i < text.length;) {
      let end = Math.min(text.length, i + PIECE);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      const q = json(end - i === text.length ? text : text.slice(i, end));
      this.str(q.slice(1, q.length - 1));
      this.part();
      i = end;
    }
  }

  /** Hand out the details written so far when they passed a batch's size (only with `emit`). */
  private part(): void {
    if (this.emit === null || this.pos - this.detailsAt < BATCH_BYTES) return;
    const part: DetailsPart = {
      ...this.detailsOf,
      first: !this.detailsParted,
      at: this.detailsAt,
      len: this.pos - this.detailsAt,
    };
    this.detailsParted = true;
    this.emit(this.take(part));
    this.detailsAt = 0;
  }
}
