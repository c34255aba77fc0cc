// What the dstat reader returns: the parsed log (shared by the exporter's check and the viewer's load lanes).
import type { DstatSeriesName } from './series.js';

export type DstatProducer = 'dstat' | 'pcp-dstat';

export interface DstatColumn {
  /** The group row's name over this column (`total cpu usage`, `memory usage`, `net/total`), '' when none. */
  group: string;
  /** The column row's name as written (`usr`, `total usage:usr`, `used`). */
  name: string;
  /** Upstream name: `<group>_<column>`, e.g. total_cpu_usage_usr; spaces, `/` and `:` become `_`, and a
   *  pcp-dstat name that repeats its instance (`total usage:usr`) uses the instance instead of the group. */
  key: string;
}

export interface DstatLog {
  producer: DstatProducer;
  /** The producer's version from line 1 (`0.8.0`, `6.0.3`). */
  version: string;
  host: string | null;
  /** The `Date:` metadata as written (local time with a zone name), or null. */
  dateText: string | null;
  /**
   * UTC ms since epoch for each data row, non-decreasing (rows of appended sections are put in time order).
   * The first data row (averages since boot) is KEPT, flagged by NaN: its gauges (memory, load, procs run/blk)
   * are real samples, its rates (CPU, net, disk, paging, interrupts, new processes) are NaN. The same holds
   * for the first row of every section appended to the same file. Rows whose time cannot be read are dropped.
   */
  timeMs: Float64Array;
  /** How local, yearless `time` became UTC: 'epoch' column, 'metadata' (Date: line with year + zone), 'reference'
   *  (year from the caller's reference instant, zone assumed UTC), with the offset used in minutes east of UTC. */
  timeBasis: {
    source: 'epoch' | 'metadata' | 'reference';
    utcOffsetMin: number;
    zone: string | null;
    certain: boolean;
  };
  /** Normalised units: percent; bytes (memory); bytes per second (net, disk, paging); load; counts (per second
   *  for rates). NaN = missing. Only the series the log has columns for are present. */
  series: Partial<Record<DstatSeriesName, Float64Array>>;
  columns: DstatColumn[];
  rows: number;
  warnings: string[];
}

/** A file that is not a dstat CSV, or one without a header row the reader can use. */
export class DstatFormatError extends Error {
  override name = 'DstatFormatError';
}
