#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size: the main thread's young generation stays at 2 MB semi-spaces instead of growing to
// 16 MB ones under the stream's allocation rate (1 GB stream: ~30 MB less peak RSS, no slower). Only a
// command-line flag sets it; `env -S` passes it (GNU coreutils, BSD and macOS env).
import { prestartWorker } from '../dist/src/export/worker-start.js';

// The preparing worker boots while the CLI loads and checks its inputs (~40 ms earlier); not for help.
const args = process.argv.slice(2);
if (args.length > 0 && !args.some((a) => a === '-h' || a === '--help' || a === '--version')) {
  prestartWorker(new URL('../dist/src/export/prepare-worker.js', import.meta.url));
}
await import('../dist/src/cli/export-main.js');
