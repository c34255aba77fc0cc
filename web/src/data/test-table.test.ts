// raw.json → TestTable: the original's files and ours, timestamps to the microsecond, hostile names.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { EXPORT_STATUSES } from '../../../src/contract/export-format';
import { buildTestTable, countStatuses, DataFormatError, parseIsoUtcMs, parseRawFile } from './test-table';

describe('parseIsoUtcMs', () => {
  it('keeps microseconds and honours offsets', () => {
    expect(parseIsoUtcMs('2018-09-28T02:46:35.626800+00:00')).toBeCloseTo(
      Date.UTC(2018, 8, 28, 2, 46, 35) + 626.8,
      6,
    );
    expect(parseIsoUtcMs('2018-09-28T02:46:35+00:00')).toBe(Date.UTC(2018, 8, 28, 2, 46, 35));
    expect(parseIsoUtcMs('2018-09-28T04:46:35.5+02:00')).toBe(Date.UTC(2018, 8, 28, 2, 46, 35) + 500);
    expect(parseIsoUtcMs('2018-09-28T02:46:35.000001Z')).toBeCloseTo(
      Date.UTC(2018, 8, 28, 2, 46, 35) + 0.001,
      9,
    );
  });
  it('agrees with Date.parse at millisecond precision on many values', () => {
    for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2040, 0, 1); t += 86_400_000 * 37.123) {
      const ms = Math.floor(t);
      const iso = new Date(ms).toISOString().replace('Z', '+00:00');
      expect(parseIsoUtcMs(iso)).toBe(Date.parse(iso));
    }
  });
  it('gives NaN for junk', () => {
    for (const s of [
      null,
      undefined,
      '',
      'yesterday',
      '2018-09-28',
      '2018-09-28T02:46:35+0000',
      '2018-09-28T02:46:35 junk',
    ])
      expect(parseIsoUtcMs(s)).toBeNaN();
  });
});

describe('buildTestTable', () => {
  it('reads every original raw.json sample and matches a per-entry read', () => {
    const dir = 'test/fixtures/expected';
    for (const sub of readdirSync(dir)) {
      for (const f of readdirSync(`${dir}/${sub}`).filter((n) => n.endsWith('raw.json'))) {
        const doc = JSON.parse(readFileSync(`${dir}/${sub}/${f}`, 'utf8')) as {
          name: string;
          status: string;
          tags: string[];
          timestamps: [string | null, string | null];
          duration: number | null;
        }[];
        const t = buildTestTable(doc);
        expect(t.count).toBe(doc.length);
        doc.forEach((e, i) => {
          expect(t.name[i]).toBe(e.name);
          expect(EXPORT_STATUSES[t.status[i] ?? 99]).toBe(e.status);
          expect(t.tags[i]).toEqual(e.tags);
          const w = e.tags.find((x) => /^worker-\d+$/.test(x));
          expect(t.worker[i]).toBe(w ? Number(w.slice(7)) : -1);
          expect(Math.floor(t.startMs[i] ?? NaN)).toBe(e.timestamps[0] ? Date.parse(e.timestamps[0]) : NaN);
          expect(t.durationS[i]).toBe(e.duration ?? NaN);
          // The original's details file is keyed by name.
          expect(t.detailsKey[i]).toBe(e.name);
        });
        const counts = countStatuses(t);
        expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(doc.length);
      }
    }
  });

  it('reads our extra fields, and treats names as data', () => {
    const { table: t, detailsRange } = parseRawFile([
      {
        name: '<script>alert(1)</script>',
        id: '<script>alert(1)</script>[id-1,smoke]',
        status: 'uxsuccess',
        tags: ['worker-7'],
        timestamps: ['2020-01-01T00:00:00+00:00', null],
        duration: null,
        details: {},
        attributes: ['id-1', 'smoke'],
        worker: 7,
        details_key: null,
        details_range: null,
      },
      {
        name: '__proto__',
        status: 'weird',
        tags: [],
        timestamps: [null, null],
        duration: null,
        details: {},
        details_key: '__proto__#2',
        details_range: [10, 25],
      },
      {
        name: 'a.b[id-9]',
        status: 'inprogress',
        tags: ['worker-x'],
        timestamps: [null, null],
        duration: -1,
        details: {},
      },
    ]);
    expect(t.name[0]).toBe('<script>alert(1)</script>');
    expect(t.attributes[0]).toEqual(['id-1', 'smoke']);
    expect(t.worker[0]).toBe(7);
    expect(t.detailsKey[0]).toBeNull();
    expect(Number.isNaN(t.endMs[0])).toBe(true);
    expect(EXPORT_STATUSES[t.status[1] ?? 0]).toBe('unknown');
    expect(t.detailsKey[1]).toBe('__proto__#2');
    // Per test: none (null), its range, not said (an older export: looked up by key in the whole file).
    expect([...detailsRange]).toEqual([-1, -1, 10, 25, NaN, NaN]);
    expect(t.attributes[2]).toEqual(['id-9']);
    expect(t.worker[2]).toBe(-1);
    expect(t.durationS[2]).toBe(-1);
  });

  it('rejects what is not a list of entries', () => {
    expect(() => buildTestTable({})).toThrow(DataFormatError);
    expect(() => buildTestTable([{ status: 'success' }])).toThrow(/entry 0/);
  });

  // Its speed is measured by `npm run bench:viewer`, never asserted here (a loaded machine is slow).
  it('builds 100,000 tests', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => ({
      name: `pkg.mod.Class.test_${i}`,
      status: i % 50 === 0 ? 'fail' : 'success',
      tags: [`worker-${i % 8}`],
      timestamps: [new Date(1e12 + i * 10).toISOString(), new Date(1e12 + i * 10 + 5).toISOString()],
      duration: 0.005,
      details: {},
    }));
    const t = buildTestTable(JSON.parse(JSON.stringify(entries)));
    expect(t.count).toBe(100_000);
    expect(countStatuses(t).get('fail')).toBe(2000);
  });
});
