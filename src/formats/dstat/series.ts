// The series the reader extracts, their units and labels, and how a header column of either producer maps to one.
import type { DstatProducer } from './types.js';

export type DstatSeriesName =
  | 'cpu_user'
  | 'cpu_system'
  | 'cpu_wait'
  | 'cpu_idle'
  | 'cpu_steal'
  | 'mem_used'
  | 'mem_free'
  | 'mem_buffers'
  | 'mem_cached'
  | 'net_recv'
  | 'net_send'
  | 'disk_read'
  | 'disk_write'
  | 'load_1m'
  | 'load_5m'
  | 'load_15m'
  | 'procs_run'
  | 'procs_blocked'
  | 'procs_new'
  | 'paging_in'
  | 'paging_out'
  | 'sys_interrupts'
  | 'sys_csw';

export type SeriesGroup = 'cpu' | 'mem' | 'net' | 'disk' | 'load' | 'procs' | 'paging' | 'system';

/** A unit for a series ('%', 'B', 'B/s', '', '/s') and a human label, for the viewer. */
export const SERIES_INFO: Record<DstatSeriesName, { label: string; unit: string; group: SeriesGroup }> = {
  cpu_user: { label: 'CPU user', unit: '%', group: 'cpu' },
  cpu_system: { label: 'CPU system', unit: '%', group: 'cpu' },
  cpu_wait: { label: 'CPU I/O wait', unit: '%', group: 'cpu' },
  cpu_idle: { label: 'CPU idle', unit: '%', group: 'cpu' },
  cpu_steal: { label: 'CPU steal', unit: '%', group: 'cpu' },
  mem_used: { label: 'Memory used', unit: 'B', group: 'mem' },
  mem_free: { label: 'Memory free', unit: 'B', group: 'mem' },
  mem_buffers: { label: 'Memory buffers', unit: 'B', group: 'mem' },
  mem_cached: { label: 'Memory cached', unit: 'B', group: 'mem' },
  net_recv: { label: 'Network receive', unit: 'B/s', group: 'net' },
  net_send: { label: 'Network send', unit: 'B/s', group: 'net' },
  disk_read: { label: 'Disk read', unit: 'B/s', group: 'disk' },
  disk_write: { label: 'Disk write', unit: 'B/s', group: 'disk' },
  load_1m: { label: 'Load average (1 min)', unit: '', group: 'load' },
  load_5m: { label: 'Load average (5 min)', unit: '', group: 'load' },
  load_15m: { label: 'Load average (15 min)', unit: '', group: 'load' },
  procs_run: { label: 'Processes running', unit: '', group: 'procs' },
  procs_blocked: { label: 'Processes blocked', unit: '', group: 'procs' },
  procs_new: { label: 'Processes created', unit: '/s', group: 'procs' },
  paging_in: { label: 'Paging in', unit: 'B/s', group: 'paging' },
  paging_out: { label: 'Paging out', unit: 'B/s', group: 'paging' },
  sys_interrupts: { label: 'Interrupts', unit: '/s', group: 'system' },
  sys_csw: { label: 'Context switches', unit: '/s', group: 'system' },
};

export const SERIES_NAMES = Object.keys(SERIES_INFO) as DstatSeriesName[];

/**
 * Series computed from counters: in the first row of a log (or of a section appended to it) they are averages
 * since boot (classic dstat) or empty (pcp-dstat), not samples, so the reader leaves them NaN there.
 */
export const RATE_SERIES: ReadonlySet<DstatSeriesName> = new Set<DstatSeriesName>([
  'cpu_user',
  'cpu_system',
  'cpu_wait',
  'cpu_idle',
  'cpu_steal',
  'net_recv',
  'net_send',
  'disk_read',
  'disk_write',
  'procs_new',
  'paging_in',
  'paging_out',
  'sys_interrupts',
  'sys_csw',
]);

