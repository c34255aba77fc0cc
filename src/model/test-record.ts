// A test as assembled from its events (testtools' StreamToDict record), before any export decision.
import type { TestStatus } from '../formats/subunit/events.js';

/** One file attachment of a test: the bytes of every packet of that file name, in order. */
export interface Attachment {
  /** The subunit file name, as sent (e.g. `traceback`, `pythonlogging:''`). */
  readonly name: string;
  /** MIME type of this file's first non-empty packet, null when that packet had none (StreamToDict keeps that one, not the first packet that carried a type). */
  mimeType: string | null;
  /** The chunks in stream order; join them to get the content. */
  readonly chunks: Uint8Array[];
  /** Total bytes over all chunks. */
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
export interface StreamOutput {
  readonly name: string;
  mimeType: string | null;
  readonly chunks: Uint8Array[];
  size: number;
}
