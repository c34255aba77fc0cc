// The CLI's inputs: -f files, -r repositories, -i stdin, checked up front and turned into runs to export.
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ExportRun } from '../export/export.js';
import type { EventSink, StreamReader } from '../formats/subunit/events.js';
import { V1Reader } from '../formats/subunit/v1.js';
import { V2Reader } from '../formats/subunit/v2.js';
import { baseSourceName, NameAllocator } from './source-names.js';

/** A problem with something the user gave us: one line naming the file, exit 1. */
export class InputError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.path = path;
  }
}

/** A message for a failed file-system call, without the errno noise. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EEXIST':
      return 'exists and is not a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Check a stream file can be opened and read; returns its size. */
async function checkFile(path: string): Promise<number> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  if (st.isDirectory())
    throw new InputError(path, 'is a directory, not a subunit stream (use -r for a repository)');
  try {
    const fh = await open(path, 'r');
    await fh.close();
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  return st.size;
}

/** The repository folder (`.stestr` or `.testrepository`) for a -r argument: DIR containing it, or it. */
async function findRepository(dir: string): Promise<string> {
  let st;
  try {
    st = await stat(dir);
  } catch (e) {
    throw new InputError(dir, describeFsError(e));
  }
  if (!st.isDirectory())
    throw new InputError(dir, 'not a directory (a repository is a folder containing .stestr)');
  const isRepo = async (p: string): Promise<boolean> => {
    try {
      return (await stat(join(p, 'next-stream'))).isFile() || (await stat(join(p, 'format'))).isFile();
    } catch {
      return false;
    }
  };
  for (const sub of ['.stestr', '.testrepository']) {
    const p = join(dir, sub);
    if (await isRepo(p)) return p;
  }
  if (
    (basename(resolve(dir)) === '.stestr' || basename(resolve(dir)) === '.testrepository') &&
    (await isRepo(dir))
  ) {
    return dir;
  }
  throw new InputError(dir, 'not a stestr repository (no .stestr or .testrepository folder in it)');
}

/** The stored runs of a repository: files named by their id, ascending. */
async function repositoryRuns(
  repo: string,
  shown: string,
): Promise<{ id: number; path: string; size: number }[]> {
  let names: string[];
  try {
    names = await readdir(repo);
  } catch (e) {
    throw new InputError(shown, describeFsError(e));
  }
  const runs: { id: number; path: string; size: number }[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const path = join(repo, n);
    runs.push({ id: Number(n), path, size: await checkFile(path) });
  }
  return runs.sort((a, b) => a.id - b.id);
}

/** Chunks of a byte source, gunzipped when it starts with the gzip magic bytes. */
async function* maybeGunzip(source: AsyncIterable<Uint8Array>, label: string): AsyncIterable<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return;
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let sentHead = false;
      return {
        next: async (): Promise<IteratorResult<Uint8Array>> => {
          if (!sentHead) {
            sentHead = true;
            return { done: false, value: head };
          }
          return it.next();
        },
      };
    },
  };
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield* rest;
    return;
  }
  const gunzip = Readable.from(rest).pipe(createGunzip());
  try {
    for await (const c of gunzip) yield c as Buffer;
  } catch (e) {
    throw new InputError(label, `damaged gzip data (${(e as Error).message})`);
  }
}

/** Read errors while streaming are input errors too (EIO, a file removed under us). */
async function* guarded(source: AsyncIterable<Uint8Array>, label: string): AsyncIterable<Uint8Array> {
  try {
    yield* source;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(label, `read error: ${describeFsError(e)}`);
  }
}

const V1_START =
  /^(test|testing|success|successful|failure|error|skip|xfail|uxsuccess|time|tags|progress)[: ]/;

/**
 * v1 or v2 from a stream's first bytes: v2 packets start with 0xB3; a v1 stream is text whose first
 * protocol line is a v1 command. Text that is neither goes to the v2 reader, which keeps it as output.
 */
export function createReader(first: Uint8Array, sink: EventSink): StreamReader {
  if (first[0] === 0xb3) return new V2Reader(sink);
  const head = Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 65536)).toString(
    'latin1',
  );
  for (const line of head.split('\n')) {
    if (V1_START.test(line)) return new V1Reader(sink);
    if (line.includes('\xb3')) break;
  }
  return new V2Reader(sink);
}

export interface InputOptions {
  files: string[];
  repositories: string[];
  stdin: boolean;
}

/** Check every input before anything is written, and name them; returns the runs in export order. */
export async function resolveInputs(o: InputOptions, stdin: NodeJS.ReadableStream): Promise<ExportRun[]> {
  const names = new NameAllocator();
  const keys = new NameAllocator();
  const runs: ExportRun[] = [];
  if (o.stdin) names.take('stdin');
  for (const f of o.files) {
    const size = await checkFile(f);
    const source = names.take(baseSourceName(basename(f), true));
    runs.push({
      naming: { source, runId: 0, key: keys.take(source), title: `Subunit File: ${basename(f)}` },
      sizeBytes: size,
      open: () => guarded(maybeGunzip(createReadStream(f, { highWaterMark: 1024 * 1024 }), f), f),
    });
  }
  for (const r of o.repositories) {
    const repo = await findRepository(r);
    const shown = basename(resolve(repo)).startsWith('.')
      ? basename(dirname(resolve(repo)))
      : basename(resolve(repo));
    const source = names.take(baseSourceName(shown, false));
    for (const run of await repositoryRuns(repo, r)) {
      runs.push({
        naming: {
          source,
          runId: run.id,
          key: keys.take(`${source}_${run.id}`),
          title: `Repository: ${shown} (run ${run.id})`,
        },
        sizeBytes: run.size,
        open: () =>
          guarded(
            maybeGunzip(createReadStream(run.path, { highWaterMark: 1024 * 1024 }), run.path),
            run.path,
          ),
      });
    }
  }
  if (o.stdin) {
    runs.push({
      naming: { source: 'stdin', runId: 0, key: keys.take('stdin'), title: 'Subunit Stream (stdin)' },
      sizeBytes: null,
      open: () => guarded(maybeGunzip(stdin as AsyncIterable<Uint8Array>, 'stdin'), 'stdin'),
    });
  }
  return runs;
}