const CPU_NICKS: ReadonlyMap<string, DstatSeriesName> = new Map<string, DstatSeriesName>([
  ['usr', 'cpu_user'],
  ['sys', 'cpu_system'],
  ['wai', 'cpu_wait'],
  ['idl', 'cpu_idle'],
  ['stl', 'cpu_steal'],
]);
const MEM_NICKS: ReadonlyMap<string, DstatSeriesName> = new Map<string, DstatSeriesName>([
  ['used', 'mem_used'],
  ['free', 'mem_free'],
  ['buff', 'mem_buffers'],
  ['buf', 'mem_buffers'],
  ['cach', 'mem_cached'],
]);
const NET_NICKS: ReadonlyMap<string, DstatSeriesName> = new Map<string, DstatSeriesName>([
  ['recv', 'net_recv'],
  ['send', 'net_send'],
]);
const DISK_NICKS: ReadonlyMap<string, DstatSeriesName> = new Map<string, DstatSeriesName>([
  ['read', 'disk_read'],
  ['writ', 'disk_write'],
]);
/** Groups whose nick alone names the series (the same in both producers). */
const PLAIN_GROUPS: ReadonlyMap<string, ReadonlyMap<string, DstatSeriesName>> = new Map([
  [
    'load avg',
    new Map<string, DstatSeriesName>([
      ['1m', 'load_1m'],
      ['5m', 'load_5m'],
      ['15m', 'load_15m'],
    ]),
  ],
  [
    'procs',
    new Map<string, DstatSeriesName>([
      ['run', 'procs_run'],
      ['blk', 'procs_blocked'],
      ['new', 'procs_new'],
    ]),
  ],
  [
    'paging',
    new Map<string, DstatSeriesName>([
      ['in', 'paging_in'],
      ['out', 'paging_out'],
    ]),
  ],
  [
    'system',
    new Map<string, DstatSeriesName>([
      ['int', 'sys_interrupts'],
      ['csw', 'sys_csw'],
    ]),
  ],
  ['memory usage', MEM_NICKS],
  ['advanced memory usage', MEM_NICKS],
]);

/** How one header column feeds a series: directly (a total column) or as one instance among several. */
export type ColumnRole =
  | { kind: 'direct'; series: DstatSeriesName }
  | { kind: 'instance'; series: DstatSeriesName; combine: 'sum' | 'avg' }
  | null;

/**
 * Map one column, given its instance (the text before `:` in `total usage:usr`, else the group row's name) and
 * nick (the text after it), both trimmed and lower-cased. Classic dstat names the CPU total `total cpu usage`,
 * pcp-dstat `total usage`; per-instance columns (`cpu0 usage`, `net/eth0`, `dsk/vda`) are only used when the
 * log has no total column, and `net/lo` never counts (the producers leave loopback out of their totals too).
 */
export function columnRole(instance: string, nick: string): ColumnRole {
  const plain = PLAIN_GROUPS.get(instance);
  if (plain !== undefined) {
    const s = plain.get(nick);
    return s === undefined ? null : { kind: 'direct', series: s };
  }
  const cpu = CPU_NICKS.get(nick);
  if (cpu !== undefined) {
    if (instance === 'total cpu usage' || instance === 'total usage') return { kind: 'direct', series: cpu };
    if (/^cpu ?\d+ usage$/.test(instance)) return { kind: 'instance', series: cpu, combine: 'avg' };
    return null;
  }
  if (instance.startsWith('net/')) {
    const s = NET_NICKS.get(nick);
    if (s === undefined) return null;
    const dev = instance.slice(4);
    if (dev === 'total') return { kind: 'direct', series: s };
    return dev === 'lo' ? null : { kind: 'instance', series: s, combine: 'sum' };
  }
  if (instance.startsWith('dsk/')) {
    const s = DISK_NICKS.get(nick);
    if (s === undefined) return null;
    return instance === 'dsk/total'
      ? { kind: 'direct', series: s }
      : { kind: 'instance', series: s, combine: 'sum' };
  }
  return null;
}

/**
 * Factor that turns a producer's raw value into the normalised unit. pcp-dstat writes the PCP metric's own
 * units to its CSV (it scales only for the terminal): `mem.util.*` and `disk.dev.*_bytes` are in KiB (the Linux
 * PMDA declares PM_SPACE_KBYTE), and `swap.pagesin/out` count pages (4 KiB assumed: the common page size).
 * Classic dstat already writes bytes (it multiplies /proc values by 1024 and by the page size itself).
 */
export function unitScale(producer: DstatProducer, series: DstatSeriesName): number {
  if (producer !== 'pcp-dstat') return 1;
  switch (SERIES_INFO[series].group) {
    case 'mem':
    case 'disk':
      return 1024;
    case 'paging':
      return 4096;
    default:
      return 1;
  }
}
