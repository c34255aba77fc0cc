// Load-lane data: per-pixel buckets, nearest sample, value readout, lining the log up with the run.
import { describe, expect, it } from 'vitest';
import { bucketColumns, formatBytes, nearestRow, typicalIntervalMs } from './series';
import { alignmentNotes, overlapsRun, prepareLoad, readoutLines, valuesAt } from './load-lanes';

const timeMs = Float64Array.from({ length: 10_000 }, (_, i) => i * 1000);
const values = Float64Array.from({ length: 10_000 }, (_, i) => (i % 100 === 7 ? 1000 : i % 10));

describe('bucketColumns', () => {
  it('reduces 10,000 rows to one min/max per pixel and keeps a one-sample spike', () => {
    const c = bucketColumns(timeMs, values, 0, 0, 10_000_000, 100);
    expect(c.first.length).toBe(100);
    for (let x = 0; x < 100; x++) {
      expect(c.min[x]).toBe(0);
      expect(c.max[x]).toBe(1000);
    }
    expect(c.before).toBeNull();
    expect(c.count).toBe(10_000);
  });

  it('visits only the window, applies the shift, and gives the neighbours outside it', () => {
    const c = bucketColumns(timeMs, values, 60_000, 100_000, 110_000, 10);
    // Shifted by a minute, the window shows rows 40..50.
    expect(c.first[0]).toBe(0);
    expect(c.first[5]).toBe(5);
    expect(c.before?.v).toBe(9);
    expect(c.after?.v).toBe(1);
    expect(c.count).toBe(11); // rows 40..50, both ends included
  });

  it('skips NaN samples', () => {
    const v = Float64Array.from([1, NaN, 3]);
    const c = bucketColumns(Float64Array.from([0, 1000, 2000]), v, 0, 0, 3000, 3);
    expect(Number.isNaN(c.first[1] ?? 0)).toBe(true);
    expect(c.first[2]).toBe(3);
  });
});

describe('values at an instant', () => {
  it('finds the nearest row within the tolerance only', () => {
    expect(nearestRow(timeMs, 4400, 0, 1500)).toBe(4);
    expect(nearestRow(timeMs, 4600, 0, 1500)).toBe(5);
    expect(nearestRow(timeMs, 4600 + 60_000, 60_000, 1500)).toBe(5);
    expect(nearestRow(timeMs, -5000, 0, 1500)).toBe(-1);
    expect(typicalIntervalMs(timeMs)).toBe(1000);
  });

  it('reads every lane with units', () => {
    const n = 3;
    const log = {
      timeMs: Float64Array.from([0, 1000, 2000]),
      timeBasis: { certain: true },
      series: {
        cpu_user: Float64Array.from([10, 20, 30]),
        cpu_system: Float64Array.from([5, 5, 5]),
        mem_used: Float64Array.from([1024 ** 3, 2 * 1024 ** 3, 3 * 1024 ** 3]),
        net_recv: new Float64Array(n).fill(2048),
      },
    };
    const p = prepareLoad(log);
    expect(p.lanes.map((l) => l.def.id)).toEqual(['cpu', 'mem', 'net']);
    // Stacked: system is drawn on top of user.
    expect(Array.from(p.lanes[0]?.series[1]?.drawn ?? [])).toEqual([15, 25, 35]);
    const v = valuesAt(p, 1100, 0);
    expect(v).not.toBeNull();
    if (!v) return;
    expect(v['cpu_user']).toBe(20);
    const lines = readoutLines(p, v);
    expect(lines).toEqual([
      { title: 'CPU', text: 'user 20.0 % · system 5.0 %' },
      { title: 'Memory', text: 'used 2.0 GiB' },
      { title: 'Network', text: 'recv 2.0 KiB/s' },
    ]);
    expect(valuesAt(p, 10_000, 0)).toBeNull();
    expect(formatBytes(512)).toBe('512 B');
  });
});

describe('overlapsRun and alignmentNotes', () => {
  const log = {
    timeMs: Float64Array.from([60_000, 120_000]),
    series: { cpu_user: Float64Array.from([1, 2]) },
    timeBasis: { certain: false, source: 'file mtime' },
  };
  const p = prepareLoad(log);

  it('compares the shifted log with the run, ends included', () => {
    expect(overlapsRun(p, 0, 0, 60_000)).toBe(true);
    expect(overlapsRun(p, 0, 120_001, 200_000)).toBe(false);
    expect(overlapsRun(p, 60_000, 180_000, 200_000)).toBe(true);
  });

  it('says when the time zone is a guess and when the log misses the run', () => {
    expect(alignmentNotes(p, 0, { startMs: 0, endMs: 1, overlaps: true })).toEqual([
      "The dstat log's time zone is a guess (file mtime): if the load does not line up with the tests, shift it.",
    ]);
    const certain = prepareLoad({ ...log, timeBasis: { certain: true } });
    expect(alignmentNotes(certain, 0, { startMs: 0, endMs: 1, overlaps: null })).toEqual([]);
    expect(alignmentNotes(certain, 60_000, { startMs: 0, endMs: 1000, overlaps: false })).toEqual([
      'The dstat log (1970-01-01 00:02:00 UTC – 1970-01-01 00:03:00 UTC) does not overlap the run (1970-01-01 00:00:00.000 UTC – 1970-01-01 00:00:01.000 UTC), so its load lanes are hidden; if the two clocks differ, shift the log.',
    ]);
  });
});
