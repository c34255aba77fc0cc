// `npm run build:wasm`: regenerate src/export/json-escape-wasm.ts from src/export/json-escape.wat.
import { writeFileSync } from 'node:fs';
import { assemble, MODULE_PATH, moduleSource } from './wasm.js';

writeFileSync(MODULE_PATH, moduleSource(await assemble()));
process.stdout.write(`wrote ${MODULE_PATH}\n`);
