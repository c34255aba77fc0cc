#!/bin/sh
// 2>/dev/null; [ "$1" = export ] && shift && exec "$(dirname "$(readlink -f "$0")")/stackviz-export.js" "$@"; exec node "$0" "$@"
// `stackviz serve …`; `stackviz export …` is `stackviz-export …`: line 2 (sh) hands it to that launcher, which
// holds the export's node settings; run as `node bin/stackviz.js export …`, the same module runs here.
if (process.argv[2] === 'export') {
  process.argv.splice(2, 1);
  await import('./stackviz-export.js');
} else {
  await import('../dist/src/cli/stackviz-main.js');
}
