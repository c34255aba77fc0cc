// Unit tests of the event → test assembler against StreamToDict's rules, one rule per test.
import { describe, expect, test } from 'vitest';
import type { SubunitEvent } from '../formats/subunit/events.js';
import { emptyEvent } from '../formats/subunit/events.js';
import { TestAssembler } from './assemble.js';
import type { SpilledBytes, SpillStore, StreamOutput, TestRecord } from './test-record.js';
import { attachmentBytes } from './test-record.js';

function run(events: Partial<SubunitEvent>[]): {
  tests: TestRecord[];
  output: StreamOutput[];
  open: number[];
} {
  const tests: TestRecord[] = [];
  const output: StreamOutput[] = [];
  const open: number[] = [];
  const a = new TestAssembler({ onTest: (t) => tests.push(t), onStreamOutput: (o) => output.push(o) });
  for (const e of events) {
    a.event({ ...emptyEvent(), ...e });
    open.push(a.openCount);
  }
  a.finish();
  return { tests, output, open };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const content = (chunks: readonly Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');

describe('TestAssembler', () => {
  test('start is the first event, end follows the last event even when it has no timestamp', () => {
    const { tests } = run([
      { testId: 'a', status: 'inprogress', timestampUs: 10 },
      { testId: 'a', fileName: 'f', fileBytes: bytes('x'), timestampUs: 20 },
      { testId: 'a', status: 'success' },
      { testId: 'b', status: 'inprogress' },
      { testId: 'b', status: 'fail', timestampUs: 99 },
    ]);
    expect(tests.map((t) => [t.id, t.status, t.startUs, t.endUs, t.incomplete])).toEqual([
      ['a', 'success', 10, null, false],
      ['b', 'fail', null, 99, false],
    ]);
  });

  test('the latest tag set replaces earlier ones, an empty set included; no tags field keeps them', () => {
    const { tests } = run([
      { testId: 'a', status: 'inprogress', tags: ['worker-0', 'x'] },
      { testId: 'a', tags: ['worker-1'] },
      { testId: 'a', status: 'success' },
      { testId: 'b', status: 'inprogress', tags: ['t'] },
      { testId: 'b', status: 'success', tags: [] },
    ]);
    expect(tests.map((t) => t.tags)).toEqual([['worker-1'], []]);
  });

  test('attachments: bytes appended per name in order, MIME of the first non-empty packet, empty packets ignored', () => {
    const { tests } = run([
      { testId: 'a', fileName: 'log', fileBytes: new Uint8Array(0), mimeType: 'text/ignored' },
      { testId: 'a', fileName: 'log', fileBytes: bytes('one '), mimeType: null },
      { testId: 'a', fileName: 'tb', fileBytes: bytes('Traceback'), mimeType: 'text/x-traceback' },
      { testId: 'a', fileName: 'log', fileBytes: bytes('two'), mimeType: 'text/plain' },
      { testId: 'a', status: 'fail' },
    ]);
    const t = tests[0] as TestRecord;
    expect([...t.attachments.keys()]).toEqual(['log', 'tb']);
    const log = t.attachments.get('log');
    expect(log?.mimeType).toBeNull();
    expect(content(log?.chunks ?? [])).toBe('one two');
    expect(log?.size).toBe(7);
    expect(t.attachments.get('tb')?.mimeType).toBe('text/x-traceback');
    // A file whose only packet was empty never appears.
    const { tests: t2 } = run([
      { testId: 'c', fileName: 'empty', fileBytes: new Uint8Array(0) },
      { testId: 'c', status: 'success' },
    ]);
    expect(t2[0]?.attachments.size).toBe(0);
  });

  test('any status but inprogress completes: exists too; a completed id starts afresh', () => {
    const { tests, open } = run([
      { testId: 'a', status: 'inprogress', timestampUs: 1 },
      { testId: 'a', status: 'exists', timestampUs: 2 },
      { testId: 'a', status: 'inprogress', timestampUs: 3 },
      { testId: 'a', status: 'xfail', timestampUs: 4 },
    ]);
    expect(open).toEqual([1, 0, 1, 0]);
    expect(tests.map((t) => [t.status, t.startUs, t.endUs])).toEqual([
      ['exists', 1, 2],
      ['xfail', 3, 4],
    ]);
  });

  test('grouped by test id and route code', () => {
    const { tests } = run([
      { testId: 'a', routeCode: '0', status: 'inprogress', timestampUs: 1 },
      { testId: 'a', routeCode: '1', status: 'inprogress', timestampUs: 2 },
      { testId: 'a', status: 'inprogress', timestampUs: 3 },
      { testId: 'a', routeCode: '1', status: 'success', timestampUs: 4 },
      { testId: 'a', routeCode: '0', status: 'fail', timestampUs: 5 },
    ]);
    expect(tests.map((t) => [t.routeCode, t.status, t.startUs])).toEqual([
      ['1', 'success', 2],
      ['0', 'fail', 1],
      [null, 'inprogress', 3],
    ]);
  });

  test('route codes that look like key syntax do not collide', () => {
    const { tests } = run([
      { testId: 'b', routeCode: '1:a|', status: 'inprogress' },
      { testId: 'a|b', routeCode: '1:a', status: 'inprogress' },
      { testId: 'b', routeCode: '1:a|', status: 'success' },
    ]);
    expect(tests.map((t) => [t.id, t.status])).toEqual([
      ['b', 'success'],
      ['a|b', 'inprogress'],
    ]);
  });

  test('ids that look like the keys of routed or NUL-led tests stay tests of their own', () => {
    const { tests } = run([
      { testId: 'x', status: 'inprogress' },
      { testId: 'x', routeCode: '', status: 'inprogress' },
      { testId: '\0-|x', status: 'inprogress' },
      { testId: '\0x', status: 'inprogress' },
      { testId: '\u00000:|x', status: 'inprogress' },
      { testId: 'x', routeCode: '', status: 'success' },
      { testId: '\0x', status: 'fail' },
    ]);
    expect(tests.map((t) => [t.id, t.routeCode, t.status])).toEqual([
      ['x', '', 'success'],
      ['\0x', null, 'fail'],
      ['\u00000:|x', null, 'inprogress'],
      ['\0-|x', null, 'inprogress'],
      ['x', null, 'inprogress'],
    ]);
  });

  test('finish flushes open tests newest group first, without end, inprogress or unknown', () => {
    const { tests } = run([
      { testId: 'first', status: 'inprogress', timestampUs: 1 },
      { testId: 'files-only', fileName: 'f', fileBytes: bytes('x'), timestampUs: 2 },
      { testId: 'done', status: 'success', timestampUs: 3 },
      { testId: 'last', status: 'inprogress', timestampUs: 4 },
    ]);
    expect(tests.map((t) => [t.id, t.status, t.startUs, t.endUs, t.incomplete])).toEqual([
      ['done', 'success', 3, 3, false],
      ['last', 'inprogress', 4, null, true],
      ['files-only', 'unknown', 2, null, true],
      ['first', 'inprogress', 1, null, true],
    ]);
  });

  test('prototype-looking ids and file names are plain data', () => {
    const { tests } = run([
      { testId: '__proto__', fileName: '__proto__', fileBytes: bytes('p') },
      { testId: 'constructor', fileName: 'hasOwnProperty', fileBytes: bytes('c') },
      { testId: '__proto__', status: 'success' },
      { testId: 'constructor', status: 'fail' },
    ]);
    expect(tests.map((t) => [t.id, [...t.attachments.keys()]])).toEqual([
      ['__proto__', ['__proto__']],
      ['constructor', ['hasOwnProperty']],
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('events without a test id become stream output per file name, after the tests', () => {
    const order: string[] = [];
    const a = new TestAssembler({
      onTest: (t) => order.push(`test ${t.id}`),
      onStreamOutput: (o) => order.push(`output ${o.name} ${o.mimeType ?? '-'} ${content(o.chunks)}`),
    });
    const ev = (e: Partial<SubunitEvent>): void => a.event({ ...emptyEvent(), ...e });
    ev({ fileName: 'stdout', fileBytes: bytes('a') });
    ev({ testId: 'open', status: 'inprogress' });
    ev({ fileName: 'other', fileBytes: bytes('z'), mimeType: 'text/plain' });
    ev({ fileName: 'stdout', fileBytes: bytes('b'), mimeType: 'text/late' });
    ev({ status: 'fail', routeCode: '0' });
    a.finish();
    a.finish();
    expect(order).toEqual(['test open', 'output stdout - ab', 'output other text/plain z']);
  });

  test('completed tests are handed over and not kept', () => {
    const seen: TestRecord[] = [];
    const a = new TestAssembler({ onTest: (t) => seen.push(t) });
    for (let k = 0; k < 1000; k++) {
      a.event({ ...emptyEvent(), testId: `t${k}`, status: 'inprogress' });
      a.event({ ...emptyEvent(), testId: `t${k}`, status: 'success' });
      expect(a.openCount).toBe(0);
    }
    expect(seen.length).toBe(1000);
    expect(a.testsEmitted).toBe(1000);
  });
});

describe('spill', () => {
  /** A store that keeps copies in memory and counts what it was given. */
  const memoryStore = (): SpillStore & { saved: number } => {
    const store = {
      saved: 0,
      save(chunks: readonly Uint8Array[], size: number): SpilledBytes {
        const copy = Buffer.concat(chunks);
        expect(copy.length).toBe(size);
        store.saved += size;
        return { size, pieces: () => [copy.subarray(0, 2), copy.subarray(2)] };
      },
    };
    return store;
  };
  const file = (testId: string | null, text: string): SubunitEvent => ({
    ...emptyEvent(),
    testId,
    fileName: 'log',
    fileBytes: bytes(text),
  });

  test('keeps every byte in order across spills, and holds nothing once tests are done', () => {
    const tests: TestRecord[] = [];
    const outputs: StreamOutput[] = [];
    const a = new TestAssembler({ onTest: (t) => tests.push(t), onStreamOutput: (o) => outputs.push(o) });
    const store = memoryStore();
    a.event(file('t', 'one '));
    a.event(file(null, 'out1 '));
    expect(a.heldBytes).toBe(9);
    a.spill(store, 5, 100); // over the size limit: everything held goes
    expect([a.heldBytes, store.saved]).toEqual([0, 9]);
    a.event(file('t', 'two '));
    a.epoch = 10;
    a.event(file('u', 'young'));
    a.spill(store, 1000, 5); // only bytes held for more than 5 epochs go: t's, not u's
    expect([a.heldBytes, store.saved]).toEqual([5, 13]);
    a.event(file('t', 'three'));
    a.event(file(null, 'out2'));
    a.event({ ...emptyEvent(), testId: 't', status: 'success' });
    expect(a.heldBytes).toBe(9);
    a.finish();
    expect(a.heldBytes).toBe(0);
    const text = (x: Parameters<typeof attachmentBytes>[0] | undefined): string =>
      x === undefined ? '' : Buffer.concat([...attachmentBytes(x)]).toString();
    expect(tests.map((t) => [t.id, text(t.attachments.get('log'))])).toEqual([
      ['t', 'one two three'],
      ['u', 'young'],
    ]);
    expect(outputs.map((o) => text(o))).toEqual(['out1 out2']);
  });
});
