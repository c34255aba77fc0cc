// A parsed dstat log written back as a classic Dstat CSV: the layout the original AngularJS front-end parses.
//
// The original front-end (openstack/stackviz app/js/util/dstat-parse.js) throws on any first row other than one
// cell starting `Dstat` and ending `CSV output`, skips rows 1-3, takes row 4 as the group row and row 5 as the
// column row (names `<group>_<column>`, spaces and `/` as `_`), and reads `system_time` as UTC `dd-mm HH:MM:SS`
// with the year of the first test. Its load lanes (app/js/directives/timeline-dstat.js, getDstatLanes) are
// drawn only when the FIRST data row has total_cpu_usage_usr/_sys (and _wai), memory_usage_used,
// net_total_recv/_send, dsk_total_read/_writ. pcp-dstat's header fails the first check, so CI reports recorded
// with pcp-dstat show no load at all there. This writer gives that front-end what it expects.
import type { DstatSeriesName } from './series.js';
import type { DstatLog } from './types.js';

/** Groups and columns in classic dstat's order and names (as Dstat 0.8.0 writes them; test/fixtures/dstat). */
const LAYOUT: readonly { group: string; columns: readonly [string, DstatSeriesName][] }[] = [
  {
    group: 'total cpu usage',
    columns: [
      ['usr', 'cpu_user'],
      ['sys', 'cpu_system'],
      ['idl', 'cpu_idle'],
      ['wai', 'cpu_wait'],
      ['stl', 'cpu_steal'],
    ],
  },
  {
    group: 'memory usage',
    columns: [
      ['used', 'mem_used'],
      ['free', 'mem_free'],
      ['buff', 'mem_buffers'],
      ['cach', 'mem_cached'],
    ],
  },
  {
    group: 'net/total',
    columns: [
      ['recv', 'net_recv'],
      ['send', 'net_send'],
    ],
  },
  {
    group: 'dsk/total',
    columns: [
      ['read', 'disk_read'],
      ['writ', 'disk_write'],
    ],
  },
  {
    group: 'system',
    columns: [
      ['int', 'sys_interrupts'],
      ['csw', 'sys_csw'],
    ],
  },
  {
    group: 'load avg',
    columns: [
      ['1m', 'load_1m'],
      ['5m', 'load_5m'],
      ['15m', 'load_15m'],
    ],
  },
  {
    group: 'procs',
    columns: [
      ['run', 'procs_run'],
      ['blk', 'procs_blocked'],
      ['new', 'procs_new'],
    ],
  },
  {
    group: 'paging',
    columns: [
      ['in', 'paging_in'],
      ['out', 'paging_out'],
    ],
  },
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** `dd-mm HH:MM:SS` in UTC (the original front-end reads the time as UTC). */
function timeCell(ms: number): string {
  const d = new Date(ms);
  return (
    `${two(d.getUTCDate())}-${two(d.getUTCMonth() + 1)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}

/** Classic dstat's `Date:` metadata (`28 Nov 2026 14:36:23 UTC`): our reader gets the year and zone from it. */
function dateText(ms: number): string {
  const d = new Date(ms);
  return (
    `${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`
  );
}

/** Whole numbers as integers, the rest with 3 decimals, as dstat writes them. */
function numberCell(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export interface ClassicDstat {
  csv: string;
  /** Data rows written (rows with a missing value in a written column are left out). */
  rows: number;
  /** The `<group>_<column>` names of the written columns, as the original front-end names them. */
  names: string[];
}

/**
 * The log as a classic Dstat CSV: four metadata lines, the group row, the column row, then one row per sample
 * with every cell filled: a column is written when the log has that series, and a row only when it has a value
 * in each written column (the first row, which holds no rates, and rows with missed samples are left out), so
 * every data row has the header's field count and the first one has every lane's value. Times are UTC and
 * units are classic dstat's (bytes), whatever the producer wrote.
 */
export function toClassicDstat(log: DstatLog): ClassicDstat {
  const cols: { group: string; name: string; data: Float64Array }[] = [];
  for (const g of LAYOUT) {
    for (const [name, series] of g.columns) {
      const data = log.series[series];
      // A series with no value at all would remove every row: leave its column out instead.
      if (data !== undefined && data.some(Number.isFinite)) cols.push({ group: g.group, name, data });
    }
  }
  const lines: string[] = [];
  let first = NaN;
  for (let i = 0; i < log.timeMs.length; i++) {
    const t = log.timeMs[i] ?? NaN;
    if (!Number.isFinite(t)) continue;
    const cells = [timeCell(t)];
    let whole = true;
    for (const c of cols) {
      const v = c.data[i] ?? NaN;
      if (!Number.isFinite(v)) {
        whole = false;
        break;
      }
      cells.push(numberCell(v));
    }
    if (!whole) continue;
    if (Number.isNaN(first)) first = t;
    lines.push(cells.join(','));
  }
  // Group row: the group's name over its first column, empty cells for the rest (dstat's own layout).
  const groupRow = ['"system"'];
  const columnRow = ['"time"'];
  cols.forEach((c, k) => {
    groupRow.push(k > 0 && cols[k - 1]?.group === c.group ? '' : quote(c.group));
    columnRow.push(quote(c.name));
  });
  const producer = `${log.producer}-${log.version}`.replace(/[\s"]/g, '_');
  const header = [
    // One cell, `Dstat <token> CSV output`: the original's check, and our reader's (the token is its "version").
    quote(`Dstat ${producer} CSV output`),
    `"Author:",${quote(`stackviz-export, from a ${log.producer} ${log.version} log`)},,,,"URL:",""`,
    `"Host:",${quote(log.host ?? '')},,,,"User:",""`,
    `"Cmdline:","",,,,"Date:",${quote(Number.isNaN(first) ? '' : dateText(first))}`,
    groupRow.join(','),
    columnRow.join(','),
  ];
  const names = ['system_time', ...cols.map((c) => `${c.group}_${c.name}`.replace(/[ /]/g, '_'))];
  return { csv: `${[...header, ...lines].join('\n')}\n`, rows: lines.length, names };
}
