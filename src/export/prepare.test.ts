// The packed hand-over between threads: every status, null and number survives preparedTest().
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byCodePoint, EXPORT_STATUSES, workerOf } from '../contract/export-format.js';
import { cleanTestId } from '../model/names.js';
import { isoFromMicros } from '../model/time.js';
import type { TestRecord } from '../model/test-record.js';
import { BATCH_BYTES, blankPreparedTest, preparedTest, TestPreparer, type BatchBuffers } from './prepare.js';

const record = (i: number, status: TestRecord['status']): TestRecord => ({
  id: i === 0 ? 'subunit.parser' : `pkg.mod.Class.test_${i}[id-${i},smoke]`,
  routeCode: null,
  status,
  tags: [`worker-${i % 3}`],
  startUs: i % 2 === 0 ? null : 1_700_000_000_000_000 + i,
  endUs: i % 4 === 1 ? null : 1_700_000_000_500_000 + i,
  attachments: new Map(),
  incomplete: false,
});

describe('PreparedBatch', () => {
  it('gives back each test as it was prepared', () => {
    const p = new TestPreparer(1024);
    const records = EXPORT_STATUSES.map((s, i) => record(i, s));
    for (const r of records) p.add(r);
    const b = p.take();
    expect(b.count).toBe(records.length);
    const t = blankPreparedTest();
    const bytes = Buffer.from(b.buffer, 0, b.used);
    records.forEach((r, i) => {
      preparedTest(b, i, t);
      expect([t.status, t.startUs, t.endUs, t.parserError]).toEqual([r.status, r.startUs, r.endUs, i === 0]);
      expect(t.duration).toBe(r.startUs === null || r.endUs === null ? null : (r.endUs - r.startUs) / 1e6);
      const entry = bytes.subarray(t.entryAt + 1, t.entryAt + t.entryLen).toString();
      expect(entry.startsWith(`{"name":${JSON.stringify(t.name)},`)).toBe(true);
      expect(Buffer.byteLength(`{"name":${JSON.stringify(t.name)},`)).toBe(t.preLen);
      expect(t.detailsAt).toBe(-1);
    });
  });

  it('reserves what a huge id takes, not six times its length per field', () => {
    for (const odd of ['', '"']) {
      const id = `pkg.mod.Class.test_${'x'.repeat(1_000_000)}${odd}[id-1,smoke]`;
      const p = new TestPreparer(1024);
      p.add({ ...record(1, 'success'), id });
      const batch = p.take();
      // The name and the id: 2 MB of JSON (plain or with one escaped quote), in a buffer of about that.
      expect(batch.used).toBeGreaterThan(2_000_000);
      expect(batch.buffer.byteLength).toBeLessThan(2_100_000);
      const t = preparedTest(batch, 0, blankPreparedTest());
      const entry = Buffer.from(batch.buffer, batch.offset + t.entryAt + 1, t.entryLen - 1).toString();
      expect(entry.startsWith(`{"name":${JSON.stringify(id.slice(0, id.indexOf('[')))},`)).toBe(true);
      expect(entry).toContain(`"id":${JSON.stringify(id)},`);
    }
  });

  it('keeps big details within the batch buffers it is given (ring slots of twice a batch)', () => {
    const slot = 2 * BATCH_BYTES;
    const given = new Set<ArrayBufferLike>();
    const buffers: BatchBuffers = {
      counted: true,
      next: (min) => {
        expect(min).toBeLessThanOrEqual(slot);
        const b = Buffer.allocUnsafeSlow(slot);
        given.add(b.buffer);
        return b;
      },
    };
    const batches: { buffer: ArrayBufferLike; used: number }[] = [];
    const p = new TestPreparer(slot, (b) => batches.push(b), buffers);
    // Text whose escaping doubles it (quotes), in odd-sized chunks, after tests that half fill a batch.
    const text = Buffer.from('say "hi" '.repeat(700_000));
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < text.length; i += 333_333) chunks.push(text.subarray(i, i + 333_333));
    for (let i = 1; i < 2000; i++) p.add(record(i, 'success'));
    p.add({
      ...record(5000, 'fail'),
      attachments: new Map([
        ['log', { name: 'log', mimeType: 'text/plain; charset=utf8', size: text.length, chunks }],
      ]),
    });
    batches.push(p.take());
    expect(batches.length).toBeGreaterThan(5);
    for (const b of batches) {
      expect(given.has(b.buffer)).toBe(true);
      expect(b.used).toBeLessThanOrEqual(slot);
    }
  });

  it('writes any id and route code as JSON.stringify does (quotes, controls, lone surrogates, any script)', () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('"', '\\', '\n', '\u0000', '\ud800', '\udc00', '😀', 'é', '[', ',', ']', '.'),
        fc.string({ maxLength: 1 }),
      ),
      maxLength: 30,
    });
    fc.assert(
      fc.property(text, fc.option(text), (id, route) => {
        const p = new TestPreparer(1024);
        p.add({ ...record(3, 'success'), id, routeCode: route });
        const b = p.take();
        const t = preparedTest(b, 0, blankPreparedTest());
        const entry = Buffer.from(b.buffer, 0, b.used)
          .subarray(t.entryAt + 1, t.entryAt + t.entryLen)
          .toString();
        const { name, attributes } = cleanTestId(id);
        expect(entry.startsWith(`{"name":${JSON.stringify(name)},`)).toBe(true);
        expect(entry).toContain(
          `"details":{},"id":${JSON.stringify(id)},"attributes":${JSON.stringify(attributes)},`,
        );
        expect(
          entry.endsWith(route === null ? '"worker":0,' : `"route_code":${JSON.stringify(route)},`),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('byCodePoint (tag order)', () => {
  it("orders strings as Python's sorted() does: by code point, astral characters after U+FFFF", () => {
    const python = (a: string, b: string): number => {
      const x = Array.from(a, (c) => c.codePointAt(0) as number);
      const y = Array.from(b, (c) => c.codePointAt(0) as number);
      for (let i = 0; i < Math.min(x.length, y.length); i++)
        if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    };
    expect(['😀', '\uffff', 'a'].sort(byCodePoint)).toEqual(['a', '\uffff', '😀']);
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme-composite', maxLength: 4 })), (tags) => {
        expect([...tags].sort(byCodePoint)).toEqual([...tags].sort(python));
      }),
    );
  });
});

describe('raw entries written byte by byte', () => {
  /** The entry as JSON.stringify spells it (what the exporter wrote before it skipped the strings). */
  const expected = (r: TestRecord): string => {
    const { name, attributes } = cleanTestId(r.id);
    const tags = r.tags.length <= 1 ? r.tags : [...r.tags].sort(byCodePoint);
    const ts = (us: number | null): string => (us === null ? 'null' : `"${isoFromMicros(us)}"`);
    const duration = r.startUs === null || r.endUs === null ? null : (r.endUs - r.startUs) / 1e6;
    return (
      `{"name":${JSON.stringify(name)},"status":"${r.status}","tags":${JSON.stringify(tags)},` +
      `"timestamps":[${ts(r.startUs)},${ts(r.endUs)}],"duration":${JSON.stringify(duration)},"details":{},` +
      `"id":${JSON.stringify(r.id)},"attributes":${JSON.stringify(attributes)},` +
      `"worker":${JSON.stringify(workerOf(tags))},` +
      (r.routeCode === null ? '' : `"route_code":${JSON.stringify(r.routeCode)},`)
    );
  };
  // Ids with what JSON escapes (quotes, backslashes, controls, lone surrogates) and what it does not.
  const text = fc.oneof(
    fc.string({
      unit: fc.constantFrom(
        'a',
        '.',
        '[',
        ']',
        ',',
        ' ',
        '(',
        ')',
        '"',
        '\\',
        '\n',
        '\u0001',
        'é',
        '😀',
        '\ud800',
        '\u2028',
      ),
    }),
    fc.constant('tempest.api.compute.servers.test_servers.ServersTestJSON.test_list[id-1a2b,smoke]'),
  );
  const micros = fc.oneof(
    fc.integer({ min: -2_208_988_800_000_000, max: 4_294_967_295_999_999 }),
    fc.integer({ min: 1_600_000_000, max: 1_800_000_000 }).map((s) => s * 1_000_000),
  );

  it('are the bytes JSON.stringify gives, for any id, tags, timestamps and route code', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: text,
          routeCode: fc.option(text),
          status: fc.constantFrom(...EXPORT_STATUSES),
          tags: fc.oneof(fc.array(text, { maxLength: 3 }), fc.constantFrom(['worker-3'], ['worker-12', 'x'])),
          startUs: fc.option(micros),
          endUs: fc.option(micros),
        }),
        (f) => {
          const r: TestRecord = { ...f, attachments: new Map(), incomplete: false };
          const p = new TestPreparer(1024);
          p.add(r);
          const b = p.take();
          const t = preparedTest(b, 0, blankPreparedTest());
          const bytes = Buffer.from(b.buffer, b.offset, b.used);
          expect(bytes.subarray(t.entryAt + 1, t.entryAt + t.entryLen).toString()).toBe(expected(r));
          expect(t.preLen).toBe(Buffer.byteLength(`{"name":${JSON.stringify(t.name)},`));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('details keys', () => {
  it('strip non-word characters; a later attachment whose key is taken replaces the earlier at its place', () => {
    const att = (
      name: string,
      text: string,
    ): [string, TestRecord['attachments'] extends Map<string, infer A> ? A : never] => [
      name,
      { name, mimeType: 'text/plain; charset=utf8', chunks: [Buffer.from(text)], size: text.length },
    ];
    const r: TestRecord = {
      ...record(1, 'fail'),
      attachments: new Map([
        att('trace-back', 'first'),
        att('log:x', 'L'),
        att('traceback', 'second'),
        att('empty', ''),
      ]),
    };
    const p = new TestPreparer(1024);
    p.add(r);
    const b = p.take();
    const t = preparedTest(b, 0, blankPreparedTest());
    const details = Buffer.from(b.buffer, b.offset + t.detailsAt, t.detailsLen).toString();
    expect(details).toBe('{"traceback":"second","logx":"L"}');
    // The summary reads the attachment that won the key.
    expect(b.notes).toEqual([{ index: 0, traceback: 'second', reason: null }]);
  });
});
