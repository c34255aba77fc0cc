// Loading the PostgreSQL engine must not load Node's fetch implementation (pg-runtime.ts says why): checked in a
// fresh process on the built engine, as a CLI loads it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ENGINE = join(import.meta.dirname, '..', '..', 'dist', 'src', 'history', 'postgres.js');

it('loads pg without loading undici', () => {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(ENGINE)});
       console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual([]);
});
