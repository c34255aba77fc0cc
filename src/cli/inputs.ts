// The CLI's inputs: -f files, -r repositories, -i stdin, validated up front by the sources layer and named.
import { basename } from 'node:path';
import type { ExportRun } from '../export/export.js';
import { DamagedInputError, validateInputs, type InputSpec, type Source } from '../sources/index.js';
import { baseSourceName, NameAllocator } from './source-names.js';

export { describeFsError, InputError, isGzip } from '../sources/index.js';

export interface InputOptions {
  files: string[];
  repositories: string[];
  stdin: boolean;
}

function title(s: Source): string {
  if (s.kind === 'stdin') return 'Subunit Stream (stdin)';
  if (s.kind === 'file') return `Subunit File: ${s.label}`;
  return `Repository: ${s.label}`;
}

/** The chunks until a DamagedInputError, which ends them (and goes to `onDamage`) instead of failing the run. */
async function* endOnDamage(
  chunks: AsyncIterable<Uint8Array>,
  onDamage: (e: DamagedInputError) => void,
): AsyncIterable<Uint8Array> {
  try {
    yield* chunks;
  } catch (e) {
    if (!(e instanceof DamagedInputError)) throw e;
    onDamage(e);
  }
}

/**
 * Check every input before anything is written (the first problem throws an InputError) and give each a
 * distinct `<source>` name; the runs come in the order: files, repositories (ascending run id), stdin.
 */
export async function resolveInputs(
  o: InputOptions,
  stdin: AsyncIterable<Uint8Array>,
): Promise<AsyncIterable<ExportRun>> {
  const specs: InputSpec[] = [
    ...o.files.map((path): InputSpec => ({ kind: 'file', path })),
    ...o.repositories.map((path): InputSpec => ({ kind: 'repository', path })),
    ...(o.stdin ? [{ kind: 'stdin', stream: stdin } as InputSpec] : []),
  ];
  const sources = await validateInputs(specs);
  const names = new NameAllocator();
  if (o.stdin) names.take('stdin');
  const named = sources.map((s) => ({
    s,
    source: s.kind === 'stdin' ? 'stdin' : names.take(baseSourceName(basename(s.label), s.kind === 'file')),
  }));
  const keys = new NameAllocator();
  return (async function* (): AsyncIterable<ExportRun> {
    for (const { s, source } of named) {
      for await (const run of s.runs()) {
        const repo = s.kind === 'repository';
        // Plain files are read straight into the pipeline's input ring.
        const openPlain = run.openPlain?.bind(run);
        let damage: string | null = null;
        yield {
          naming: {
            source,
            runId: run.runId,
            key: keys.take(repo ? `${source}_${run.runId}` : source),
            title: repo ? `${title(s)} (run ${run.runId})` : title(s),
          },
          sizeBytes: run.sizeBytes,
          open: () => endOnDamage(run.open(), (e) => (damage = e.message)),
          damage: () => damage,
          ...(repo ? { repositoryRunId: run.runId } : {}),
          ...(openPlain === undefined ? {} : { openPlain }),
        };
      }
    }
  })();
}
