// devstack's performance.json (tools/get-stats.py), both versions, read into one model; pure, shared with the viewer.
//
// The producer (openstack/devstack tools/get-stats.py) prints one JSON object:
//   services:  [{service, MemoryCurrent}]   systemd's MemoryCurrent in bytes, or a string such as "[not set]"
//   db:        v1 [{queries, db}]            (performance_schema, until devstack fe52d7f0, Apr 2022)
//              v2 [{db, op, count}]          (devstack's own stats database, from fe52d7f0 on)
//   processes: [{cmd, pid, args, rss}]       rss in bytes
//   api:       [{service, log, largest, <key>: count, ...}]  key = method (v1) or `<agent>-<method>` (v2)
//   report:    {timestamp, hostname}, plus `version: 2` from devstack 64d68679 on
// Values went through the script's tryint(): a value that is not an integer stays a string. Such values are
// kept as null here (shown as "–"), never a reason to refuse the file; a wrong shape is.

export interface ServiceMemory {
  service: string;
  /** Bytes; null when systemd had none ("[not set]"). */
  memory: number | null;
}

export interface DbQueries {
  /** The database; null for queries outside any database (v1's `db: null`). */
  db: string | null;
  /** The statement kind (SELECT, INSERT, ...); null in version 1, which counted per database only. */
  op: string | null;
  count: number;
}

export interface ApiCall {
  /** The calling agent (`tempest`, `nova-compute`, ...); null in version 1. */
  agent: string | null;
  method: string;
  count: number;
}

export interface ApiService {
  service: string;
  /** The access log counted (basename). */
  log: string;
  /** The largest response, in bytes; null when missing. */
  largest: number | null;
  calls: ApiCall[];
  /** Sum of `calls`. */
  total: number;
}

export interface ProcessMemory {
  cmd: string;
  pid: number | null;
  args: string;
  /** Resident set size in bytes; null when missing. */
  rss: number | null;
}

export interface PerformanceReport {
  /** `report.version`, 1 when absent. */
  version: number;
  hostname: string | null;
  timestamp: string | null;
  services: ServiceMemory[];
  db: DbQueries[];
  api: ApiService[];
  processes: ProcessMemory[];
}

/** Not a performance.json: `problem` says what is wrong, for a one-line message. */
export class PerformanceFormatError extends Error {
  override name = 'PerformanceFormatError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** tryint() keeps non-integers as strings: those are "no value", not errors. */
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function list(doc: Obj, key: string): Obj[] {
  const v = doc[key];
  if (!Array.isArray(v)) {
    throw new PerformanceFormatError(
      v === undefined ? `no "${key}" list (not a devstack performance.json?)` : `"${key}" is not a list`,
    );
  }
  return v.map((e, i) => {
    if (!isObj(e)) throw new PerformanceFormatError(`"${key}"[${i}] is not an object`);
    return e;
  });
}

function needText(e: Obj, key: string, where: string): string {
  const v = e[key];
  if (typeof v !== 'string') throw new PerformanceFormatError(`${where} has no "${key}" string`);
  return v;
}

/** API keys: `GET` (v1) or `<agent>-<METHOD>` (v2; agents may hold dashes, methods do not). */
function splitCallKey(key: string): { agent: string | null; method: string } {
  const dash = key.lastIndexOf('-');
  return dash <= 0
    ? { agent: null, method: key }
    : { agent: key.slice(0, dash), method: key.slice(dash + 1) };
}

/** Read a parsed performance.json; throws PerformanceFormatError when it is not one. */
export function readPerformance(doc: unknown): PerformanceReport {
  if (!isObj(doc)) throw new PerformanceFormatError('not a JSON object (not a devstack performance.json?)');
  const report = isObj(doc['report']) ? doc['report'] : {};
  const version = num(report['version']) ?? 1;
  const services = list(doc, 'services').map((e, i): ServiceMemory => ({
    service: needText(e, 'service', `"services"[${i}]`),
    memory: num(e['MemoryCurrent']),
  }));
  const db = list(doc, 'db').map((e, i): DbQueries => {
    const where = `"db"[${i}]`;
    const name = e['db'];
    if (name !== null && typeof name !== 'string')
      throw new PerformanceFormatError(`${where} has no "db" name`);
    // Either shape is read whatever report.version says: devstack fe52d7f0 wrote v2 rows before the version bump.
    if ('count' in e || 'op' in e) {
      return { db: name, op: text(e['op']), count: num(e['count']) ?? 0 };
    }
    if ('queries' in e) return { db: name, op: null, count: num(e['queries']) ?? 0 };
    throw new PerformanceFormatError(`${where} has neither "count" nor "queries"`);
  });
  const api = list(doc, 'api').map((e, i): ApiService => {
    const calls: ApiCall[] = [];
    for (const [k, v] of Object.entries(e)) {
      if (k === 'service' || k === 'log' || k === 'largest') continue;
      const n = num(v);
      if (n !== null) calls.push({ ...splitCallKey(k), count: n });
    }
    return {
      service: needText(e, 'service', `"api"[${i}]`),
      log: text(e['log']) ?? '',
      largest: num(e['largest']),
      calls,
      total: calls.reduce((s, c) => s + c.count, 0),
    };
  });
  const processes = list(doc, 'processes').map((e, i): ProcessMemory => ({
    cmd: needText(e, 'cmd', `"processes"[${i}]`),
    pid: num(e['pid']),
    args: text(e['args']) ?? '',
    rss: num(e['rss']),
  }));
  return {
    version,
    hostname: text(report['hostname']),
    timestamp: text(report['timestamp']),
    services,
    db,
    api,
    processes,
  };
}

/** Parse performance.json text; throws PerformanceFormatError (bad JSON included). */
export function parsePerformance(json: string): PerformanceReport {
  // devstack redirects the script's output into the file: a crashed run leaves it empty.
  if (json.trim() === '') throw new PerformanceFormatError('empty file (did get-stats.py fail?)');
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    throw new PerformanceFormatError(`not JSON (${why.length > 100 ? `${why.slice(0, 100)}…` : why})`);
  }
  return readPerformance(doc);
}

/** Queries per database (both versions), largest first. */
export function queriesPerDb(r: PerformanceReport): { db: string | null; count: number }[] {
  const by = new Map<string | null, number>();
  for (const q of r.db) by.set(q.db, (by.get(q.db) ?? 0) + q.count);
  return [...by].map(([db, count]) => ({ db, count })).sort((a, b) => b.count - a.count);
}
