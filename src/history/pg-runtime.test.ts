// Loading the PostgreSQL engine must not load Node's fetch implementation (pg-runtime.ts says why): checked in a
// fresh process on the built engine, as the `stackviz` CLI loads it and as the bundled `stackviz-export` does.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '..', '..', 'dist');
const CHUNKS = join(DIST, 'bundle', 'chunks');

it.each([
  ['the CLI', join(DIST, 'src', 'history', 'postgres.js')],
  ['the export bundle', join(CHUNKS, readdirSync(CHUNKS).find((f) => f.startsWith('postgres-')) ?? 'none')],
])('%s loads pg without loading undici', (_, engine) => {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(engine)});
       if (!Object.values(m).some((v) => typeof v === 'function')) throw new Error('not the engine');
       console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual([]);
});
