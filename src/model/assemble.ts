// Events → tests, with testtools' StreamToDict semantics; only tests still open are held in memory.
import type { EventSink, SubunitEvent } from '../formats/subunit/events.js';
import type { Attachment, HeldBytes, SpillStore, StreamOutput, TestRecord } from './test-record.js';

export interface AssemblerCallbacks {
  /** A completed test (completion order); after `finish()`, the tests left open (see there). */
  onTest(record: TestRecord): void;
  /** Bytes with no test id, joined per file name; called from `finish()` in order of first appearance. */
  onStreamOutput?(output: StreamOutput): void;
}

/**
 * Groups events by (test id, route code) exactly as testtools' `_StreamToTestRecord` does:
 * the start timestamp is the group's first event's, the end timestamp the latest event's (null when
 * that event had none), the latest tag set wins, attachment bytes are appended per file name with the
 * MIME type of that file's first non-empty packet, and any status but `inprogress` completes the test.
 */
export class TestAssembler implements EventSink {
  private readonly callbacks: AssemblerCallbacks;
  /** Open tests by composite key; Map order is creation order, which the final flush walks backwards. */
  private readonly open = new Map<string, TestRecord>();
  private readonly output = new Map<string, StreamOutput>();
  private finished = false;
  private emitted = 0;
  /** Attachment bytes held in memory by open tests and the stream output. */
  private held = 0;
  /** The caller's clock for `spill`'s age rule (e.g. pieces of input read so far). */
  epoch = 0;

  constructor(callbacks: AssemblerCallbacks) {
    this.callbacks = callbacks;
  }

  /** Tests handed over so far (completed and flushed). */
  get testsEmitted(): number {
    return this.emitted;
  }

  /** How many tests are open now (for memory checks and progress). */
  get openCount(): number {
    return this.open.size;
  }

  /** Attachment bytes held in memory now (not spilled). */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Move held attachment bytes to `store`: all of them when more than `maxHeld` bytes are held, otherwise
   * those held for more than `maxAge` epochs (bytes that are views keep their whole input chunk alive).
   * Memory then stays flat however big an attachment, or however long a test stays open.
   */
  spill(store: SpillStore, maxHeld: number, maxAge: number): void {
    const all = this.held > maxHeld;
    const visit = (a: HeldBytes & { size: number }): void => {
      if (a.chunks.length === 0) return;
      if (!all && this.epoch - (a.heldSince ?? this.epoch) <= maxAge) return;
      const n = inMemory(a);
      (a.spilled ??= []).push(store.save(a.chunks, n));
      a.chunks.length = 0;
      this.held -= n;
    };
    for (const r of this.open.values()) for (const a of r.attachments.values()) visit(a);
    for (const o of this.output.values()) visit(o);
  }

  private hold(a: HeldBytes & { size: number }, bytes: Uint8Array): void {
    if (a.chunks.length === 0) a.heldSince = this.epoch;
    a.chunks.push(bytes);
    a.size += bytes.length;
    this.held += bytes.length;
  }

  private release(r: TestRecord): void {
    for (const a of r.attachments.values()) this.held -= inMemory(a);
  }

  event(e: SubunitEvent): void {
    const id = e.testId;
    if (id === null) {
      this.streamOutput(e);
      return;
    }
    // The id itself in the common case (no route code): a string the reader hands out again and again, so
    // its hash is computed once. Every other key starts with NUL, which such an id cannot, and length-prefixes
    // the route code: keys stay distinct for any strings, NUL included.
    const route = e.routeCode;
    const key =
      route === null && id.charCodeAt(0) !== 0
        ? id
        : `\0${route === null ? '-' : `${route.length}:${route}`}|${id}`;
    let record = this.open.get(key);
    if (record === undefined) {
      record = {
        id,
        routeCode: e.routeCode,
        status: 'unknown',
        tags: [],
        startUs: e.timestampUs,
        endUs: null,
        attachments: new Map<string, Attachment>(),
        incomplete: false,
      };
      this.open.set(key, record);
    }
    if (e.status !== null) record.status = e.status;
    // StreamToDict moves the end timestamp on every event, to null when the event has none.
    record.endUs = e.timestampUs;
    if (e.fileName !== null && e.fileBytes !== null && e.fileBytes.length > 0) {
      // Empty file packets are dropped entirely (testtools tests `file_bytes` for truth): no entry, no MIME.
      let att = record.attachments.get(e.fileName);
      if (att === undefined) {
        att = { name: e.fileName, mimeType: e.mimeType, chunks: [], size: 0 };
        record.attachments.set(e.fileName, att);
      }
      this.hold(att, e.fileBytes);
    }
    if (e.tags !== null) record.tags = e.tags;
    if (e.status !== null && e.status !== 'inprogress') {
      this.open.delete(key);
      this.release(record);
      this.emitted++;
      this.callbacks.onTest(record);
    }
  }

  /**
   * End of stream: hand over every test still open, newest group first (testtools pops its dict from
   * the end), with no end timestamp and `incomplete` set; then the stream output.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const left = Array.from(this.open.values());
    this.open.clear();
    this.held = 0;
    for (let k = left.length - 1; k >= 0; k--) {
      const record = left[k] as TestRecord;
      record.endUs = null;
      record.incomplete = true;
      this.emitted++;
      this.callbacks.onTest(record);
    }
    for (const out of this.output.values()) this.callbacks.onStreamOutput?.(out);
    this.output.clear();
  }

  private streamOutput(e: SubunitEvent): void {
    if (e.fileName === null || e.fileBytes === null || e.fileBytes.length === 0) return;
    let out = this.output.get(e.fileName);
    if (out === undefined) {
      out = { name: e.fileName, mimeType: e.mimeType, chunks: [], size: 0 };
      this.output.set(e.fileName, out);
    }
    this.hold(out, e.fileBytes);
  }
}

/** Bytes of an attachment still in memory. */
function inMemory(a: HeldBytes & { size: number }): number {
  let spilled = 0;
  for (const s of a.spilled ?? []) spilled += s.size;
  return a.size - spilled;
}
