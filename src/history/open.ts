// Which store `--db` names (a file, or a postgres:// URL) and how it is opened; engines load only when used.
import type { HistoryStore } from './store.js';

/** The store used when neither --db nor STACKVIZ_DB names one. */
export const DEFAULT_DB = 'stackviz-history.sqlite';

/** `--db`, else STACKVIZ_DB, else the default file in the current folder. */
export function storeName(db: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (db !== undefined && db !== '') return db;
  const fromEnv = env['STACKVIZ_DB'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_DB;
}

export const isPostgres = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * Opens a store. `write` creates an embedded store that does not exist yet; an embedded store migrates itself,
 * a PostgreSQL one must already be at this code's schema (`stackviz history migrate`).
 */
export async function openStore(db: string, mode: 'read' | 'write'): Promise<HistoryStore> {
  if (isPostgres(db)) return (await import('./postgres.js')).openPostgresStore(db);
  return (await import('./sqlite.js')).openSqliteStore(db, mode);
}

/** `stackviz history migrate`: brings the store to this code's schema; the versions before and after. */
export async function migrateStore(db: string): Promise<{ from: number; to: number; label: string }> {
  if (isPostgres(db)) {
    const pgStore = await import('./postgres.js');
    return { ...(await pgStore.migratePostgres(db)), label: pgStore.redactUrl(db) };
  }
  const { SCHEMA_VERSION } = await import('./schema.js');
  const sqlite = await import('./sqlite.js');
  const from = sqlite.sqliteVersion(db);
  const store = sqlite.openSqliteStore(db, 'write');
  await store.close();
  return { from, to: SCHEMA_VERSION, label: db };
}
