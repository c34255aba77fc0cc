// The files an export writes: buffered, optionally gzipped streams with backpressure (OutFile), synchronous
// whole files (SyncFile), and JSON written in pieces. output.ts creates them in DEST's temporary folder.
import { Buffer } from 'node:buffer';
import { closeSync, createWriteStream, openSync, writeSync, type WriteStream } from 'node:fs';
import { createGzip, constants as zc, type Gzip } from 'node:zlib';

/** Bytes gathered before a write is handed to the stream (fewer, larger writes). */
const BATCH = 512 * 1024;
/** Characters of string output gathered before encoding. */
const STR_BATCH = 64 * 1024;
/** zlib level for `-z`: what `gzip -1` does (the details, most of the bytes, use it too: gzip-segments.ts). */
const GZIP_LEVEL = 1;

/** Gathering buffers not in use: reused, so a long export does not map and fault in fresh memory per write. */
const gatherPool: Buffer[] = [];
const GATHER_POOL_MAX = 8;

/** A buffer of BATCH bytes for a while, to give back with `giveBackBuffer` once nothing refers to its bytes. */
export const borrowBuffer = (): Buffer => gatherPool.pop() ?? Buffer.allocUnsafeSlow(BATCH);
export const giveBackBuffer = (b: Buffer): void => {
  if (gatherPool.length < GATHER_POOL_MAX) gatherPool.push(b);
};

/** Copy `src[start, end)` into `dst` at `at` (`src` and `dst` may be the same bytes). */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  if (src === dst) dst.copyWithin(at, start, end);
  else dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
}

/**
 * Bytes copied into a pooled buffer of BATCH bytes; `onFull` is called each time it fills (and should
 * `take` it). Callers may reuse what they append as soon as `append` returns.
 */
class Gathering {
  private buf: Buffer | null = null;
  private used = 0;

  constructor(private readonly onFull: () => void) {}

  append(src: Uint8Array): void {
    for (let at = 0; at < src.length;) {
      const buf = (this.buf ??= borrowBuffer());
      const n = Math.min(src.length - at, buf.length - this.used);
      copyBytes(buf, this.used, src, at, at + n);
      this.used += n;
      at += n;
      if (this.used === buf.length) this.onFull();
    }
  }

  /** The gathered bytes and the pooled buffer they are in (give it back with `giveBackBuffer`), or null. */
  take(): { bytes: Buffer; buffer: Buffer } | null {
    const buffer = this.buf;
    if (buffer === null || this.used === 0) return null;
    const bytes = buffer.subarray(0, this.used);
    this.buf = null;
    this.used = 0;
    return { bytes, buffer };
  }
}

/** An output file being written: buffered, optionally gzipped off the main thread, with backpressure. */
export class OutFile {
  /** Path relative to DEST, with `/` (as written in config.json), `.gz` included. */
  readonly relPath: string;
  private readonly stream: WriteStream;
  private readonly head: WriteStream | Gzip;
  private str = '';
  /** Small writes gathered into one buffer (taken from the pool when needed), handed to the stream when full. */
  private readonly gathering = new Gathering(() => this.flush());
  /** Bytes encoded so far (uncompressed); see `bytes` for the exact count. */
  private size = 0;
  private readonly done: Promise<void>;

