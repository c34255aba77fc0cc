// The embedded engine: one SQLite file (better-sqlite3), which migrates itself to the schema this code knows.
import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { MIGRATIONS, SCHEMA_VERSION, SQLITE_JSON_ARRAY } from './schema.js';
import { SqlStore, StoreError, type Db } from './store.js';

const HEADER = 'SQLite format 3\0';

// URI file names, for opening a read-only store in WAL mode as immutable (see `openReadOnly`); read when the
// driver's addon loads, at the first open. A plain path is still a plain path (one starting `file:` is not
// given as it is: see `asGiven`).
process.env['SQLITE_USE_URI'] = '1';

/** The path SQLite is given: one that would read as a URI is made relative-explicit. */
const asGiven = (path: string): string => (/^file:/i.test(path) ? `./${path}` : path);

type Statement = Database.Statement<unknown[], unknown>;

/** A better-sqlite3 error as one line naming the store. */
export function sqliteError(path: string, e: unknown): Error {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown }).code;
  const why = e instanceof Error ? e.message : String(e);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return e instanceof Error ? e : new Error(why);
  if (code.startsWith('SQLITE_READONLY'))
    return new StoreError(`'${path}' is read-only: cannot write to the store`);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(`'${path}' is not a stackviz store: ${why}`);
  }
  if (code.startsWith('SQLITE_BUSY')) return new StoreError(`'${path}' is locked by another writer: ${why}`);
  if (code.startsWith('SQLITE_CANTOPEN')) return new StoreError(`cannot open '${path}': ${why}`);
  if (code === 'SQLITE_FULL') return new StoreError(`'${path}': no space left to write the store`);
  if (code.startsWith('SQLITE_IOERR')) return new StoreError(`'${path}': input/output error (${why})`);
  return new StoreError(`'${path}': ${why}`);
}

/** Checks that an existing file is an SQLite file before SQLite is given it. */
function checkFile(path: string): boolean {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new StoreError(`'${path}' is a directory, not a store`);
    size = st.size;
  } catch (e) {
    if (e instanceof StoreError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new StoreError(`cannot read '${path}': ${(e as Error).message}`);
  }
  if (size === 0) return true;
  const head = Buffer.alloc(16);
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, head, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new StoreError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (n < 16 || head.toString('latin1') !== HEADER) {
    throw new StoreError(`'${path}' is not a stackviz store (not an SQLite database)`);
  }
  return true;
}

/** The schema version of an open database: 0 for an empty one. */
function versionOf(db: Database.Database, path: string): number {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[];
  if (tables.length === 0) return 0;
  if (!tables.some((t) => t.name === 'stackviz_schema')) {
    throw new StoreError(`'${path}' is not a stackviz store (an SQLite database without its tables)`);
  }
  const row = db.prepare('SELECT max(version) AS v FROM stackviz_schema').get() as { v: number | null };
  return row.v ?? 0;
}

function tooNew(path: string, v: number): StoreError {
  return new StoreError(
    `'${path}' has schema version ${v}, newer than this stackviz knows (${SCHEMA_VERSION}): use a newer stackviz`,
  );
}

