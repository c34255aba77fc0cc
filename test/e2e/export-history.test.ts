// Black-box tests of `stackviz-export --history DB` and `--fail-on new-failures` (the built CLI), on an
// embedded SQLite store and on a PostgreSQL database of its own (created here, dropped after).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/contract/export-format.js';
import type { HistoryFile, HistoryTest } from '../../src/contract/history-format.js';
import { migrateStore } from '../../src/history/open.js';
import { plannedRuns, runStream, STORY } from '../history-streams.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const REPO = join(process.cwd(), 'examples', 'stestr-repo');
const RUNS = 12;

function run(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: '',
    env: { ...process.env, STACKVIZ_DEBUG: '', ZUUL_JOB: '', JOB_NAME: '', STACKVIZ_DB: '', ...env },
    timeout: 60_000,
  });
}

function expectOneLineError(r: SpawnSyncReturns<string>, code: number, mention: RegExp): void {
  expect(r.status, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^stackviz-export: /);
  expect(lines[0]).toMatch(mention);
}

const config = (dest: string): ConfigFile =>
  JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;

function historyOf(dest: string, i = 0): HistoryFile {
  const path = config(dest).tempest?.[i]?.history;
  expect(path).toBeDefined();
  return JSON.parse(readFileSync(join(dest, path as string), 'utf8')) as HistoryFile;
}

const flags = (t: HistoryTest | undefined): string[] =>
  t === undefined
    ? ['missing']
    : (['new_failure', 'new_test', 'fixed', 'flaky', 'slower'] as const).filter((k) => t[k]);

let dir: string;
let streams: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackviz-history-'));
  streams = plannedRuns(RUNS).map((r, i) => {
    const path = join(dir, `run-${String(i).padStart(2, '0')}.subunit`);
    writeFileSync(path, runStream(r));
    return path;
  });
});

