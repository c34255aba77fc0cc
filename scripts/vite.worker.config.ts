// Bundles the preparing worker as one CommonJS file (dist/worker/prepare-worker.cjs): worker-start.ts runs
// it through node:vm with V8's code cache, which ES modules cannot take in Node 20. scripts/warm-worker.ts
// then writes that cache.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { nodeBundle } from './vite.node.js';

export default defineConfig(
  nodeBundle(fileURLToPath(new URL('../dist/worker', import.meta.url)), {
    input: { 'prepare-worker': fileURLToPath(new URL('../src/export/prepare-worker.ts', import.meta.url)) },
    output: { format: 'cjs', entryFileNames: '[name].cjs' },
  }),
);
