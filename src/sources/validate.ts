// Up-front check of every input the user named, so one bad input fails the export before anything is written.
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { describeFsError, InputError } from './errors.js';
import { fileSource, stdinSource } from './file.js';
import { openRepository, repositorySource } from './repository.js';
import type { Source } from './source.js';

export type InputSpec =
  | { kind: 'file'; path: string }
  | { kind: 'repository'; path: string }
  | { kind: 'stdin'; stream?: AsyncIterable<Uint8Array> };

/**
 * Checks a stream file exists, is not a folder and can be read; returns its size. A regular file is opened;
 * anything else (a named pipe, `-f <(zcat …)`, a device) only has its permission checked: opening a pipe waits
 * for a writer, and closing it again would lose the writer's bytes or, when the writer has come and gone,
 * leave the real read waiting for ever. The size is null for those (a pipe's is not what it will give).
 */
export async function checkStreamFile(path: string): Promise<number | null> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  if (st.isDirectory()) {
    const problem = 'is a directory, not a subunit stream (use -r for a repository)';
    throw new InputError(path, problem, `'${path}' ${problem}`);
  }
  try {
    if (st.isFile()) await (await open(path, 'r')).close();
    else await access(path, constants.R_OK);
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  return st.isFile() ? st.size : null;
}

/**
 * Checks every input in order and returns their Sources in the same order; throws the first InputError.
 * Files must be readable files, repositories valid with readable runs. Problems that only reading can show
 * (a corrupt gzip, an I/O error) surface later as InputErrors from `open()`.
 */
export async function validateInputs(inputs: readonly InputSpec[]): Promise<Source[]> {
  const sources: Source[] = [];
  for (const input of inputs) {
    switch (input.kind) {
      case 'file':
        sources.push(fileSource(input.path, await checkStreamFile(input.path)));
        break;
      case 'repository':
        sources.push(repositorySource(await openRepository(input.path)));
        break;
      case 'stdin':
        sources.push(stdinSource(input.stream));
        break;
    }
  }
  return sources;
}
