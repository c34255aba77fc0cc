// `npm run build`'s last step: one small export through the launcher with STACKVIZ_WRITE_WORKER_CACHE=1,
// so the preparing worker writes V8's code cache beside its bundle (worker-start.ts). The export runs with
// the launcher's V8 flags, which V8 checks when it reads the cache.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateStream } from '../bench/generate.js';

const root = resolve('.');
const cache = join(root, 'dist', 'worker', 'prepare-worker.cjs.cache');
const dir = mkdtempSync(join(tmpdir(), 'stackviz-warm-'));
try {
  const stream = join(dir, 'warm.subunit');
  const fd = openSync(stream, 'w');
  generateStream({ tests: 600, bytes: 1_500_000, seed: 11 }, (p) => void writeSync(fd, p));
  closeSync(fd);
  rmSync(cache, { force: true });
  const r = spawnSync(join(root, 'bin', 'stackviz-export.js'), ['-q', '-f', stream, join(dir, 'out')], {
    env: { ...process.env, STACKVIZ_WRITE_WORKER_CACHE: '1' },
    stdio: 'inherit',
  });
  if (r.status === 0 && existsSync(cache)) {
    process.stdout.write(`wrote ${cache} (${statSync(cache).size} bytes)\n`);
  } else {
    // Not a failed build: the worker then compiles its code as it starts, as it did before the cache (the
    // tests still run every export; cli.test.ts reports the missing cache).
    const why = r.error?.message ?? `the warm-up export exited with ${String(r.status ?? r.signal)}`;
    process.stderr.write(`warm-worker: no code cache written (${why}); exports will run without it\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
