// Test helper: the v1 oracle (python-subunit's v1 → v2 transcoding as stestr does it) and our V1Reader in its shape.
import { fileURLToPath } from 'node:url';
import type { SubunitEvent } from '../../src/formats/subunit/events.js';
import { V1Reader } from '../../src/formats/subunit/v1.js';
import { TestAssembler } from '../../src/model/assemble.js';
import type { StreamOutput, TestRecord } from '../../src/model/test-record.js';
import { runPythonOver, type Assembled, type OracleResult } from './oracle.js';

const SCRIPT = fileURLToPath(new URL('./v1_tests.py', import.meta.url));

/** Transcode and assemble each v1 stream with the reference (one Python process for the batch). */
export function runV1Oracle(streams: readonly Uint8Array[]): OracleResult[] {
  return runPythonOver<OracleResult>(SCRIPT, streams);
}

/** Read v1 chunks with our reader, collecting events (copied) in order. */
export function v1Events(chunks: Iterable<Uint8Array>): SubunitEvent[] {
  const events: SubunitEvent[] = [];
  const reader = new V1Reader({
    event: (e) => events.push({ ...e, fileBytes: e.fileBytes === null ? null : e.fileBytes.slice() }),
  });
  for (const c of chunks) reader.push(c);
  reader.end();
  return events;
}

/** Read v1 chunks with our reader and assemble the tests. */
export function assembleV1(chunks: Iterable<Uint8Array>): Assembled {
  const tests: TestRecord[] = [];
  const output: StreamOutput[] = [];
  const assembler = new TestAssembler({
    onTest: (t) => tests.push(t),
    onStreamOutput: (o) => output.push(o),
  });
  const reader = new V1Reader(assembler);
  for (const c of chunks) reader.push(c);
  reader.end();
  assembler.finish();
  return { tests, output };
}
