#!/usr/bin/env -S node --max-semi-space-size=2
// The flag: see stackviz-export.js (`stackviz export` runs the same export).
import '../dist/src/cli/stackviz-main.js';
