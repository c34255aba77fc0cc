#!/usr/bin/env node
import '../dist/src/cli/stackviz-main.js';
