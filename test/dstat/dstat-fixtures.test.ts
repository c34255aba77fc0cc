// The dstat reader on real and hand-written fixture files: values at known rows, against a naive re-reading.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDstatHeader, parseDstat, SERIES_INFO } from '../../src/formats/dstat/index.js';
import type { DstatSeriesName } from '../../src/formats/dstat/index.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/dstat/${name}`, import.meta.url), 'utf8');

/** Column indexes by (group, column) from the two header rows, read the plain way (the sample has no quoted commas). */
function naiveColumns(text: string): { rows: string[][]; index: (group: string, name: string) => number } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const groupLine = lines.findIndex((l) => l.startsWith('"system"'));
  const split = (l: string): string[] => l.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const groups = split(lines[groupLine] ?? '');
  const names = split(lines[groupLine + 1] ?? '');
  let g = '';
  const filled = groups.map((x) => (g = x === '' ? g : x));
  return {
    rows: lines.slice(groupLine + 2).map(split),
    index: (group, name) => names.findIndex((n, i) => n === name && filled[i] === group),
  };
}

describe('classic dstat 0.8.0 (real sample)', () => {
  const text = fixture('dstat-0.8.0.csv');
  const log = parseDstat(text);

  it('reads the metadata and every data row', () => {
    expect(log.producer).toBe('dstat');
    expect(log.version).toBe('0.8.0');
    expect(log.host).toBe('vm');
    expect(log.dateText).toBe('28 Nov 2026 14:36:23 UTC');
    expect(log.rows).toBe(text.trimEnd().split('\n').length - 6);
    expect(log.warnings).toEqual([]);
  });

  it('aligns row 1 with the Date: metadata, then one row per second', () => {
    expect(new Date(log.timeMs[0] ?? NaN).toISOString()).toBe('2026-11-28T14:36:23.000Z');
    expect(log.timeBasis).toEqual({ source: 'metadata', utcOffsetMin: 0, zone: 'UTC', certain: true });
    for (let i = 1; i < log.rows; i++) expect((log.timeMs[i] ?? 0) - (log.timeMs[i - 1] ?? 0)).toBe(1000);
    expect(new Date(log.timeMs[log.rows - 1] ?? NaN).toISOString()).toBe('2026-11-28T14:36:52.000Z');
  });

  it('has the values at known rows (row 0: gauges kept, since-boot rates NaN)', () => {
    const s = log.series;
    expect(s.cpu_user?.[0]).toBeNaN();
    expect(s.sys_interrupts?.[0]).toBeNaN();
    expect(s.mem_used?.[0]).toBe(197591040);
    expect(s.load_1m?.[0]).toBe(0.08);
    expect(s.cpu_user?.[5]).toBe(59.799);
    expect(s.cpu_system?.[5]).toBe(9.548);
    expect(s.cpu_idle?.[5]).toBe(30.653);
    expect(s.disk_read?.[5]).toBe(53248);
    expect(s.procs_new?.[5]).toBe(8);
    expect(s.procs_run?.[5]).toBe(1);
    expect(s.sys_csw?.[5]).toBe(815);
    expect(s.mem_buffers?.[29]).toBe(2301952);
    expect(s.disk_write?.[29]).toBe(757760);
  });

  it('matches a naive re-reading of every mapped column on every row after the first', () => {
    const { rows, index } = naiveColumns(text);
    const map: [DstatSeriesName, string, string][] = [
      ['cpu_user', 'total cpu usage', 'usr'],
      ['cpu_system', 'total cpu usage', 'sys'],
      ['cpu_idle', 'total cpu usage', 'idl'],
      ['cpu_wait', 'total cpu usage', 'wai'],
      ['cpu_steal', 'total cpu usage', 'stl'],
      ['mem_used', 'memory usage', 'used'],
      ['mem_free', 'memory usage', 'free'],
      ['mem_buffers', 'memory usage', 'buff'],
      ['mem_cached', 'memory usage', 'cach'],
      ['net_recv', 'net/total', 'recv'],
      ['net_send', 'net/total', 'send'],
      ['disk_read', 'dsk/total', 'read'],
      ['disk_write', 'dsk/total', 'writ'],
      ['sys_interrupts', 'system', 'int'],
      ['sys_csw', 'system', 'csw'],
      ['load_1m', 'load avg', '1m'],
      ['load_5m', 'load avg', '5m'],
      ['load_15m', 'load avg', '15m'],
      ['procs_run', 'procs', 'run'],
      ['procs_blocked', 'procs', 'blk'],
      ['procs_new', 'procs', 'new'],
      ['paging_in', 'paging', 'in'],
      ['paging_out', 'paging', 'out'],
    ];
    expect(Object.keys(log.series).sort()).toEqual(map.map((m) => m[0]).sort());
    for (const [series, group, name] of map) {
      const col = index(group, name);
      expect(col, `${group}/${name}`).toBeGreaterThan(0);
      for (let r = 1; r < rows.length; r++)
        expect(log.series[series]?.[r], `${series} row ${r}`).toBe(Number(rows[r]?.[col]));
    }
  });

  it('names columns the upstream way and ignores the top-process text columns', () => {
    const keys = log.columns.map((c) => c.key);
    expect(keys).toContain('total_cpu_usage_usr');
    expect(keys).toContain('memory_usage_used');
    expect(keys).toContain('net_total_recv');
    expect(keys).toContain('dsk_total_read');
    expect(keys).toContain('system_time');
    expect(log.columns.find((c) => c.key === 'dsk_total_read')).toEqual({
      group: 'dsk/total',
      name: 'read',
      key: 'dsk_total_read',
    });
  });

  it('is accepted by the header check', () => {
    expect(checkDstatHeader(text.slice(0, 300))).toEqual({ producer: 'dstat', version: '0.8.0' });
  });
});

