// Test helper: runs the python-subunit/testtools oracle and puts our decoder + assembler output in the same shape.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { V2Reader } from '../../src/formats/subunit/v2.js';
import { TestAssembler } from '../../src/model/assemble.js';
import type { StreamOutput, TestRecord } from '../../src/model/test-record.js';

const SCRIPT = fileURLToPath(new URL('./subunit_events.py', import.meta.url));
/** The system interpreter has python-subunit and testtools; the pyenv one on PATH does not. */
const PYTHON = '/usr/bin/python3';

export interface OracleAttachment {
  name: string;
  mime: string | null;
  b64: string;
}
export interface OracleTest {
  id: string;
  status: string;
  tags: string[];
  start_us: number | null;
  end_us: number | null;
  attachments: OracleAttachment[];
}
export interface OracleResult {
  tests: OracleTest[];
  output: OracleAttachment[];
  /** Set when python-subunit itself crashed on the input; then there is nothing to compare. */
  crashed: string | null;
}

/**
 * Write each stream to a temp file, run one `/usr/bin/python3 script` over them all (`arg` turns a file's path
 * into its argument) and parse the one JSON line printed per file. Fails loudly when Python or its modules are
 * missing.
 */
export function runPythonOver<T>(
  script: string,
  streams: readonly Uint8Array[],
  arg: (path: string, k: number) => string = (p) => p,
): T[] {
  if (streams.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'subunit-reference-'));
  try {
    const args = streams.map((s, k) => {
      const p = join(dir, `${k}.subunit`);
      writeFileSync(p, s);
      return arg(p, k);
    });
    const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${script} failed (${String(r.status)}): ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l.length > 0);
    if (lines.length !== streams.length) throw new Error(`${script} gave ${lines.length} results`);
    return lines.map((l) => JSON.parse(l) as T);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Read each stream with the reference implementation (one Python process for the whole batch). */
export function runOracle(streams: readonly Uint8Array[]): OracleResult[] {
  return runPythonOver<OracleResult>(SCRIPT, streams);
}

export interface Assembled {
  tests: TestRecord[];
  output: StreamOutput[];
}

/** Decode v2 chunks and assemble them, collecting everything (tests only: real callers stream). */
export function assembleBytes(chunks: Iterable<Uint8Array>): Assembled {
  const tests: TestRecord[] = [];
  const output: StreamOutput[] = [];
  const assembler = new TestAssembler({
    onTest: (t) => tests.push(t),
    onStreamOutput: (o) => output.push(o),
  });
  const reader = new V2Reader(assembler, { nonSubunitName: 'stdout' });
  for (const c of chunks) reader.push(c);
  reader.end();
  assembler.finish();
  return { tests, output };
}

function b64(chunks: readonly Uint8Array[]): string {
  return Buffer.concat(chunks).toString('base64');
}

/** Our records in the oracle's shape (StreamToDict has no route code, and its tags are a set: sorted). */
export function comparable(a: Assembled): Omit<OracleResult, 'crashed'> {
  return {
    tests: a.tests.map((t) => ({
      id: t.id,
      status: t.status,
      tags: sortTagsLikePython([...t.tags]),
      start_us: t.startUs,
      end_us: t.endUs,
      attachments: Array.from(t.attachments.values(), (x) => ({
        name: x.name,
        mime: x.mimeType,
        b64: b64(x.chunks),
      })),
    })),
    output: a.output.map((o) => ({ name: o.name, mime: o.mimeType, b64: b64(o.chunks) })),
  };
}

/** Python sorts strings by code point; JS's default sort compares UTF-16 units. Match Python. */
export function sortTagsLikePython(tags: string[]): string[] {
  return tags.sort((x, y) => {
    const a = Array.from(x, (c) => c.codePointAt(0) as number);
    const b = Array.from(y, (c) => c.codePointAt(0) as number);
    for (let k = 0; k < Math.min(a.length, b.length); k++) {
      if (a[k] !== b[k]) return (a[k] as number) - (b[k] as number);
    }
    return a.length - b.length;
  });
}
