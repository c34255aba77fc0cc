// Two devstack performance reports compared: per-service memory, per-database queries, per-API-call counts.
import { queriesPerDb, type PerformanceReport } from '../formats/performance/index.js';

/** One measure on both sides; null where a side does not have it (or has no value for it). */
export interface PerformanceDelta {
  key: string;
  a: number | null;
  b: number | null;
  /** b − a when both are known, else null. */
  delta: number | null;
}

export interface PerformanceComparison {
  /** Service memory (bytes), by systemd unit. */
  memory: PerformanceDelta[];
  /** Queries per database (both versions count these); a null database is keyed `(none)`. */
  db: PerformanceDelta[];
  /** Queries per `database op` (only when both sides are version 2 rows, which have the op). */
  dbOps: PerformanceDelta[];
  /** API calls per `service agent-METHOD` (or `service METHOD` in version 1), plus `service` totals. */
  api: PerformanceDelta[];
  /** Resident memory (bytes) per command line (`cmd args`): pids differ between runs, command lines do not. */
  processes: PerformanceDelta[];
}

const NONE = '(none)';

function sumInto(m: Map<string, number | null>, key: string, v: number | null): void {
  const had = m.get(key);
  m.set(key, had === undefined ? v : had === null || v === null ? (had ?? v) : had + v);
}

/** Deltas of two keyed maps: every key of either side once, biggest change first (appeared/gone by size). */
function deltas(a: Map<string, number | null>, b: Map<string, number | null>): PerformanceDelta[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  const out: PerformanceDelta[] = [];
  for (const key of keys) {
    const va = a.has(key) ? (a.get(key) ?? null) : null;
    const vb = b.has(key) ? (b.get(key) ?? null) : null;
    out.push({ key, a: va, b: vb, delta: va !== null && vb !== null ? vb - va : null });
  }
  const size = (d: PerformanceDelta): number => Math.abs(d.delta ?? d.b ?? d.a ?? 0);
  return out.sort((x, y) => size(y) - size(x) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

function memory(r: PerformanceReport): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const s of r.services) sumInto(m, s.service, s.memory);
  return m;
}

function dbTotals(r: PerformanceReport): Map<string, number | null> {
  return new Map(queriesPerDb(r).map((q) => [q.db ?? NONE, q.count]));
}

function dbOps(r: PerformanceReport): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const q of r.db) if (q.op !== null) sumInto(m, `${q.db ?? NONE} ${q.op}`, q.count);
  return m;
}

function api(r: PerformanceReport): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const s of r.api) {
    sumInto(m, s.service, s.total);
    for (const c of s.calls) {
      sumInto(m, `${s.service} ${c.agent === null ? c.method : `${c.agent}-${c.method}`}`, c.count);
    }
  }
  return m;
}

function processes(r: PerformanceReport): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const p of r.processes) sumInto(m, `${p.cmd} ${p.args}`.trim(), p.rss);
  return m;
}

/** What changed from `a` to `b`. Pure; either version on either side. */
export function comparePerformance(a: PerformanceReport, b: PerformanceReport): PerformanceComparison {
  const aHasOps = a.db.some((q) => q.op !== null);
  const bHasOps = b.db.some((q) => q.op !== null);
  return {
    memory: deltas(memory(a), memory(b)),
    db: deltas(dbTotals(a), dbTotals(b)),
    dbOps: aHasOps && bHasOps ? deltas(dbOps(a), dbOps(b)) : [],
    api: deltas(api(a), api(b)),
    processes: deltas(processes(a), processes(b)),
  };
}

/** What compare prints for people: per table, the changed rows, biggest change first (at most `limit` each). */
export function comparePerformanceText(c: PerformanceComparison, limit = 10): string {
  const mib = (v: number): string => `${(v / 1048576).toFixed(1)} MiB`;
  const sign = (v: number, f: (n: number) => string): string => `${v >= 0 ? '+' : '−'}${f(Math.abs(v))}`;
  const lines: string[] = [];
  const section = (title: string, list: PerformanceDelta[], f: (n: number) => string): void => {
    const changed = list.filter((d) => d.delta !== 0 && (d.a !== null || d.b !== null));
    if (changed.length === 0) return;
    lines.push(`${title}:`);
    for (const d of changed.slice(0, limit)) {
      const what =
        d.delta !== null
          ? `${f(d.a ?? 0)} → ${f(d.b ?? 0)} (${sign(d.delta, f)})`
          : d.a === null
            ? `new: ${d.b === null ? '–' : f(d.b)}`
            : `gone (was ${f(d.a)})`;
      lines.push(`  ${d.key}: ${what}`);
    }
    if (changed.length > limit) lines.push(`  … ${changed.length - limit} more`);
  };
  const count = (n: number): string => n.toLocaleString('en-US');
  section('service memory', c.memory, mib);
  section('database queries', c.db, count);
  section('database queries per operation', c.dbOps, count);
  section('API calls', c.api, count);
  section('process memory (RSS)', c.processes, mib);
  return lines.length === 0
    ? 'performance: no change'
    : ['performance:', ...lines.map((l) => `  ${l}`)].join('\n');
}
