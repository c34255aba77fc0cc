// Up-front check of every input the user named, so one bad input fails the export before anything is written.
import { open, stat } from 'node:fs/promises';
import { describeFsError, InputError } from './errors.js';
import { fileSource, stdinSource } from './file.js';
import { openRepository, repositorySource } from './repository.js';
import type { Source } from './source.js';

export type InputSpec =
  | { kind: 'file'; path: string }
  | { kind: 'repository'; path: string }
  | { kind: 'stdin'; stream?: AsyncIterable<Uint8Array> };

/** Checks a stream file exists, is a file and can be opened; returns its size. */
export async function checkStreamFile(path: string): Promise<number> {
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
    const fh = await open(path, 'r');
    await fh.close();
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  return st.size;
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
