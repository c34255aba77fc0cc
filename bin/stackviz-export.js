#!/usr/bin/env node
import '../dist/src/cli/export-main.js';
