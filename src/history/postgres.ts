// The fleet engine: PostgreSQL through `pg`. Its schema changes only with `stackviz history migrate`, so that a
// newer recorder never locks older ones out.
import './pg-runtime.js';
import type { Client } from 'pg';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { SqlStore, StoreError, type Db } from './store.js';

// Loaded after pg-runtime.js has run, also where a bundler hoists static imports above it (dist/bundle).
const { default: pg } = await import('pg');

/** True for the URLs that select PostgreSQL. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** The URL without its password, to show. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Names per statement: one statement's parameters stay a few MB. */
const BATCH = 20_000;

/** A pg error as one line naming the store. */
export function postgresError(label: string, e: unknown): Error {
  if (e instanceof StoreError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const why = typeof err.message === 'string' ? (err.message.split('\n')[0] ?? '') : String(e);
  switch (code) {
    case 'ECONNREFUSED':
      return new StoreError(`cannot connect to ${label}: connection refused (is the server running?)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StoreError(`cannot connect to ${label}: unknown host`);
    case 'ETIMEDOUT':
      return new StoreError(`cannot connect to ${label}: timed out`);
    case 'ECONNRESET':
      return new StoreError(`${label}: the server closed the connection`);
    case '28P01':
    case '28000':
    case '3D000':
    case '42501':
    case '57P01':
    case '53100':
      return new StoreError(`${label}: ${why}`);
    default:
      break;
  }
  if (/password must be a string|no password|SASL/i.test(why)) {
    return new StoreError(`${label}: the server asks for a password and none was given`);
  }
  if (/timeout/i.test(why) && code === '') return new StoreError(`cannot connect to ${label}: ${why}`);
  if (code !== '' && /^[0-9A-Z]{5}$/.test(code)) return new StoreError(`${label}: ${why}`);
  return e instanceof Error ? e : new Error(why);
}

/** `?` placeholders as `$1, $2, …` (the SQL here has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

class PostgresDb implements Db {
  readonly engine = 'postgres' as const;

  constructor(
    private readonly client: Client,
    readonly label: string,
  ) {}

  private async q<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const r = await this.client.query(numbered(sql), params as unknown[]);
      return r.rows as T[];
    } catch (e) {
      throw postgresError(this.label, e);
    }
  }

  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.q<T>(sql, params);
  }

  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    try {
      const r = await this.client.query({
        text: numbered(sql),
        values: params as unknown[],
        rowMode: 'array',
      });
      return r.rows as unknown[][];
    } catch (e) {
      throw postgresError(this.label, e);
    }
  }

  async begin(): Promise<void> {
    await this.q('BEGIN');
  }

  async commit(): Promise<void> {
    await this.q('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.q('ROLLBACK');
  }

  /** The ids of `list`'s names in its order, 0 for those not stored: one row of text back, not a row each. */
  private async idsOf(list: readonly string[]): Promise<number[]> {
    const [row] = await this.rows(
      `SELECT string_agg(coalesce(t.id, 0)::text, ',' ORDER BY u.i)
       FROM json_array_elements_text(?::json) WITH ORDINALITY AS u (n, i) LEFT JOIN tests t ON t.name = u.n`,
      [JSON.stringify(list)],
    );
    const text = row?.[0];
    return typeof text === 'string' ? text.split(',').map(Number) : [];
  }

  async testIds(names: readonly string[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (let i = 0; i < names.length; i += BATCH) {
      const part = names.slice(i, i + BATCH);
      // Nearly always every name is known: one query. New ones are inserted in one order for every recorder,
      // so two adding the same names never wait for each other in a cycle.
      const missing: string[] = [];
      (await this.idsOf(part)).forEach((id, k) => {
        if (id === 0) missing.push(part[k] as string);
        else ids.set(part[k] as string, id);
      });
      if (missing.length === 0) continue;
      await this.q(
        `INSERT INTO tests (name) SELECT n FROM unnest(?::text[]) AS n ORDER BY n COLLATE "C"
         ON CONFLICT (name) DO NOTHING`,
        [missing],
      );
      (await this.idsOf(missing)).forEach((id, k) => ids.set(missing[k] as string, id));
    }
    return ids;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

async function connect(url: string, label: string): Promise<Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A connection lost later fails the query under way; the event itself must not end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw postgresError(label, e);
  }
  return client;
}

async function versionOf(client: Client): Promise<number | null> {
  const r = await client.query<{ t: string | null }>("SELECT to_regclass('stackviz_schema')::text AS t");
  if (r.rows[0]?.t == null) return null;
  const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM stackviz_schema');
  return v.rows[0]?.v ?? 0;
}

/** Opens a PostgreSQL store; its schema must be this code's (`stackviz history migrate` makes it so). */
export async function openPostgresStore(url: string): Promise<SqlStore> {
  const label = redactUrl(url);
  const client = await connect(url, label);
  try {
    const v = await versionOf(client);
    const migrate = `run \`stackviz history migrate --db ${label}\``;
    if (v === null) throw new StoreError(`${label} has no stackviz schema yet: ${migrate}`);
    if (v > SCHEMA_VERSION) {
      throw new StoreError(
        `${label} has schema version ${v}, newer than this stackviz knows (${SCHEMA_VERSION}): use a newer stackviz`,
      );
    }
    if (v < SCHEMA_VERSION) {
      throw new StoreError(
        `${label} has schema version ${v}, this stackviz needs ${SCHEMA_VERSION}: ${migrate}`,
      );
    }
  } catch (e) {
    await client.end().catch(() => undefined);
    throw postgresError(label, e);
  }
  return new SqlStore(new PostgresDb(client, label));
}

/** Brings a PostgreSQL store to `target` (default: this code's version); returns the versions before and after. */
export async function migratePostgres(
  url: string,
  target = SCHEMA_VERSION,
): Promise<{ from: number; to: number }> {
  const label = redactUrl(url);
  const client = await connect(url, label);
  try {
    await client.query('BEGIN');
    // Two migrations at once wait for each other instead of failing half-way.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('stackviz_schema'))");
    await client.query(
      'CREATE TABLE IF NOT EXISTS stackviz_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const from = (await versionOf(client)) ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new StoreError(
        `${label} has schema version ${from}, newer than this stackviz knows (${SCHEMA_VERSION}): use a newer stackviz`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= from || m.version > target) continue;
      for (const sql of m.sql.postgres) await client.query(sql);
      await client.query('INSERT INTO stackviz_schema (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, Math.min(target, SCHEMA_VERSION)) };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw postgresError(label, e);
  } finally {
    await client.end().catch(() => undefined);
  }
}