/** Applies the migrations after the store's version, up to `target`, in one transaction. */
export function migrateSqlite(db: Database.Database, path: string, target = SCHEMA_VERSION): number {
  // Values as JavaScript prints them: integers and durations exactly (SQLite's JSON prints REAL with 15 digits).
  db.aggregate(SQLITE_JSON_ARRAY, {
    start: () => [] as unknown[],
    step: (list: unknown[], v: unknown) => void list.push(v),
    result: (list: unknown[]) => JSON.stringify(list),
  });
  db.exec('BEGIN IMMEDIATE');
  try {
    if (versionOf(db, path) === 0) {
      db.exec(
        'CREATE TABLE stackviz_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
    }
    const from = versionOf(db, path);
    if (from > SCHEMA_VERSION) throw tooNew(path, from);
    for (const m of MIGRATIONS) {
      if (m.version <= from || m.version > target) continue;
      for (const sql of m.sql.sqlite) db.exec(sql);
      db.prepare('INSERT INTO stackviz_schema (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    }
    db.exec('COMMIT');
    return from;
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

class SqliteDb implements Db {
  readonly engine = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database.Database,
    readonly label: string,
  ) {}

  private prepare(sql: string): Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private guard<T>(f: () => T): Promise<T> {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(sqliteError(this.label, e));
    }
  }

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.guard(() => {
      const s = this.prepare(sql);
      if (s.reader) return s.all(...params) as T[];
      s.run(...params);
      return [];
    });
  }

  rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    // A statement of its own (raw mode sticks to a statement): the key marks it.
    return this.guard(
      () =>
        this.prepare(`${sql} -- rows`)
          .raw(true)
          .all(...params) as unknown[][],
    );
  }

  begin(): Promise<void> {
    return this.guard(() => void this.db.exec('BEGIN IMMEDIATE'));
  }

  commit(): Promise<void> {
    return this.guard(() => void this.db.exec('COMMIT'));
  }

  rollback(): Promise<void> {
    return this.guard(() => {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    });
  }

  testIds(names: readonly string[]): Promise<Map<string, number>> {
    return this.guard(() => {
      const find = this.prepare('SELECT id FROM tests WHERE name = ?');
      const add = this.prepare('INSERT INTO tests (name) VALUES (?) RETURNING id');
      const ids = new Map<string, number>();
      for (const name of names) {
        const row = (find.get(name) ?? add.get(name)) as { id: number };
        ids.set(name, row.id);
      }
      return ids;
    });
  }

  close(): Promise<void> {
    return this.guard(() => void this.db.close());
  }
}

/**
 * Opens (for `write`, creates) an SQLite store and brings it to this code's schema. `read` opens it read-only
 * unless it needs migrating; a missing file is then an error.
 */
export function openSqliteStore(path: string, mode: 'read' | 'write'): SqlStore {
  const exists = checkFile(path);
  if (!exists && mode === 'read') throw new StoreError(`no store at '${path}' (stackviz record creates one)`);
  let db: Database.Database | null = null;
  try {
    db = new Database(asGiven(path), { readonly: mode === 'read', fileMustExist: mode === 'read' });
    db.pragma('busy_timeout = 10000');
    // Write-ahead log, synced at checkpoints: a commit costs no fsync (a power cut may lose the last runs,
    // never corrupt the store), and readers never wait for a recorder. The mode is kept in the file.
    if (mode === 'write' && db.pragma('journal_mode', { simple: true }) !== 'wal')
      db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const v = versionOf(db, path);
    if (v > SCHEMA_VERSION) throw tooNew(path, v);
    if (v < SCHEMA_VERSION) {
      if (mode === 'read') {
        db.close();
        db = new Database(path, { fileMustExist: true });
        db.pragma('busy_timeout = 10000');
      }
      migrateSqlite(db, path);
    }
    return new SqlStore(new SqliteDb(db, path));
  } catch (e) {
    db?.close();
    if (mode === 'read' && isReadOnlyWal(e)) return openReadOnly(path);
    throw sqliteError(path, e);
  }
}

/** A WAL store SQLite cannot read normally: its folder or file cannot be written (no shared-memory file). */
function isReadOnlyWal(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN'))
  );
}

/**
 * A store nobody here can write, opened as immutable (SQLite then needs no shared-memory file beside it, which
 * a WAL store otherwise does even to be read); a store that needs migrating cannot be read this way.
 */
function openReadOnly(path: string): SqlStore {
  const uri = `file:${path.split('/').map(encodeURIComponent).join('/')}?immutable=1`;
  let db: Database.Database | null = null;
  try {
    db = new Database(uri, { readonly: true, fileMustExist: true });
    const v = versionOf(db, path);
    if (v > SCHEMA_VERSION) throw tooNew(path, v);
    if (v < SCHEMA_VERSION)
      throw new StoreError(`'${path}' is read-only and needs migrating (schema version ${v})`);
    return new SqlStore(new SqliteDb(db, path));
  } catch (e) {
    db?.close();
    throw sqliteError(path, e);
  }
}

/** The schema version of an SQLite store file (0 when it does not exist or is empty). */
export function sqliteVersion(path: string): number {
  if (!checkFile(path)) return 0;
  const db = new Database(asGiven(path), { readonly: true, fileMustExist: true });
  try {
    const v = versionOf(db, path);
    if (v > SCHEMA_VERSION) throw tooNew(path, v);
    return v;
  } catch (e) {
    throw sqliteError(path, e);
  } finally {
    db.close();
  }
}
