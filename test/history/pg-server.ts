// PostgreSQL for the history tests: a fresh role and database per test file on the server PG* names
// (127.0.0.1:5432, user postgres by default), and a throwaway cluster that asks for a password. Never skipped:
// when no server answers, the tests that need one fail.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

const host = process.env['PGHOST'] ?? '127.0.0.1';
const port = Number(process.env['PGPORT'] ?? 5432);
const superuser = process.env['PGUSER'] ?? 'postgres';

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({
    host,
    port,
    user: superuser,
    database: 'postgres',
    connectionTimeoutMillis: 10_000,
  });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  /** postgres:// URL of the database, as its owner (a role made for it). */
  url: string;
  /** The same database as a role that may only read it. */
  readOnlyUrl: string;
  drop(): Promise<void>;
}

/** A new database owned by a new role (random names); `drop` removes both. */
export async function freshDatabase(): Promise<TestDatabase> {
  const tag = `stackviz_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const password = Math.random().toString(36).slice(2);
  await admin(async (c) => {
    await c.query(`CREATE ROLE ${tag} LOGIN PASSWORD '${password}'`);
    await c.query(`CREATE ROLE ${tag}_ro LOGIN PASSWORD '${password}'`);
    await c.query(`CREATE DATABASE ${tag} OWNER ${tag}`);
  });
  const url = `postgres://${tag}:${password}@${host}:${port}/${tag}`;
  return {
    url,
    readOnlyUrl: `postgres://${tag}_ro:${password}@${host}:${port}/${tag}`,
    drop: () =>
      admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${tag}`);
        await c.query(`DROP ROLE IF EXISTS ${tag}_ro`);
      }),
  };
}

/** Lets the read-only role read every table of the database (after the schema exists). */
export async function grantRead(db: TestDatabase): Promise<void> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const ro = new URL(db.readOnlyUrl).username;
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ro}`);
  } finally {
    await c.end();
  }
}

/** A free TCP port on this machine. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(p));
    });
  });
}

const BIN = '/usr/lib/postgresql/15/bin';

export interface PasswordCluster {
  /** URL with the right password. */
  url: string;
  port: number;
  stop(): void;
}

/**
 * A throwaway cluster in a temporary folder that asks every connection for a password (scram), run as the
 * `postgres` user when this process is root (initdb refuses root).
 */
export async function passwordCluster(): Promise<PasswordCluster> {
  // Not the tests' own temporary folder: the postgres user cannot enter it.
  const dir = mkdtempSync('/tmp/stackviz-pg-');
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, 'right-password\n');
  chmodSync(pwfile, 0o644);
  const root = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): void => {
    const r = root
      ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
      : spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  as(`${BIN}/initdb`, ['-D', data, '-U', 'owner', '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8']);
  const port = await freePort();
  as(`${BIN}/pg_ctl`, [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    'start',
  ]);
  return {
    url: `postgres://owner:right-password@127.0.0.1:${port}/postgres`,
    port,
    stop: () => {
      try {
        if (root)
          execFileSync('runuser', [
            '-u',
            'postgres',
            '--',
            `${BIN}/pg_ctl`,
            '-D',
            data,
            '-m',
            'immediate',
            'stop',
          ]);
        else execFileSync(`${BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
