// The subunit event: what both readers (v2 packets, v1 text) produce and the assembler consumes.

/** The seven subunit test statuses (v2 flag values 1..7). */
export type TestStatus = 'exists' | 'inprogress' | 'success' | 'uxsuccess' | 'skip' | 'fail' | 'xfail';

/** Status codes in v2 flag order; index = the low 3 bits of the flags (0 = no status). */
export const STATUS_BY_CODE: readonly (TestStatus | null)[] = [
  null,
  'exists',
  'inprogress',
  'success',
  'uxsuccess',
  'skip',
  'fail',
  'xfail',
];

/**
 * One event of a subunit stream, the equivalent of python-subunit's `StreamResult.status(...)` call.
 * Every field is null/false when the packet did not carry it.
 */
export interface SubunitEvent {
  testId: string | null;
  routeCode: string | null;
  status: TestStatus | null;
  /**
   * UTC instant as integer microseconds since the Unix epoch (exact in a double until year 2255).
   * v2 nanoseconds are rounded half to even to microseconds, as python-subunit does.
   */
  timestampUs: number | null;
  /** The tag set carried by the event (v2 replaces, it does not add); null when the packet had no tags field. */
  tags: readonly string[] | null;
  runnable: boolean;
  mimeType: string | null;
  fileName: string | null;
  /** A slice of a file attachment; the decoder may hand out views into its own buffers only if it never reuses them. */
  fileBytes: Uint8Array | null;
  /** End of this file attachment. */
  eof: boolean;
}

/** Where a reader sends what it decodes. Readers never throw for damaged input: damage becomes events. */
export interface EventSink {
  event(e: SubunitEvent): void;
}

/** A streaming reader: feed it byte chunks in order, then call end(). */
export interface StreamReader {
  push(chunk: Uint8Array): void;
  end(): void;
  /** Bytes consumed so far (for progress and error offsets). */
  readonly bytesRead: number;
  /**
   * Stream offset of the first byte of an earlier chunk the reader still reads (Infinity: none). Bytes
   * handed out in events are the caller's to track; with `ownChunks` they may be views.
   */
  readonly holdsFrom: number;
}

/** Make an event with every optional field empty; readers fill what they decoded. */
export function emptyEvent(): SubunitEvent {
  return {
    testId: null,
    routeCode: null,
    status: null,
    timestampUs: null,
    tags: null,
    runnable: false,
    mimeType: null,
    fileName: null,
    fileBytes: null,
    eof: false,
  };
}

/**
 * Bytes that are not subunit (a runner's output between packets or lines), handed on as a file with no test
 * id: python-subunit's `status(file_name=non_subunit_name, file_bytes=...)`, every other field its default.
 */
export function nonSubunitEvent(fileName: string, fileBytes: Uint8Array): SubunitEvent {
  return { ...emptyEvent(), runnable: true, fileName, fileBytes };
}