/** A PostgreSQL database of its own on the local server (PGHOST/PGPORT/PGUSER when set), migrated. */
async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const host = process.env['PGHOST'] ?? '127.0.0.1';
  const port = Number(process.env['PGPORT'] ?? 5432);
  const user = process.env['PGUSER'] ?? 'postgres';
  const name = `stackviz_hv_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ host, port, user, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `postgresql://${encodeURIComponent(user)}@${host}:${port}/${name}`;
  await migrateStore(url);
  return {
    url,
    drop: async () => {
      const c = new pg.Client({ host, port, user, database: 'postgres' });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

const histories = new Map<string, HistoryFile>();

describe.each(['sqlite', 'postgres'] as const)('stackviz-export --history on %s', (engine) => {
  let db = '';
  let dropDb: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    if (engine === 'sqlite') db = join(dir, 'history.sqlite');
    else ({ url: db, drop: dropDb } = await createPgDatabase());
  });
  afterAll(async () => {
    await dropDb?.();
  });

  it('records each run and writes its history as of that run; the last run fails the gate', () => {
    for (let i = 0; i < RUNS - 1; i++) {
      const r = run([
        '-q',
        '--history',
        db,
        '--job',
        'tempest-full',
        '-f',
        streams[i] as string,
        join(dir, engine, `r${i}`),
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(historyOf(join(dir, engine, `r${i}`)).runs).toHaveLength(i + 1);
    }
    const dest = join(dir, engine, 'last');
    const page = join(dir, engine, 'last.html');
    const args = [
      '--history',
      db,
      '--job',
      'tempest-full',
      '--fail-on',
      'new-failures',
      '--single-file',
      page,
    ];
    const r = run([...args, '-f', streams[RUNS - 1] as string, dest]);
    // The gate fails after the whole export is written, in one line saying why.
    expect(r.status, r.stderr).toBe(3);
    const errors = r.stderr.split('\n').filter((l) => / new failure/.test(l));
    expect(errors).toEqual([
      'stackviz-export: 1 new failure and 1 new test failing in the latest run of job tempest-full; exit 3 (--fail-on new-failures)',
    ]);
    expect(r.stderr).toMatch(/recorded 1 run into /);
    const h = historyOf(dest);
    expect(h.job).toBe('tempest-full');
    expect(h.runs).toHaveLength(RUNS);
    const by = new Map(h.tests.map((t) => [t.name, t]));
    expect(flags(by.get(STORY.newFailure))).toEqual(['new_failure']);
    expect(flags(by.get(STORY.newFailing))).toEqual(['new_test']);
    expect(by.get(STORY.newFailing)?.outcome).toBe('fail');
    expect(flags(by.get(STORY.fixed))).toEqual(['fixed', 'flaky']);
    expect(flags(by.get(STORY.flaky))).toEqual(['fixed', 'flaky']);
    expect(flags(by.get(STORY.slower))).toEqual(['slower']);
    expect(flags(by.get(STORY.retried))).toEqual(['flaky']);
    expect(by.get(STORY.retried)?.outcome).toBe('flaky');
    expect(flags(by.get(STORY.steady))).toEqual([]);
    expect(
      by
        .get(STORY.flaky)
        ?.recent.map((p) => p.outcome)
        .join(' '),
    ).toBe('pass fail pass pass fail pass pass fail pass pass fail pass');
    // The single file carries the history file with the other data files.
    const path = config(dest).tempest?.[0]?.history as string;
    expect(readFileSync(page, 'utf8')).toContain(`data-path="${path}"`);
    histories.set(engine, h);
  });

  it('re-exporting a recorded run records nothing and says so; nothing new passes the gate', () => {
    const dest = join(dir, engine, 'again');
    const r = run([
      '--history',
      db,
      '--job',
      'tempest-full',
      '--fail-on',
      'new-failures',
      '-f',
      streams[5] as string,
      dest,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nothing new to record in .* \(1 run already there\)/);
    // Its history is as of that run: the window ends there.
    expect(historyOf(dest).runs).toHaveLength(6);
  });
});

describe('stackviz-export --history', () => {
  it('gives the same history on both engines', () => {
    expect(histories.get('postgres')).toEqual(histories.get('sqlite'));
    expect(histories.size).toBe(2);
  });

  it("writes a repository's runs each with its own window, under the source's name with a warning", () => {
    const dest = join(dir, 'repo');
    const r = run(['--history', join(dir, 'repo.sqlite'), '-r', REPO, dest]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: no --job and no CI job name; recording under the input's name 'stestr-repo'/,
    );
    expect([0, 1, 2].map((i) => historyOf(dest, i).runs.length)).toEqual([1, 2, 3]);
    expect(historyOf(dest, 2).job).toBe('stestr-repo');
    // The CI job name is the default job.
    const ci = run(['-q', '--history', join(dir, 'ci.sqlite'), '-r', REPO, join(dir, 'ci')], {
      ZUUL_JOB: 'tempest-ci',
    });
    expect(ci.status, ci.stderr).toBe(0);
    expect(historyOf(join(dir, 'ci')).job).toBe('tempest-ci');
  });

  it('gives a run the identity stackviz record gives it: recording the inputs again changes nothing', () => {
    const db = join(dir, 'same.sqlite');
    const r = run([
      '-q',
      '--history',
      db,
      '--job',
      'j',
      '-r',
      REPO,
      '-f',
      streams[3] as string,
      join(dir, 'same'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const rec = spawnSync(
      process.execPath,
      [
        join(process.cwd(), 'bin', 'stackviz.js'),
        'record',
        '--db',
        db,
        '--job',
        'j',
        '-r',
        REPO,
        '-f',
        streams[3] as string,
      ],
      { encoding: 'utf8', env: { ...process.env, STACKVIZ_DB: '' }, timeout: 60_000 },
    );
    expect(rec.status, rec.stderr).toBe(0);
    const lines = `${rec.stdout}${rec.stderr}`.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(l).toMatch(/is already recorded; nothing changed$/);
  });

  it('takes STACKVIZ_DB when --history has no value', () => {
    const db = join(dir, 'env.sqlite');
    const r = run(['-q', '-f', streams[0] as string, join(dir, 'env'), '--history'], { STACKVIZ_DB: db });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(db)).toBe(true);
  });

  it('refuses --fail-on new-failures and --job without --history (exit 2)', () => {
    expectOneLineError(
      run(['--fail-on', 'new-failures', '-f', streams[0] as string, join(dir, 'u')]),
      2,
      /needs --history/,
    );
    expectOneLineError(
      run(['--job', 'j', '-f', streams[0] as string, join(dir, 'u')]),
      2,
      /--job needs --history/,
    );
    expect(existsSync(join(dir, 'u'))).toBe(false);
  });

  it('stops before writing anything when the store cannot be used', () => {
    const dest = join(dir, 'kept');
    expect(run(['-q', '-f', streams[0] as string, dest]).status).toBe(0);
    const before = readdirSync(dest).sort();
    const configBefore = readFileSync(join(dest, 'config.json'), 'utf8');
    const notAStore = join(dir, 'not-a-store.sqlite');
    writeFileSync(notAStore, 'this is not a database\n'.repeat(100));
    const cases: [string, RegExp][] = [
      ['postgresql://postgres@127.0.0.1:1/nothing', /127\.0\.0\.1:1/],
      [notAStore, /not-a-store\.sqlite/],
      [dir, /is a folder, not a history store/],
    ];
    for (const [db, mention] of cases) {
      expectOneLineError(run(['--history', db, '-f', streams[1] as string, dest]), 1, mention);
      expect(readdirSync(dest).sort()).toEqual(before);
      expect(readFileSync(join(dest, 'config.json'), 'utf8')).toBe(configBefore);
      const fresh = join(dir, 'fresh');
      expectOneLineError(run(['--history', db, '-f', streams[1] as string, fresh]), 1, mention);
      expect(existsSync(fresh)).toBe(false);
    }
  });
});
