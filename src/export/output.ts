// DEST handling: every file goes to a temporary folder inside DEST and is renamed into place at commit,
// config.json last, so a failed or killed export never leaves a half-written DEST.
import { Buffer } from 'node:buffer';
import {
  closeSync,
  createWriteStream,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
  type WriteStream,
} from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { createGzip, constants as zc, type Gzip } from 'node:zlib';
import type { ConfigFile } from '../contract/export-format.js';
import { memoryCopier } from './json-bytes.js';
import { jsonPieces, type EncodedJson } from './json-pieces.js';
import { GATHER_BYTES, GATHER_SLOTS, type GatherRegion } from './shared-memory.js';

const TMP_PREFIX = '.stackviz-export-';
/** An export's temporary folder in DEST; group 1 is its process number. */
const TMP_NAME = /^\.stackviz-export-(\d+)-[0-9a-z]+\.tmp$/;
/** Bytes gathered before a write is handed to the stream (fewer, larger writes). */
const BATCH = GATHER_BYTES;
/** Characters of string output gathered before encoding. */
const STR_BATCH = 64 * 1024;
/**
 * zlib level for `-z`: level 1 is what `gzip -1` does; the details go out twice (whole file and shards),
 * each compressed on its own libuv thread, so the fastest level keeps the total near one `gzip -1`.
 */
const GZIP_LEVEL = 1;

/**
 * `p`, marked as handled: for a promise kept to be awaited later (a shard's close, awaited when the run
 * finishes), whose rejection (ENOSPC, say) would otherwise be an unhandled rejection that kills the process.
 */
export function awaitedLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * Gathering buffers not in use: reused, so a long export does not map and fault in fresh memory per write.
 * During a worker export most are views of the shared memory's gathering region (`gatherIn`), into which
 * bytes from a batch slot are copied natively; the others are ordinary buffers.
 */
const regionPool: Buffer[] = [];
const gatherPool: Buffer[] = [];
const GATHER_POOL_MAX = 8;
/** The shared memory's buffer and its native copy, while its gathering region is in use. */
let shared: { buffer: SharedArrayBuffer; copy: (to: number, from: number, n: number) => void } | null = null;

/**
 * A buffer of GATHER_BYTES for a while (in the shared memory when its region is in use), to give back with
 * `giveBackBuffer` once nothing refers to its bytes any more.
 */
export const borrowBuffer = (): Buffer =>
  regionPool.pop() ?? gatherPool.pop() ?? Buffer.allocUnsafeSlow(BATCH);
export const giveBackBuffer = (b: Buffer): void => {
  // With a region, an ordinary buffer is let go: the region is the pool then (no more memory kept).
  if (shared === null) {
    if (gatherPool.length < GATHER_POOL_MAX) gatherPool.push(b);
  } else if (b.buffer === shared.buffer) {
    regionPool.push(b);
  }
};

/**
 * Copy `src[start, end)` into `dst` at `at`: natively when both are in the shared memory (memory.copy), else
 * by TypedArray methods, which copy out of a SharedArrayBuffer byte by byte unless both sides align.
 */
export function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  if (shared !== null && src.buffer === shared.buffer && dst.buffer === shared.buffer)
    shared.copy(dst.byteOffset + at, src.byteOffset + start, end - start);
  else if (src === dst) dst.copyWithin(at, start, end);
  else dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
}

/**
 * Gather in `region` from now on; null: no longer (once nothing gathered there is still being written: an
 * export's end).
 */
