// A file written beside DEST (--trace, --junit) under the export's rules: a temporary name next to the target,
// renamed over it when DEST is committed, removed when the export fails or is interrupted.
import { Buffer } from 'node:buffer';
import { createReadStream, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removedOnSignal } from './output.js';

/** Strings gathered before they are encoded and handed to the stream. */
const GATHER = 64 * 1024;

/** The target cannot be written: one line for the CLI (`path: problem`). */
export class SideFileError extends Error {
  override name = 'SideFileError';
}

/** A temporary file beside `target`; `what` names the option in messages (`--trace`). */
export class SideFile {
  private readonly stream: WriteStream;
  private pending = '';
  private readonly done: Promise<void>;
  private closed = false;
  private readonly forget: () => void;

  private constructor(
    readonly target: string,
    readonly tmp: string,
    stream: WriteStream,
    forget: () => void,
  ) {
    this.forget = forget;
    this.stream = stream;
    this.done = new Promise<void>((resolve, reject) => {
      this.stream.on('close', () => resolve());
      this.stream.on('error', reject);
    });
    this.done.catch(() => undefined);
  }

  /** Create the temporary file now, so an unusable target is reported before the export starts. */
  static async open(target: string, what: string): Promise<SideFile> {
    const st = await stat(target).catch(() => null);
    if (st !== null && st.isDirectory())
      throw new SideFileError(`${target}: cannot write ${what}: it is a folder`);
    if (st !== null && !st.isFile())
      throw new SideFileError(
        `${target}: cannot write ${what}: it is not a regular file (a device or a pipe)`,
      );
    const tmp = join(
      dirname(target),
      `.${basename(target)}.${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`,
    );
    // Created synchronously, and known to the signal handler from before: a signal is handled between two turns
    // of the event loop, so it finds either no file or one it removes (an asynchronous open could create the
    // file after the handler had looked, and leave it behind).
    const forget = removedOnSignal(tmp);
    let fd: number;
    try {
      fd = openSync(tmp, 'wx');
    } catch (e) {
      forget();
      throw new SideFileError(`${target}: cannot write ${what}: ${problemOf(e)}`);
    }
    return new SideFile(target, tmp, createWriteStream(tmp, { fd, highWaterMark: 1024 * 1024 }), forget);
  }

  write(s: string): void {
    this.pending += s;
    if (this.pending.length >= GATHER) this.flush();
  }

  private flush(): void {
    if (this.pending === '') return;
    this.stream.write(Buffer.from(this.pending, 'utf8'));
    this.pending = '';
  }

  get full(): boolean {
    return this.stream.writableNeedDrain;
  }

  drained(): Promise<void> {
    if (!this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ok = (): void => {
        this.stream.off('error', bad);
        resolve();
      };
      const bad = (e: Error): void => {
        this.stream.off('drain', ok);
        reject(e);
      };
      this.stream.once('drain', ok);
      this.stream.once('error', bad);
    });
  }

  /** Append a whole file's bytes (a part written aside), with backpressure. */
  async append(path: string): Promise<void> {
    this.flush();
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
      if (!this.stream.write(chunk as Buffer)) await this.drained();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return this.done;
    this.closed = true;
    this.flush();
    this.stream.end();
    return this.done;
  }

  /** Put the finished file in place. */
  async commit(): Promise<void> {
    await this.close();
    await rename(this.tmp, this.target);
    this.forget();
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.stream.destroy();
    await this.done.catch(() => undefined);
    await rm(this.tmp, { force: true });
    this.forget();
  }
}

function problemOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'its folder does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'EROFS') return 'read-only file system';
  return e instanceof Error ? e.message : String(e);
}
