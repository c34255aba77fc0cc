// A test as assembled from its events (testtools' StreamToDict record), before any export decision.
import type { TestStatus } from '../formats/subunit/events.js';

/**
 * Attachment bytes moved out of memory while their test was open (see `TestAssembler.spill`); they come
 * before the attachment's `chunks`. `pieces()` reads them back, in order, each time it is called; a piece
 * may be overwritten by the next one (copy what must outlive the loop's step).
 */
export interface SpilledBytes {
  readonly size: number;
  pieces(): Iterable<Uint8Array>;
}

/** Where the assembler moves the bytes it holds when they are too many or held too long. */
export interface SpillStore {
  save(chunks: readonly Uint8Array[], size: number): SpilledBytes;
}

/** Bytes of an attachment, in order: what was spilled, then what is still in memory. */
export interface HeldBytes {
  /** The chunks in stream order that are in memory (after any spilled bytes). */
  readonly chunks: Uint8Array[];
  /** Bytes moved out of memory, before `chunks`; absent or empty when nothing was. */
  spilled?: SpilledBytes[];
  /** Assembler bookkeeping: the reader's piece count when `chunks` got its first (oldest held) chunk. */
  heldSince?: number;
}

/**
 * Every byte of an attachment, in order, as chunks (a plain array when nothing was spilled). Unless it is an
 * array, a chunk is valid only until the next one is taken (`SpilledBytes.pieces`).
 */
export function attachmentBytes(a: HeldBytes): Iterable<Uint8Array> {
  const spilled = a.spilled;
  if (spilled === undefined || spilled.length === 0) return a.chunks;
  return {
    *[Symbol.iterator]() {
      for (const s of spilled) yield* s.pieces();
      yield* a.chunks;
    },
  };
}

/** One file attachment of a test: the bytes of every packet of that file name, in order. */
export interface Attachment extends HeldBytes {
  /** The subunit file name, as sent (e.g. `traceback`, `pythonlogging:''`). */
  readonly name: string;
  /** MIME type of this file's first non-empty packet, null when that packet had none (StreamToDict keeps that one, not the first packet that carried a type). */
  mimeType: string | null;
  /** Total bytes, spilled ones included. */
  size: number;
}

/** The status of an assembled test: a subunit status, or `unknown` when only file events were seen. */
export type RecordStatus = TestStatus | 'unknown';

export interface TestRecord {
  /** The subunit test id, as sent. */
  readonly id: string;
  readonly routeCode: string | null;
  status: RecordStatus;
  /** The latest tag set seen for the test (v2 events replace the set). */
  tags: readonly string[];
  /** First event's timestamp (integer µs since the epoch, UTC); null when it had none. */
  startUs: number | null;
  /** Last event's timestamp, even when that event carried none (then null), as StreamToDict does. */
  endUs: number | null;
  /** Attachments by file name, in the order their first packet arrived. Keys are data: a Map, never an object. */
  readonly attachments: Map<string, Attachment>;
  /** True when the test was still open at the end of the stream (flushed, not completed). */
  incomplete: boolean;
}

/** A run-level attachment: bytes with no test id (non-subunit output between packets, top-level files). */
export interface StreamOutput extends HeldBytes {
  readonly name: string;
  mimeType: string | null;
  /** Total bytes, spilled ones included. */
  size: number;
}
