#!/bin/sh
// 2>/dev/null; exec env MALLOC_MMAP_THRESHOLD_=262144 node --max-semi-space-size=1 --heap-growing-percent=50 --max-inlined-bytecode-size-cumulative=300 "$0" "$@"
// Line 2 is a comment to node and, to sh, a failing command (quiet) and then the node it should run: these
// settings work only when node starts, and `#!/usr/bin/env -S` is missing from busybox (Alpine). So:
// - --max-semi-space-size: the main thread's young generation stays at 1 MB semi-spaces instead of growing
//   to 16 MB ones under the stream's allocation rate (1 GB stream: 235 -> 201 MB peak RSS at 2 MB; 1 MB
//   then took 147-149 to 143-147 MB in three pairs; no slower);
// - --heap-growing-percent: an old generation may grow to 1.5 times what survived the last full GC before
//   the next, where V8 lets a small heap grow to several times (with the input ring cut from 16 to 14 MiB:
//   156-162 -> 147-149 MB in three pairs; no slower);
// - MALLOC_MMAP_THRESHOLD_ (glibc; others ignore it): blocks of 256 KiB and more are mapped on their own and
//   returned when freed. glibc's default threshold grows with the largest block freed, up to 32 MiB, after
//   which freed buffers stay in the threads' arenas (1 GB stream: 178 -> 157-160 MB peak RSS, no slower);
// - --max-inlined-bytecode-size-cumulative (920 by default): TurboFan inlines less into each function. Its
//   compiling ran on the two cores beside the two busy threads, ~0.3 s of CPU on the 80,000-test stream;
//   at 300: median 1.125 -> 1.08 s, user CPU -0.08 s (ten pairs); 200 and 460 were no better.
// `node bin/stackviz-export.js` runs without them (same output).
// The export command runs from its bundle (dist/bundle, made by `npm run build`: one module graph starts ~20 ms
// faster than dist/src's files); the preparing worker from its CommonJS bundle with a code cache (dist/worker).
import { prestartWorker } from '../dist/bundle/export/worker-start.js';

// The preparing worker boots while the CLI loads and checks its inputs (~40 ms earlier); not for help.
const args = process.argv.slice(2);
if (args.length > 0 && !args.some((a) => a === '-h' || a === '--help' || a === '--version')) {
  prestartWorker(new URL('../dist/worker/prepare-worker.cjs', import.meta.url));
}
await import('../dist/bundle/cli/export-main.js');
