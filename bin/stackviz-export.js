#!/usr/bin/env node
import { prestartWorker } from '../dist/src/export/worker-start.js';

// The preparing worker boots while the CLI loads and checks its inputs (~40 ms earlier); not for help.
const args = process.argv.slice(2);
if (args.length > 0 && !args.some((a) => a === '-h' || a === '--help' || a === '--version')) {
  prestartWorker(new URL('../dist/src/export/prepare-worker.js', import.meta.url));
}
await import('../dist/src/cli/export-main.js');
