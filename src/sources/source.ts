// Where subunit streams come from: files, stdin, stestr/testrepository repositories; no writer or CLI knowledge.

/** One stored run of a source: its bytes, decompressed, read in chunks. */
export interface SourceRun {
  /** 0 for files and stdin; the stored run id for repositories. */
  readonly runId: number;
  /** Size on disk (compressed size for gzip files), null when unknown (stdin). */
  readonly sizeBytes: number | null;
  /** The run's bytes, gunzipped when they start with the gzip magic; errors are InputErrors. */
  open(): AsyncIterable<Uint8Array>;
  /**
   * The same bytes read straight into a buffer of the caller's, when they are a plain file (null when it
   * is gzipped): no buffer per chunk. Absent for stdin and repositories.
   */
  openPlain?(): Promise<PlainReader | null>;
}

/** Sequential reads of a plain file into the caller's memory; errors are InputErrors. */
export interface PlainReader {
  /** Up to `length` bytes into `buf` at `offset`; 0 at the end of the file. */
  read(buf: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export interface Source {
  readonly kind: 'file' | 'stdin' | 'repository';
  /** The base name of the file or repository (the folder that holds `.stestr`), or `stdin`. */
  readonly label: string;
  /** The path as given (the repository folder itself for repositories); null for stdin. */
  readonly path: string | null;
  /** Every run, in ascending run id. */
  runs(): AsyncIterable<SourceRun>;
}

/** Chunk size for file reads: big enough for throughput, small enough for flat memory. */
export const READ_CHUNK = 1024 * 1024;
