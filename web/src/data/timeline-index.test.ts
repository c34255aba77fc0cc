// The timeline index gives the columns raw.json gives for the same tests, to the bit; anything else reads raw.json.
import { describe, expect, it } from 'vitest';
import { EXPORT_STATUSES, type TimelineIndex } from '../../../src/contract/export-format';
import type { TimelineTests } from '../model/types';
import { parseRawFile } from './test-table';
import { parseTimelineIndex } from './timeline-index';

/** µs since the epoch as the exporter writes it (Python's isoformat: no fraction when it is zero). */
function iso(us: number): string {
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${base}${frac === 0 ? '' : `.${String(frac).padStart(6, '0')}`}+00:00`;
}

interface Case {
  name: string;
  status: (typeof EXPORT_STATUSES)[number];
  worker: number | null;
  startUs: number | null;
  endUs: number | null;
}

/** A run's raw.json entries and its index, written from the same tests. */
function files(cases: Case[]): { raw: unknown[]; index: TimelineIndex } {
  const known = cases.flatMap((c) => [c.startUs, c.endUs]).filter((v): v is number => v !== null);
  const t0 = known.length === 0 ? 0 : Math.min(...known);
  const raw = cases.map((c) => ({
    name: c.name,
    status: c.status,
    tags: c.worker === null ? [] : [`worker-${c.worker}`],
    timestamps: [c.startUs === null ? null : iso(c.startUs), c.endUs === null ? null : iso(c.endUs)],
    duration: c.startUs === null || c.endUs === null ? null : (c.endUs - c.startUs) / 1e6,
    details: {},
    id: c.name,
    attributes: [],
    worker: c.worker,
    details_key: c.name,
    details_range: null,
  }));
  const index: TimelineIndex = {
    version: 1,
    name: cases.map((c) => c.name),
    statuses: [...EXPORT_STATUSES],
    status: cases.map((c) => String(EXPORT_STATUSES.indexOf(c.status))).join(''),
    worker: cases.map((c) => c.worker),
    t0_us: t0,
    start: cases.map((c) => (c.startUs === null ? null : c.startUs - t0)),
    end: cases.map((c) => (c.endUs === null ? null : c.endUs - t0)),
  };
  // Through JSON, as the files are read.
  return JSON.parse(JSON.stringify({ raw, index })) as { raw: unknown[]; index: TimelineIndex };
}

function expectSameColumns(a: TimelineTests, b: TimelineTests): void {
  expect(a.count).toBe(b.count);
  expect(a.name).toEqual(b.name);
  expect(a.status).toEqual(b.status);
  expect(a.worker).toEqual(b.worker);
  for (const k of ['startMs', 'endMs', 'durationS'] as const)
    for (let i = 0; i < a.count; i++) expect(Object.is(a[k][i], b[k][i]), `${k}[${i}]`).toBe(true);
}

describe('parseTimelineIndex', () => {
  it('gives the columns parseRawFile gives, to the bit', () => {
    // Deterministic values over decades, every fraction length, negative durations, unknown ends.
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cases: Case[] = [];
    for (let i = 0; i < 2000; i++) {
      const startUs = Math.floor(1e15 + rnd() * 1.5e15);
      const frac = [0, 1, 10, 999_999, Math.floor(rnd() * 1e6)][i % 5] as number;
      const s = startUs - (startUs % 1e6) + frac;
      const e = s + Math.floor((rnd() - 0.1) * 5e8);
      cases.push({
        name: `pkg.Test.test_${i} ☃ "quoted" \u2028`,
        status: EXPORT_STATUSES[i % EXPORT_STATUSES.length] as Case['status'],
        worker: i % 13 === 0 ? null : i % 9,
        startUs: i % 17 === 0 ? null : s,
        endUs: i % 11 === 0 ? null : e,
      });
    }
    const { raw, index } = files(cases);
    const fromIndex = parseTimelineIndex(index);
    expect(fromIndex).not.toBeNull();
    expectSameColumns(fromIndex as TimelineTests, parseRawFile(raw).table);
  });

  it('reads a run without timestamps and an empty run', () => {
    const none = files([{ name: 'a', status: 'exists', worker: null, startUs: null, endUs: null }]);
    expectSameColumns(parseTimelineIndex(none.index) as TimelineTests, parseRawFile(none.raw).table);
    const empty = files([]);
    expect(parseTimelineIndex(empty.index)?.count).toBe(0);
  });

  it('maps statuses through the file’s own list', () => {
    const { index } = files([{ name: 'a', status: 'fail', worker: 0, startUs: 0, endUs: 1 }]);
    const t = parseTimelineIndex({ ...index, statuses: ['skip', 'fail', 'what'], status: '2' });
    expect(EXPORT_STATUSES[t?.status[0] ?? -1]).toBe('unknown');
    const u = parseTimelineIndex({ ...index, statuses: ['skip', 'fail'], status: '1' });
    expect(EXPORT_STATUSES[u?.status[0] ?? -1]).toBe('fail');
  });

  it('gives null for what it cannot read, so raw.json is read instead', () => {
    const { index } = files([
      { name: 'a', status: 'success', worker: 0, startUs: 5, endUs: 9 },
      { name: 'b', status: 'fail', worker: 1, startUs: 6, endUs: 8 },
    ]);
    const bad: unknown[] = [
      null,
      [],
      'x',
      { ...index, version: 2 },
      { ...index, name: ['a', 3] },
      { ...index, status: '0' },
      { ...index, status: '09' },
      { ...index, worker: [0] },
      { ...index, start: [0, 1, 2] },
      { ...index, end: null },
      { ...index, t0_us: '5' },
      { ...index, statuses: 'success' },
    ];
    for (const doc of bad) expect(parseTimelineIndex(doc), JSON.stringify(doc)).toBeNull();
    expect(parseTimelineIndex(index)?.count).toBe(2);
  });
});
