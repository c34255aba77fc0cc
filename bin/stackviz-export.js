#!/bin/sh
// 2>/dev/null; exec env MALLOC_MMAP_THRESHOLD_=262144 node --max-semi-space-size=1 --heap-growing-percent=50 --max-inlined-bytecode-size-cumulative=300 "$0" "$@"
// The export's launcher, for `stackviz-export` and `stackviz export` alike. Line 2 is a comment to node and, to
// sh, a failing command (quiet) and then the node it should run: these settings work only when node starts, and
// `#!/usr/bin/env -S` is missing from busybox (Alpine). docs/performance.md says what each buys; in short:
// - --max-semi-space-size=1: the young generation stays at 1 MB semi-spaces instead of growing to 16 MB ones
//   under the stream's allocation rate (peak RSS);
// - --heap-growing-percent=50: the old generation grows to 1.5 times what survived the last full GC, not to
//   several times (peak RSS);
// - MALLOC_MMAP_THRESHOLD_ (glibc; others ignore it): blocks of 256 KiB and more are mapped on their own and
//   returned when freed, instead of staying in the threads' arenas (peak RSS);
// - --max-inlined-bytecode-size-cumulative=300: TurboFan inlines less, and compiles less beside the two busy
//   threads on a two-core machine (time).
// `node bin/stackviz-export.js` runs without them (same output).
import { prestartWorker } from '../dist/bundle/export/worker-start.js';

// The preparing worker boots while the CLI loads and checks its inputs (~40 ms earlier); not for help.
const args = process.argv.slice(2);
if (args.length > 0 && !args.some((a) => a === '-h' || a === '--help' || a === '--version')) {
  prestartWorker(new URL('../dist/bundle/export/prepare-worker.js', import.meta.url));
}
await import('../dist/bundle/cli/export-main.js');
