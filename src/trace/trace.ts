// A run's tests and the machine's dstat series as Chrome/Perfetto trace events (Trace Event Format, JSON object
// form), one event at a time. Pure: the exporter's --trace streams it to a file, the viewer builds the same
// trace in the browser for "Open in Perfetto".
import type { DstatSeriesName } from '../formats/dstat/series.js';

/** What a trace needs of one test. */
/** One event of the written trace, as a reader parses it back (the Trace Event Format's fields we write). */
export interface TraceEvent {
  ph: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  name: string;
  cname?: string;
  args: Record<string, unknown>;
}

export interface TraceTest {
  name: string;
  id: string;
  status: string;
  tags: readonly string[];
  worker: number | null;
  /** µs since the epoch (UTC), null when unknown. */
  startUs: number | null;
  endUs: number | null;
}

/** The dstat log as the counters read it (a `DstatLog` from src/formats/dstat is one). */
export interface CounterLog {
  readonly timeMs: Float64Array;
  readonly series: Readonly<Partial<Record<DstatSeriesName, Float64Array>>>;
}

/** Written before the events; the events are separated by `EVENT_SEPARATOR`; `TRACE_TAIL` closes the object. */
export const TRACE_HEAD = '{"traceEvents":[\n';
export const EVENT_SEPARATOR = ',\n';
export const TRACE_TAIL = '\n],"displayTimeUnit":"ms"}\n';

/** The machine's counters are a process of their own, sorted above the runs. */
export const MACHINE_PID = 1;
/** Thread sort order: a worker's threads are `worker * LANES + lane`; tests without a worker come last. */
const LANES = 1000;
const NO_WORKER_SORT = 1_000_000_000;

/** Counter tracks: one counter event per group and dstat row, one value per series the log has. */
const COUNTERS: { name: string; values: [string, DstatSeriesName][] }[] = [
  {
    name: 'CPU (%)',
    values: [
      ['user', 'cpu_user'],
      ['sys', 'cpu_system'],
      ['wait', 'cpu_wait'],
    ],
  },
  {
    name: 'Memory (bytes)',
    values: [
      ['used', 'mem_used'],
      ['buffers', 'mem_buffers'],
      ['cached', 'mem_cached'],
      ['free', 'mem_free'],
    ],
  },
  {
    name: 'Network (bytes/s)',
    values: [
      ['recv', 'net_recv'],
      ['send', 'net_send'],
    ],
  },
  {
    name: 'Disk (bytes/s)',
    values: [
      ['read', 'disk_read'],
      ['write', 'disk_write'],
    ],
  },
  {
    name: 'Load average',
    values: [
      ['1m', 'load_1m'],
      ['5m', 'load_5m'],
      ['15m', 'load_15m'],
    ],
  },
];

/** Slices of failing tests get Chrome's "terrible" colour (Perfetto colours by name). */
const FAILING = new Set(['fail', 'uxsuccess', 'inprogress', 'unknown']);

const json = JSON.stringify;

/** The threads of one worker (or of the tests without one): lane k holds tests that do not overlap. */
interface Lanes {
  /** Latest end on each lane (µs). */
  ends: number[];
  /** Thread id of each lane. */
  tids: number[];
}

/**
 * Turns runs and tests into trace events, handed to `emit` one JSON object text at a time (without separators).
 * Memory: per run, a few numbers per worker lane; the spans of the runs.
 */
export class TraceBuilder {
  private pid = MACHINE_PID;
  private lanes = new Map<number | null, Lanes>();
  private nextTid = 1;
  private spanStart = Infinity;
  private spanEnd = -Infinity;
  /** [start, end] µs of each finished run with timed tests: the counters are clipped to them. */
  readonly spans: [number, number][] = [];

  constructor(private readonly emit: (event: string) => void) {}

  /** A process for the next run. */
  beginRun(title: string): void {
    this.endRun();
    this.pid++;
    this.lanes = new Map();
    this.nextTid = 1;
    const pid = this.pid;
    this.emit(`{"ph":"M","pid":${pid},"name":"process_name","args":{"name":${json(title)}}}`);
    this.emit(`{"ph":"M","pid":${pid},"name":"process_sort_index","args":{"sort_index":${pid}}}`);
  }

  /** Close the current run's span (called by the next `beginRun` and by `counters`). */
  endRun(): void {
    if (this.spanStart <= this.spanEnd) this.spans.push([this.spanStart, this.spanEnd]);
    this.spanStart = Infinity;
    this.spanEnd = -Infinity;
  }

