// Where subunit streams come from: files, stdin, stestr/testrepository repositories; no writer or CLI knowledge.

/** One stored run of a source: its bytes, decompressed, read in chunks. */
export interface SourceRun {
  /** 0 for files and stdin; the stored run id for repositories. */
  readonly runId: number;
  /** Size on disk (compressed size for gzip files), null when unknown (stdin). */
  readonly sizeBytes: number | null;
  /** The run's bytes, gunzipped when they start with the gzip magic; errors are InputErrors. */
  open(): AsyncIterable<Uint8Array>;
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
