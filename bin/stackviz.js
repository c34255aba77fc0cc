#!/bin/sh
// 2>/dev/null; exec env MALLOC_MMAP_THRESHOLD_=262144 node --max-semi-space-size=1 --heap-growing-percent=50 --max-inlined-bytecode-size-cumulative=300 "$0" "$@"
// Line 2: see stackviz-export.js (`stackviz export` runs the same export).
import '../dist/src/cli/stackviz-main.js';
