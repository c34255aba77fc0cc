// Bundles the export command for Node (dist/bundle): one module graph loaded instead of ~40 files, which
// takes ~20 ms off every export's start (docs/performance.md). The preparing worker has a bundle of its own
// (vite.worker.config.ts).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { nodeBundle } from './vite.node.js';

const src = (p: string): string => fileURLToPath(new URL(`../src/${p}`, import.meta.url));

export default defineConfig(
  nodeBundle(fileURLToPath(new URL('../dist/bundle', import.meta.url)), {
    input: {
      'cli/export-main': src('cli/export-main.ts'),
      'export/worker-start': src('export/worker-start.ts'),
    },
    // The store's engines (--history) stay packages: native code (better-sqlite3) and pg's optional parts.
    external: ['better-sqlite3', 'pg'],
    output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  }),
);