  constructor(absPath: string, relPath: string, gzip: boolean) {
    this.relPath = relPath;
    this.stream = createWriteStream(absPath, { highWaterMark: 1024 * 1024 });
    if (gzip) {
      const gz = createGzip({
        level: GZIP_LEVEL,
        memLevel: 9,
        chunkSize: 256 * 1024,
        strategy: zc.Z_DEFAULT_STRATEGY,
      });
      gz.on('error', (e) => this.stream.destroy(e));
      // A failing file (ENOSPC) stops the compressor too: else its buffer fills, never drains, and the
      // producer waiting in drained() waits forever.
      this.stream.on('error', (e) => gz.destroy(e));
      gz.pipe(this.stream);
      this.head = gz;
    } else {
      this.head = this.stream;
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.stream.on('close', () => resolve());
      this.stream.on('error', reject);
    });
    // The promise is awaited in close(); an early error must not be reported as unhandled before that.
    this.done.catch(() => undefined);
  }

  /** Strings are gathered and encoded once per batch: many small pieces cost one conversion. */
  write(data: string | Uint8Array): void {
    if (typeof data === 'string') {
      this.str += data;
      if (this.str.length >= STR_BATCH) this.takeStr();
      return;
    }
    this.writeBuffer(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  private takeStr(): void {
    if (this.str === '') return;
    const buf = Buffer.from(this.str, 'utf8');
    this.str = '';
    this.push(buf);
  }

  /** Write bytes (copied: the caller may change or reuse them afterwards). */
  writeBuffer(buf: Buffer): void {
    this.takeStr();
    this.push(buf);
  }

  private push(buf: Buffer): void {
    this.size += buf.length;
    // Everything is copied into gathering buffers: one large write per BATCH bytes, and callers may reuse
    // their buffers as soon as this returns (the worker reuses its ring slot once a batch is written).
    this.gathering.append(buf);
  }

  /** Bytes written so far, strings not yet encoded included. */
  get bytes(): number {
    return this.size + (this.str === '' ? 0 : Buffer.byteLength(this.str, 'utf8'));
  }

  private flush(): void {
    this.takeStr();
    const taken = this.gathering.take();
    if (taken === null) return;
    // The buffer goes back to the pool once the stream is done with it (zlib copies what it takes).
    this.head.write(taken.bytes, () => giveBackBuffer(taken.buffer));
  }

  /** True when the stream's buffer is full: the producer should wait for `drained()`. */
  get full(): boolean {
    return this.head.writableNeedDrain;
  }

  drained(): Promise<void> {
    if (!this.head.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ok = (): void => {
        this.stream.off('error', bad);
        resolve();
      };
      const bad = (e: Error): void => {
        this.head.off('drain', ok);
        reject(e);
      };
      this.head.once('drain', ok);
      this.stream.once('error', bad);
    });
  }

  async close(): Promise<void> {
    this.flush();
    this.head.end();
    await this.done;
  }
}

/** Where a file's bytes go: an OutFile, or a SyncFile for a file written in one go at the end. */
export type ByteOut = Pick<OutFile, 'relPath' | 'writeBuffer' | 'full' | 'drained' | 'close'>;

/**
 * A plain file written straight from the caller's buffer with synchronous writes: no copy, no round trip
 * per chunk. For files written in one go while nothing else is (the tree, at the end of a run).
 */
export class SyncFile implements ByteOut {
  readonly relPath: string;
  private fd: number | null;

  constructor(absPath: string, relPath: string) {
    this.relPath = relPath;
    this.fd = openSync(absPath, 'w');
  }

  writeBuffer(buf: Buffer): void {
    if (this.fd === null) throw new Error(`${this.relPath}: write after close`);
    for (let at = 0; at < buf.length;) at += writeSync(this.fd, buf, at, buf.length - at);
  }

  get full(): boolean {
    return false;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    return Promise.resolve();
  }
}

/** JSON text in pieces (`jsonPieces`) written in ~64K-character writes: never the whole text as one string. */
export function writeJsonPieces(
  out: Pick<ByteOut, 'writeBuffer'>,
  pieces: Iterable<string | Uint8Array>,
): void {
  const write = (b: Buffer): void => out.writeBuffer(b);
  let text = '';
  for (const piece of pieces) {
    if (typeof piece !== 'string') {
      if (text !== '') write(Buffer.from(text, 'utf8'));
      text = '';
      write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
      continue;
    }
    text += piece;
    if (text.length >= STR_BATCH) {
      write(Buffer.from(text, 'utf8'));
      text = '';
    }
  }
  if (text !== '') write(Buffer.from(text, 'utf8'));
}
