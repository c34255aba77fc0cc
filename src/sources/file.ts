// Stream files and standard input as sources: one run (id 0), read in chunks, gunzipped when gzip.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { describeFsError, InputError } from './errors.js';
import { isGzip, maybeGunzip } from './gzip.js';
import type { PlainReader, Source, SourceRun } from './source.js';
import { READ_CHUNK } from './source.js';

/** Errors while reading (EIO, a file removed or made unreadable after validation) are InputErrors too. */
export async function* guardReads(
  chunks: AsyncIterable<Uint8Array>,
  label: string,
): AsyncIterable<Uint8Array> {
  try {
    yield* chunks;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(label, `read error: ${describeFsError(e)}`);
  }
}

/** The bytes of a file on disk, in READ_CHUNK pieces, never the whole file at once. */
export function readFileChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: READ_CHUNK }) as AsyncIterable<Uint8Array>;
}

/**
 * A plain file's reader, or null when the file starts with the gzip magic or is not a regular file (a pipe
 * such as `-f <(zcat …)` is never opened here: closing it would lose its writer's bytes); those are read
 * through `open`.
 */
export async function openPlainFile(path: string): Promise<PlainReader | null> {
  const fail = (e: unknown): never => {
    throw new InputError(path, `read error: ${describeFsError(e)}`);
  };
  if (!(await stat(path).catch(fail)).isFile()) return null;
  const fh = await open(path, 'r').catch(fail);
  try {
    const head = new Uint8Array(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (isGzip(head.subarray(0, bytesRead))) {
      await fh.close();
      return null;
    }
  } catch (e) {
    await fh.close();
    fail(e);
  }
  return {
    // Position null: the file's own offset, from 0 on (the positional read above left it there).
    read: async (buf, offset, length) => (await fh.read(buf, offset, length, null).catch(fail)).bytesRead,
    close: () => fh.close(),
  };
}

function singleRun(run: SourceRun): AsyncIterable<SourceRun> {
  return (async function* () {
    await Promise.resolve();
    yield run;
  })();
}

/** A stream file (validated beforehand by validateInputs, which knows its size). */
export function fileSource(path: string, sizeBytes: number | null): Source {
  const run: SourceRun = {
    runId: 0,
    sizeBytes,
    open: () => maybeGunzip(guardReads(readFileChunks(path), path), path),
    openPlain: () => openPlainFile(path),
  };
  return { kind: 'file', label: basename(path), path, runs: () => singleRun(run) };
}

/** Standard input (or any byte stream standing for it); it can be opened once. */
export function stdinSource(stream: AsyncIterable<Uint8Array> = process.stdin): Source {
  let opened = false;
  const run: SourceRun = {
    runId: 0,
    sizeBytes: null,
    open: () => {
      if (opened) throw new Error('stdin can be read only once');
      opened = true;
      return maybeGunzip(guardReads(stream, 'stdin'), 'stdin');
    },
  };
  return { kind: 'stdin', label: 'stdin', path: null, runs: () => singleRun(run) };
}
