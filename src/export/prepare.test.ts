// The packed hand-over between threads: every status, null and number survives preparedTest().
import { describe, expect, it } from 'vitest';
import { EXPORT_STATUSES } from '../contract/export-format.js';
import type { TestRecord } from '../model/test-record.js';
import { blankPreparedTest, preparedTest, TestPreparer } from './prepare.js';

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
});
