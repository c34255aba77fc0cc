// Shared by the exporter's tests: export bytes in chunks (on one thread or through the built worker), and
// read an export back as files.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExport } from '../src/export/export.js';

/** The built worker (npm test builds before it runs the tests). */
export const BUILT_WORKER = new URL('../dist/src/export/prepare-worker.js', import.meta.url);
/** The built worker as the launcher runs it: the bundle of dist/bundle. */
export const BUNDLED_WORKER = new URL('../dist/bundle/export/prepare-worker.js', import.meta.url);

export interface ExportBytesOptions {
  /** Chunk size the bytes are fed in (views of `bytes`, never given away). */
  chunk: number;
  gzip?: boolean;
  /** Through the built worker thread (BUILT_WORKER, or the one given) instead of on this thread. */
  worker?: boolean | URL;
  /** `<source>` in the file names and the run's key. */
  source?: string;
  /** The run's title and the generator named in config.json. */
  title?: string;
  generator?: string;
  /** Why the bytes broke off (`ExportRun.damage`), if they did. */
  damage?: string;
}

/** Export `bytes` as one run into a fresh DEST; returns DEST. */
export async function exportBytes(bytes: Uint8Array, o: ExportBytesOptions): Promise<string> {
  const dest = join(mkdtempSync(join(tmpdir(), 'stackviz-test-export-')), 'out');
  const source = o.source ?? 'test';
  await runExport({
    dest,
    gzip: o.gzip ?? false,
    env: null,
    dstat: null,
    generator: o.generator ?? 'test',
    ...(o.worker === true ? { worker: BUILT_WORKER } : o.worker instanceof URL ? { worker: o.worker } : {}),
    runs: [
      {
        naming: { source, runId: 0, key: source, title: o.title ?? 'Test' },
        sizeBytes: bytes.length,
        async *open() {
          for (let i = 0; i < bytes.length; i += o.chunk) yield bytes.subarray(i, i + o.chunk);
        },
        damage: () => o.damage ?? null,
      },
    ],
  });
  return dest;
}

/** Every file under `dir` (relative path with `/` → its bytes), in sorted order. */
export function readTree(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = rel === '' ? name : `${rel}/${name}`;
    if (statSync(join(dir, p)).isDirectory()) for (const [k, v] of readTree(dir, p)) out.set(k, v);
    else out.set(p, readFileSync(join(dir, p)));
  }
  return out;
}
