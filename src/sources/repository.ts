// stestr / testrepository repositories: find the folder, check its format, list stored runs in ascending id.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describeFsError, InputError } from './errors.js';
import { guardReads, readFileChunks } from './file.js';
import { maybeGunzip } from './gzip.js';
import type { Source, SourceRun } from './source.js';

/** Folder names a repository lives in, current first (stestr), then the legacy testrepository one. */
export const REPOSITORY_DIRS = ['.stestr', '.testrepository'] as const;

/** A run file is named by its integer id; `failing`, `times.dbm*`, `meta.dbm*`, `next-stream`, `format`, temp files are not runs. */
const RUN_NAME = /^[0-9]+$/;

export interface StoredRun {
  id: number;
  /** The file holding the run's stream. */
  file: string;
  sizeBytes: number;
}

export interface Repository {
  /** The folder given by the user. */
  given: string;
  /** The repository folder itself (`…/.stestr`). */
  dir: string;
  /** The name shown for it: the folder that holds `.stestr` (or the folder itself when it has another name). */
  label: string;
  runs: StoredRun[];
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds and checks a repository: `given` contains `.stestr` or `.testrepository`, or is such a folder
 * (any folder with a `format` file). Its `format` must say `1`, as stestr requires. Every run file is
 * checked readable now, so a problem stops the export before anything is written.
 */
export async function openRepository(given: string): Promise<Repository> {
  let st;
  try {
    st = await stat(given);
  } catch (e) {
    throw new InputError(given, describeFsError(e));
  }
  if (!st.isDirectory()) {
    throw new InputError(given, 'not a directory', `'${given}' is not a repository: not a directory`);
  }
  let dir: string | null = null;
  for (const sub of REPOSITORY_DIRS) {
    if (await isDir(join(given, sub))) {
      dir = join(given, sub);
      break;
    }
  }
  dir ??= given;
  let format: string;
  try {
    format = await readFile(join(dir, 'format'), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // A .stestr folder without its `format` file (an interrupted `stestr init`, a partial copy) says so.
      const problem =
        dir === given ? 'no .stestr or .testrepository folder in it' : `'${dir}' has no format file`;
      throw new InputError(given, problem, `'${given}' is not a repository: ${problem}`);
    }
    throw new InputError(join(dir, 'format'), describeFsError(e));
  }
  if (format.trim() !== '1') {
    const problem = `unsupported repository format '${format.trim().slice(0, 20)}' (expected 1)`;
    throw new InputError(dir, problem, `'${dir}' is not a usable repository: ${problem}`);
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InputError(dir, describeFsError(e));
  }
  const runs: StoredRun[] = [];
  for (const name of names) {
    if (!RUN_NAME.test(name)) continue;
    const file = join(dir, name);
    let size: number;
    try {
      const s = await stat(file);
      if (!s.isFile()) continue;
      size = s.size;
      const fh = await open(file, 'r');
      await fh.close();
    } catch (e) {
      throw new InputError(file, describeFsError(e));
    }
    runs.push({ id: Number(name), file, sizeBytes: size });
  }
  // Numeric order (10 after 9); equal numbers (`7`, `07`) keep a stable name order.
  runs.sort((a, b) => a.id - b.id || (a.file < b.file ? -1 : 1));
  const abs = resolve(dir);
  const inner = (REPOSITORY_DIRS as readonly string[]).includes(basename(abs));
  return { given, dir, label: basename(inner ? dirname(abs) : abs), runs };
}

/** A repository as a Source; its runs are the ones listed by openRepository (an empty run is a run). */
export function repositorySource(repo: Repository): Source {
  return {
    kind: 'repository',
    label: repo.label,
    path: repo.dir,
    runs: async function* (): AsyncIterable<SourceRun> {
      await Promise.resolve();
      for (const r of repo.runs) {
        yield {
          runId: r.id,
          sizeBytes: r.sizeBytes,
          open: () => maybeGunzip(guardReads(readFileChunks(r.file), r.file), r.file),
        };
      }
    },
  };
}