  /** One complete slice at the test's start on its worker's first thread it fits on; nothing without both times. */
  test(t: TraceTest): void {
    if (t.startUs !== null && t.startUs < this.spanStart) this.spanStart = t.startUs;
    if (t.endUs !== null && t.endUs > this.spanEnd) this.spanEnd = t.endUs;
    if (t.startUs === null || t.endUs === null) return;
    const start = t.startUs;
    // A test that ends before it starts (a clock stepped back) is a slice of no length.
    const dur = Math.max(0, t.endUs - start);
    const tid = this.laneFor(t.worker, start, start + dur);
    const cname = FAILING.has(t.status) ? ',"cname":"terrible"' : '';
    this.emit(
      `{"ph":"X","pid":${this.pid},"tid":${tid},"ts":${start},"dur":${dur},"name":${json(t.name)}${cname},` +
        `"args":{"status":${json(t.status)},"id":${json(t.id)},"tags":${json(t.tags)}}}`,
    );
  }

  /**
   * The first lane of the worker whose tests all ended by `start` (slices on one thread must nest; tests of
   * one worker that overlap go on an extra thread, `worker-3 (2)`). Tests arrive in completion order, so
   * lane 0 nearly always fits.
   */
  private laneFor(worker: number | null, start: number, end: number): number {
    let l = this.lanes.get(worker);
    if (l === undefined) {
      l = { ends: [], tids: [] };
      this.lanes.set(worker, l);
    }
    let k = 0;
    while (k < l.ends.length && (l.ends[k] as number) > start) k++;
    if (k === l.ends.length) {
      const tid = this.nextTid++;
      l.ends.push(end);
      l.tids.push(tid);
      const base = worker === null ? 'no worker' : `worker-${worker}`;
      const name = k === 0 ? base : `${base} (${k + 1})`;
      const sort = (worker === null ? NO_WORKER_SORT : worker * LANES) + k;
      this.emit(
        `{"ph":"M","pid":${this.pid},"tid":${tid},"name":"thread_name","args":{"name":${json(name)}}}`,
      );
      this.emit(
        `{"ph":"M","pid":${this.pid},"tid":${tid},"name":"thread_sort_index","args":{"sort_index":${sort}}}`,
      );
      return tid;
    }
    l.ends[k] = end;
    return l.tids[k] as number;
  }

  /**
   * The dstat series as counters on the machine process, clipped to the runs' spans (rows outside every run
   * are another job's load): the rows inside a span, and the value in force at its start (the last row before
   * it, when the log goes on past the start) placed at the start. `log.timeMs` is UTC already (the reader
   * aligned it).
   */
  counters(log: CounterLog, machineName = 'machine'): void {
    this.endRun();
    const groups = COUNTERS.map((g) => ({
      name: json(g.name),
      values: g.values
        .map(([label, s]) => [json(label), log.series[s]] as const)
        .filter((v): v is readonly [string, Float64Array] => v[1] !== undefined),
    })).filter((g) => g.values.length > 0);
    if (groups.length === 0) return;
    const time = log.timeMs;
    const rowUs = (i: number): number => Math.round((time[i] as number) * 1000);
    let named = false;
    const row = (i: number, ts: number): void => {
      if (!named) {
        this.emit(
          `{"ph":"M","pid":${MACHINE_PID},"name":"process_name","args":{"name":${json(machineName)}}}`,
        );
        this.emit(`{"ph":"M","pid":${MACHINE_PID},"name":"process_sort_index","args":{"sort_index":0}}`);
        named = true;
      }
      for (const g of groups) {
        let args = '';
        for (const [label, values] of g.values) {
          const v = values[i] as number;
          // JSON has no NaN: a missing value is left out (the first row's rates, a gap).
          if (Number.isFinite(v)) args += `${args === '' ? '' : ','}${label}:${json(v)}`;
        }
        if (args !== '')
          this.emit(`{"ph":"C","pid":${MACHINE_PID},"ts":${ts},"name":${g.name},"args":{${args}}}`);
      }
    };
    for (const [start, end] of mergedSpans(this.spans)) {
      // First row after the start (rows are in time order).
      let lo = 0;
      let hi = time.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rowUs(mid) <= start) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0 && lo < time.length) row(lo - 1, start);
      else if (lo > 0 && rowUs(lo - 1) === start) row(lo - 1, start);
      for (let i = lo; i < time.length && rowUs(i) <= end; i++) row(i, rowUs(i));
    }
  }
}

/** Spans sorted and overlapping ones joined (runs recorded at the same time share their rows). */
export function mergedSpans(spans: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** A whole trace as text pieces (for the viewer, which holds the run in memory anyway). */
export function traceText(build: (b: TraceBuilder) => void): string[] {
  const parts: string[] = [TRACE_HEAD];
  let first = true;
  const b = new TraceBuilder((e) => {
    if (!first) parts.push(EVENT_SEPARATOR);
    first = false;
    parts.push(e);
  });
  build(b);
  parts.push(TRACE_TAIL);
  return parts;
}
