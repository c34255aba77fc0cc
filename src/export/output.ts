// DEST handling: every file goes to a temporary folder inside DEST and is renamed into place at commit,
// config.json last, so a failed or killed export never leaves a half-written DEST.
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import type { ConfigFile } from '../contract/export-format.js';
import { jsonPieces, type EncodedJson } from './json-pieces.js';
import { OutFile, SyncFile, writeJsonPieces, type ByteOut } from './out-file.js';

const TMP_PREFIX = '.stackviz-export-';
/** An export's temporary folder in DEST; group 1 is its process number. */
const TMP_NAME = /^\.stackviz-export-(\d+)-[0-9a-z]+\.tmp$/;

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
      for (const k of ['raw', 'details', 'tree', 'timeline', 'dstat', 'history']) add(r[k]);
      // Exports before details were stored once also had shard files.
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
 * Synchronous, so that a caller can hand what it made to the signal handler before the next turn of the event
 * loop (a signal in between would leave the folder behind).
 */
export function makeDirs(dir: string): string | undefined {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    try {
      statSync(p);
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
      mkdirSync(missing[k] as string);
    } catch (e) {
      if (k < missing.length - 1)
        rmSync(missing[missing.length - 1] as string, { recursive: true, force: true });
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
    // What this export creates is known to the signal handler from the moment it exists (made synchronously).
    const created = makeDirs(dest);
    if (created !== undefined) unfinished.add(created);
    // Leftovers of killed exports: remove those whose process is gone.
    for (const name of await readdir(dest)) {
      const m = TMP_NAME.exec(name);
      if (m && !isAlive(Number(m[1]))) await rm(join(dest, name), { recursive: true, force: true });
    }
    const name = `${TMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
    const tmp = join(dest, name);
    try {
      mkdirSync(tmp);
      if (created === undefined) unfinished.add(tmp);
      // Another export into the same DEST, alive: two commits would mix their files. Looked for after our own
      // folder exists, so of two that start together at least one sees the other (both may give way).
      for (const other of await readdir(dest)) {
        const m = TMP_NAME.exec(other);
        const pid = Number(m?.[1]);
        if (m && other !== name && pid !== process.pid && isExportProcess(pid))
          throw new DestBusyError(dest, pid);
      }
    } catch (e) {
      unfinished.delete(created ?? tmp);
      await rm(tmp, { recursive: true, force: true });
      if (created !== undefined) await rm(created, { recursive: true, force: true });
      throw e;
    }
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