export function gatherIn(region: GatherRegion | null): void {
  regionPool.length = 0;
  gatherPool.length = 0;
  shared = null;
  if (region === null) return;
  const buffer = region.memory.buffer;
  shared = { buffer, copy: memoryCopier(region.memory) };
  for (let i = GATHER_SLOTS - 1; i >= 0; i--)
    regionPool.push(Buffer.from(buffer, region.at + i * GATHER_BYTES, GATHER_BYTES));
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

  /**
   * Write `buf` as it is, without copying it (after what was gathered before); `done` once the stream is
   * finished with it, and the caller may reuse it.
   */
  writeOwned(buf: Buffer, done: () => void): void {
    this.flush();
    this.size += buf.length;
    this.head.write(buf, () => done());
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

/**
 * Bytes two files receive alike (a run's details file and its current shard): gathered once, and the same
 * buffer handed to both streams, instead of a copy gathered per file (the details are most of an export).
 */
export class TeeGather {
  private readonly gathering = new Gathering(() => this.flush());
  private second: OutFile | null = null;

  constructor(private readonly first: OutFile) {}

  /** The second file from now on (what was gathered goes to the files it was written for). */
  retarget(second: OutFile): void {
    this.flush();
    this.second = second;
  }

  write(buf: Uint8Array): void {
    this.gathering.append(buf);
  }

  /** Hand what was gathered to both files; the buffer goes back to the pool once both are done with it. */
  flush(): void {
    const taken = this.gathering.take();
    if (taken === null) return;
    let users = this.second === null ? 1 : 2;
    const done = (): void => {
      if (--users === 0) giveBackBuffer(taken.buffer);
    };
    this.first.writeOwned(taken.bytes, done);
    this.second?.writeOwned(taken.bytes, done);
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

/**
 * JSON text in pieces (`jsonPieces`) written in ~64K-character writes: never the whole text as one string.
 * With `keep`, returns what was written (each write's bytes), for a caller that writes the same JSON again.
 */
export function writeJsonPieces(
  out: Pick<ByteOut, 'writeBuffer'>,
  pieces: Iterable<string | Uint8Array>,
  keep = false,
): Buffer[] {
  const written: Buffer[] = [];
  const write = (b: Buffer): void => {
    out.writeBuffer(b);
    if (keep) written.push(b);
  };
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
  return written;
}

/**
 * A JSON file, synchronously: it is written at the commit, when nothing else is under way, and a round trip
 * through the thread pool per write made a 1.7 MB config.json take 18-32 ms.
 */
function writeJson(path: string, value: unknown, encoded: EncodedJson | null = null): void {
  const f = new SyncFile(path, path);
  try {
    writeJsonPieces(f, jsonPieces(value, 0, encoded));
  } finally {
    void f.close();
  }
}

/** Paths of an earlier export, read from its config.json, so a re-export can remove exactly those. */
function previousExportPaths(config: unknown): string[] {
  const out: string[] = [];
  const add = (p: unknown): void => {
    // Only plain relative paths inside DEST: a hand-edited config must not make us delete elsewhere.
    if (
      typeof p === 'string' &&
      p !== '' &&
      !p.startsWith('/') &&
      !p.split('/').includes('..') &&
      !p.includes('\\')
    ) {
      out.push(p);
    }
  };
  if (typeof config !== 'object' || config === null) return out;
  const c = config as Partial<Record<string, unknown>>;
  if (Array.isArray(c['tempest'])) {
    for (const t of c['tempest'] as unknown[]) {
      if (typeof t !== 'object' || t === null) continue;
      const r = t as Partial<Record<string, unknown>>;
      for (const k of ['raw', 'details', 'tree', 'dstat', 'history']) add(r[k]);
      if (Array.isArray(r['details_shards'])) for (const s of r['details_shards'] as unknown[]) add(s);
    }
  }
  if (Array.isArray(c['datasets'])) {
    for (const d of c['datasets'] as unknown[]) {
      if (typeof d !== 'object' || d === null) continue;
      const arts = (d as Partial<Record<string, unknown>>)['artifacts'];
      if (!Array.isArray(arts)) continue;
      for (const a of arts as unknown[]) {
        if (typeof a === 'object' && a !== null) add((a as Partial<Record<string, unknown>>)['path']);
      }
    }
  }
  return out;
}

/**
 * True when every folder between DEST and `parts`' last element is a real folder: a path listed by an old
 * config.json must not lead out of DEST through a symbolic link (a link as the last element is removed itself,
 * never followed).
 */
async function underDest(dest: string, parts: readonly string[]): Promise<boolean> {
  let dir = dest;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    const st = await lstat(dir).catch(() => null);
    if (st === null || !st.isDirectory()) return false;
  }
  return true;
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir can spin forever on some paths (e.g. under /proc,
 * where mkdir answers ENOENT); this fails with the real error instead. Returns the first folder created.
 */
export async function makeDirs(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    try {
      await stat(p);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  for (let k = missing.length - 1; k >= 0; k--) {
    try {
      await mkdir(missing[k] as string);
    } catch (e) {
      if (k < missing.length - 1)
        await rm(missing[missing.length - 1] as string, { recursive: true, force: true });
      throw e;
    }
  }
  return missing[missing.length - 1];
}

/**
 * Whether process `pid` is alive and, where /proc tells, a stackviz command: the folder of an export killed
 * long ago must not block DEST for ever because its process number was given to another program since.
 */
function isExportProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('stackviz');
  } catch {
    return true; // No /proc (not Linux): alive is all we know.
  }
}

/** DEST is being written by another live export (process `pid`). */
export class DestBusyError extends Error {
  override name = 'DestBusyError';
  constructor(
    readonly dest: string,
    readonly pid: number,
  ) {
    super(`${dest}: another stackviz-export (process ${pid}) is writing there; wait for it to finish`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Folders of exports not yet committed or aborted (temporary folders, and a DEST this export created). */
const unfinished = new Set<string>();

/**
 * Track a file or folder that a signal should remove (a temporary name not yet renamed into place); returns
 * the function that stops tracking it.
 */
export function removedOnSignal(path: string): () => void {
  unfinished.add(path);
  return () => void unfinished.delete(path);
}

/** Commits under way: once one has begun to move files into DEST, stopping it would leave two exports mixed. */
const committing = new Set<Promise<void>>();

/**
 * Remove, synchronously, what unfinished exports have written: for a signal handler (Ctrl-C), after which
 * the process exits. DEST keeps its previous export, as after any failed export.
 */
function removeUnfinishedExports(): void {
  for (const dir of unfinished) rmSync(dir, { recursive: true, force: true });
  unfinished.clear();
}

/**
 * What a signal handler does before the process exits: when a commit is under way, let it finish (a few
 * renames; DEST then holds the whole new export: 'committed'); otherwise remove what unfinished exports have
 * written ('removed'; DEST keeps its previous export). A commit that fails meanwhile is cleaned up as any.
 */
export async function stopExports(): Promise<'committed' | 'removed'> {
  if (committing.size > 0) {
    const results = await Promise.allSettled([...committing]);
    if (results.every((r) => r.status === 'fulfilled') && unfinished.size === 0) return 'committed';
  }
  removeUnfinishedExports();
  return 'removed';
}

/** The export being written: a temporary folder in DEST, committed at the end or removed. */
export class OutputDir {
  readonly dest: string;
  readonly gzip: boolean;
  private readonly tmp: string;
  private readonly files: ByteOut[] = [];
  private readonly dirs = new Set<string>();

  /** The first folder this export created (DEST or a parent), removed again when the export fails. */
  private readonly created: string | undefined;

  private constructor(dest: string, gzip: boolean, tmp: string, created: string | undefined) {
    this.created = created;
    this.dest = dest;
    this.gzip = gzip;
    this.tmp = tmp;
  }

  /** Create DEST (with parents) and the temporary folder; throws (EACCES, ENOTDIR, ...) when DEST is unusable. */
  static async open(dest: string, gzip: boolean): Promise<OutputDir> {
    const created = await makeDirs(dest);
    // Leftovers of killed exports: remove those whose process is gone.
    for (const name of await readdir(dest)) {
      const m = TMP_NAME.exec(name);
      if (m && !isAlive(Number(m[1]))) await rm(join(dest, name), { recursive: true, force: true });
    }
    const name = `${TMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
    const tmp = join(dest, name);
    try {
      await mkdir(tmp);
      // Another export into the same DEST, alive: two commits would mix their files. Looked for after our own
      // folder exists, so of two that start together at least one sees the other (both may give way).
      for (const other of await readdir(dest)) {
        const m = TMP_NAME.exec(other);
        const pid = Number(m?.[1]);
        if (m && other !== name && pid !== process.pid && isExportProcess(pid))
          throw new DestBusyError(dest, pid);
      }
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      if (created !== undefined) await rm(created, { recursive: true, force: true });
      throw e;
    }
    unfinished.add(created ?? tmp);
    return new OutputDir(dest, gzip, tmp, created);
  }

  /**
   * A data file at `rel` (relative to DEST, `/`-separated); `.gz` is appended with `-z`. `precompressed`:
   * the caller writes gzip bytes itself (the name still gets `.gz`).
   */
  create(rel: string, gzip = this.gzip, precompressed = false): OutFile {
    const relPath = gzip || precompressed ? `${rel}.gz` : rel;
    const dir = posix.dirname(relPath);
    if (dir !== '.' && !this.dirs.has(dir)) {
      mkdirSync(join(this.tmp, dir), { recursive: true });
      this.dirs.add(dir);
    }
    const f = new OutFile(join(this.tmp, relPath), relPath, gzip && !precompressed);
    this.files.push(f);
    return f;
  }

  /** Like `create`, for a file written in one go at the end of a run: a SyncFile unless gzipped. */
  createWhole(rel: string): ByteOut {
    if (this.gzip) return this.create(rel);
    const f = new SyncFile(join(this.tmp, rel), rel);
    this.files.push(f);
    return f;
  }

  /** A scratch file in the temporary folder, never committed (e.g. for reading entries back). */
  scratchPath(name: string): string {
    return join(this.tmp, name);
  }

  /** Copy bytes into a data file as they are (used for dstat_log.csv). */
  async writeWhole(rel: string, bytes: Uint8Array, gzip = this.gzip): Promise<string> {
    const f = this.create(rel, gzip);
    f.write(bytes);
    await f.close();
    return f.relPath;
  }

  /**
   * Move everything into DEST: data files first (top-level files and whole shard folders), then
   * config.json, then remove what the previous export listed and this one did not write.
   */
  commit(
    config: ConfigFile,
    files: readonly string[],
    encoded: EncodedJson | null = null,
    andThen: (() => Promise<void>) | null = null,
  ): Promise<void> {
    // Registered before its first step, so a signal from now on waits for the commit (see stopExports);
    // `andThen` (the files beside DEST moving into place) is part of it.
    const moving = this.moveIn(config, files, encoded).then(andThen ?? undefined);
    committing.add(moving);
    const forget = (): void => void committing.delete(moving);
    moving.then(forget, forget);
    return moving;
  }

  private async moveIn(
    config: ConfigFile,
    files: readonly string[],
    encoded: EncodedJson | null,
  ): Promise<void> {
    // config.json is written before anything moves: the moves are then only renames.
    writeJson(join(this.tmp, 'config.json'), config, encoded);
    let previous: string[] = [];
    try {
      previous = previousExportPaths(JSON.parse(await readFile(join(this.dest, 'config.json'), 'utf8')));
    } catch {
      // No earlier export (or an unreadable config): nothing to clean up.
    }
    const tops = new Set<string>();
    for (const f of files) tops.add(f.split('/')[0] as string);
    const trash = join(this.tmp, '.old');
    await mkdir(trash);
    let n = 0;
    for (const top of tops) {
      const target = join(this.dest, top);
      if (top.includes('/') || this.dirs.has(top)) {
        // A folder cannot be renamed over a non-empty one: move the old one aside first.
        await rename(target, join(trash, String(n++))).catch(() => undefined);
      }
      await rename(join(this.tmp, top), target);
    }
    await rename(join(this.tmp, 'config.json'), join(this.dest, 'config.json'));
    const written = new Set(files);
    const oldDirs = new Set<string>();
    for (const p of previous) {
      if (written.has(p) || tops.has(p) || p === 'config.json') continue;
      const top = p.split('/')[0] as string;
      if (tops.has(top)) continue;
      const parts = p.split('/');
      if (!(await underDest(this.dest, parts))) continue;
      await rm(join(this.dest, ...parts), { force: true }).catch(() => undefined);
      if (p.includes('/')) oldDirs.add(posix.dirname(p));
    }
    // Each was checked with its file above: real folders all the way down.
    for (const d of oldDirs) await rmdir(join(this.dest, ...d.split('/'))).catch(() => undefined);
    unfinished.delete(this.created ?? this.tmp);
    await rm(this.tmp, { recursive: true, force: true });
  }

  /** Give up: close what is open and remove the temporary folder; DEST keeps its earlier export. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.files.map((f) => f.close()));
    await rm(this.tmp, { recursive: true, force: true });
    // DEST did not exist before: leave no trace of the failed export.
    if (this.created !== undefined) await rm(this.created, { recursive: true, force: true });
    unfinished.delete(this.created ?? this.tmp);
  }
}