describe('pcp-dstat 6.0.3, devstack options', () => {
  const text = fixture('pcp-dstat-6.0.3.csv');
  const log = parseDstat(text);
  const lines = text.trimEnd().split('\n');
  const cellsOf = (row: number): string[] => (lines[6 + row] ?? '').split(',');

  it('reads the producer, all rows and UTC times', () => {
    expect(log.producer).toBe('pcp-dstat');
    expect(log.version).toBe('6.0.3');
    expect(log.host).toBe('ubuntu-noble-rax-dfw-0041');
    expect(log.rows).toBe(lines.length - 6);
    expect(new Date(log.timeMs[0] ?? NaN).toISOString()).toBe('2026-11-28T14:36:23.000Z');
    expect(log.warnings).toEqual([]);
  });

  it('turns memory and disk KiB into bytes, keeps network bytes, pages into bytes', () => {
    for (let r = 1; r < log.rows; r++) {
      const c = cellsOf(r);
      expect(log.series.mem_used?.[r]).toBe(Number(c[6]) * 1024);
      expect(log.series.mem_cached?.[r]).toBe(Number(c[9]) * 1024);
      expect(log.series.net_recv?.[r]).toBe(Number(c[10]));
      expect(log.series.disk_write?.[r]).toBe(Number(c[13]) * 1024);
      expect(log.series.cpu_user?.[r]).toBe(Number(c[1]));
      expect(log.series.load_1m?.[r]).toBe(Number(c[18]));
    }
    expect(log.series.mem_used?.[0]).toBe(1929588 * 1024);
    expect(log.series.cpu_user?.[0]).toBeNaN();
  });

  it('keeps the short first row and rows whose top group collapsed to one cell', () => {
    expect(cellsOf(0).length).toBeLessThan(34);
    expect(log.series.load_15m?.[0]).toBe(0.35);
    expect(Object.keys(log.series)).toHaveLength(Object.keys(SERIES_INFO).length);
  });
});

describe('pcp-dstat 6.0.3, per-instance columns, CET, new year, appended section', () => {
  const log = parseDstat(fixture('pcp-dstat-6.0.3-instances.csv'));

  it('turns CET local time into UTC across 31-12 → 01-01', () => {
    expect(log.timeBasis).toEqual({ source: 'metadata', utcOffsetMin: 60, zone: 'CET', certain: true });
    expect(new Date(log.timeMs[0] ?? NaN).toISOString()).toBe('2026-12-31T22:59:57.000Z');
    expect(new Date(log.timeMs[3] ?? NaN).toISOString()).toBe('2026-12-31T23:00:00.000Z');
    expect(new Date(log.timeMs[7] ?? NaN).toISOString()).toBe('2026-12-31T23:00:04.000Z');
  });

  it('reads the appended section, with milliseconds, its first row as a boot row', () => {
    expect(log.rows).toBe(12);
    expect(new Date(log.timeMs[8] ?? NaN).toISOString()).toBe('2026-12-31T23:10:00.250Z');
    expect(new Date(log.timeMs[11] ?? NaN).toISOString()).toBe('2026-12-31T23:10:03.253Z');
    expect(log.series.cpu_user?.[8]).toBeNaN();
    expect(log.series.cpu_user?.[9]).toBe(5.5);
    expect(log.series.mem_used?.[11]).toBe(3700003 * 1024);
  });

  it('averages CPU instances, sums network without loopback and disks, when there is no total', () => {
    // Row 1: cpu0 usr 11, cpu1 usr 21; eth0 recv 1000 (lo 231 left out); vda writ 16 + vdb writ 4 KiB.
    expect(log.series.cpu_user?.[1]).toBe(16);
    expect(log.series.net_recv?.[1]).toBe(1000);
    expect(log.series.disk_write?.[1]).toBe(20 * 1024);
    expect(log.series.net_recv?.[8]).toBeNaN();
    expect(log.warnings).toEqual([]);
  });
});
