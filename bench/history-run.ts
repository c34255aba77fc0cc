// `npm run bench:history`: the history store on both engines with a seeded N runs × T tests (default
// 1,000 × 2,000 = 2M results): insert rate (parsing excluded; with the server backend's CPU when PostgreSQL
// runs on this machine), `stackviz history --json` latency at full size,
// recording one run through the CLI beyond process start, the end-to-end rate through the readers, peak RSS,
// the heap left after a full collection as the store grows, and two recorders at once (PostgreSQL).
// PostgreSQL: a database made for the run on PGHOST/PGPORT as PGUSER (default 127.0.0.1:5432, postgres),
// dropped after; STACKVIZ_BENCH_ENGINES=sqlite runs one engine only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateStore, openStore } from '../src/history/open.js';
import { runIdentity } from '../src/history/store.js';
import { historyGenerator, seedResults, seedStream } from './history-generate.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 1000);
const TESTS = Number(process.env['BENCH_TESTS'] ?? 2000);
const JOBS = 4;
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'stackviz.js');

/** A full collection, when node runs with --expose-gc (`npm run bench:history` does). */
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
let peak = 0;
const sampleRss = (): number => {
  const r = process.memoryUsage().rss;
  peak = Math.max(peak, r);
  return r;
};

/**
 * Wall time of a CLI command, best of `n` (the machine is shared), its CPU time (user + system) in that best
 * run, and its peak RSS (from /usr/bin/time).
 */
function timeCli(args: string[], n = 5): { seconds: number; cpu: number; rss: number; stdout: string } {
  let best = Infinity;
  let cpu = 0;
  let rss = 0;
  let stdout = '';
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, STACKVIZ_DB: '' },
      maxBuffer: 1 << 30,
    });
    const dt = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`stackviz ${args.join(' ')}: ${r.stderr}`);
    const [user, sys, maxKb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
    rss = Math.max(rss, (maxKb ?? 0) * 1024);
    if (dt < best) {
      best = dt;
      cpu = (user ?? 0) + (sys ?? 0);
    }
    stdout = r.stdout;
  }
  return { seconds: best, cpu, rss, stdout };
}

const ms = (s: number): string => `${(s * 1000).toFixed(0)} ms`;

async function pgDatabase(): Promise<{
  url: string;
  drop(): Promise<void>;
  serverCpu(): Promise<() => number | null>;
}> {
  const host = process.env['PGHOST'] ?? '127.0.0.1';
  const port = Number(process.env['PGPORT'] ?? 5432);
  const user = process.env['PGUSER'] ?? 'postgres';
  const name = `stackviz_bench_${process.pid}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ host, port, user, database: 'postgres' });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: `postgres://${user}@${host}:${port}/${name}`,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    async serverCpu(): Promise<() => number | null> {
      // The backend serving the store's connection (the only one to this database), when the server runs
      // here: its CPU seconds from /proc, so that the insert rate can be read as recorder + server time.
      const c = new pg.Client({ host, port, user, database: 'postgres' });
      await c.connect();
      const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
      await c.end();
      const pid = r.rows.length === 1 ? r.rows[0]?.pid : undefined;
      return () => {
        if (pid === undefined) return null;
        try {
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
          return (Number(f[11]) + Number(f[12])) / clockTicks;
        } catch {
          return null;
        }
      };
    },
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux everywhere that matters). */
const clockTicks = 100;

async function bench(engine: 'sqlite' | 'postgres', dir: string): Promise<void> {
  const pgDb = engine === 'postgres' ? await pgDatabase() : null;
  const db = pgDb?.url ?? join(dir, 'bench.sqlite');
  try {
    await migrateStore(db);
    const store = await openStore(db, 'write');
    const serverCpu = (await pgDb?.serverCpu()) ?? ((): null => null);
    const server0 = serverCpu();
    // Room for the runs recorded through the CLI after the store is full (a test's life spans `runs`).
    const gen = historyGenerator({ seed: 7, runs: RUNS + 100, tests: TESTS, jobs: JOBS });
    let insertS = 0;
    let insertCpu = 0;
    let results = 0;
    const rssAt: string[] = [];
    // The rate of each quarter of the runs: the first pays for the JIT warming up, the later ones for a bigger
    // store (PostgreSQL's table outgrows its shared buffers).
    const quarters: string[] = [];
    let quarterS = 0;
    let quarterResults = 0;
    for (let k = 0; k < RUNS; k++) {
      const run = gen.run(k);
      const rows = seedResults(run);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await store.record({
        id: runIdentity(run.job, k, 'bench'),
        job: run.job,
        source: 'bench',
        meta: run.meta,
        results: rows,
      });
      const dt = (performance.now() - t0) / 1000;
      insertS += dt;
      quarterS += dt;
      const c = process.cpuUsage(c0);
      insertCpu += (c.user + c.system) / 1e6;
      results += rows.length;
      quarterResults += rows.length;
      if ((k + 1) % Math.max(1, Math.floor(RUNS / 4)) === 0) {
        quarters.push((quarterResults / quarterS).toFixed(0));
        [quarterS, quarterResults] = [0, 0];
        // RSS follows when V8 collects; the heap left after a full collection is what the store keeps.
        gc?.();
        const heap =
          gc === undefined ? '' : ` (heap after GC ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB)`;
        rssAt.push(`${k + 1} runs ${mb(sampleRss())}${heap}`);
      }
    }
    const server1 = serverCpu();
    const serverS = server0 === null || server1 === null ? null : server1 - server0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const h = await store.history('job-0', 30);
    const inProcess = (performance.now() - t0) / 1000;
    const c1 = process.cpuUsage(c0);
    await store.close();
    console.log(`\n[${engine}] ${RUNS} runs × ${TESTS} tests: ${results.toLocaleString('en')} results`);
    console.log(
      `  insert (parsing excluded): ${(results / insertS).toFixed(0)} results/s wall (${insertS.toFixed(1)} s); ` +
        `${(results / insertCpu).toFixed(0)} per CPU-second of this process (${insertCpu.toFixed(1)} s)` +
        (serverS === null
          ? ''
          : `; server backend ${serverS.toFixed(1)} s CPU: ${(results / (insertCpu + serverS)).toFixed(0)} ` +
            'per CPU-second of both'),
    );
    console.log(`  insert rate by quarter of the runs: ${quarters.join(' / ')} results/s wall`);
    console.log(`  bench process RSS as the store grew: ${rssAt.join(', ')}; peak ${mb(peak)}`);
    console.log(
      `  history of the latest run, in process: ${ms(inProcess)} wall, ${ms((c1.user + c1.system) / 1e6)} CPU ` +
        `(${h.tests.length} tests, ${h.runs.length} runs)`,
    );

    const version = timeCli(['--version']);
    const hist = timeCli(['history', '--db', db, '--job', 'job-0', '--json']);
    const parsed = JSON.parse(hist.stdout) as { tests: unknown[] };
    console.log(
      `  stackviz history --json: ${ms(hist.seconds)} wall, ${ms(hist.cpu)} CPU; beyond process start ` +
        `(stackviz --version: ${ms(version.seconds)} wall, ${ms(version.cpu)} CPU): ` +
        `${ms(hist.seconds - version.seconds)} wall, ${ms(hist.cpu - version.cpu)} CPU; ` +
        `${parsed.tests.length} tests, peak RSS ${mb(hist.rss)}`,
    );
    // More 2,000-test runs through the CLI, into the full store (new runs: new bytes).
    const runs = mkdtempSync(join(dir, 'runs-'));
    let rec = { seconds: Infinity, cpu: 0, rss: 0, stdout: '' };
    for (let i = 0; i < 5; i++) {
      const run = gen.run(RUNS + i);
      const f = join(runs, `extra-${i}.subunit`);
      writeFileSync(f, seedStream(run));
      const r = timeCli(['record', '--db', db, '--job', 'job-0', '-f', f], 1);
      if (r.seconds < rec.seconds) rec = r;
    }
    console.log(
      `  stackviz record of a ${TESTS}-test run: ${ms(rec.seconds)} wall, ${ms(rec.cpu)} CPU; beyond process start ` +
        `${ms(rec.seconds - version.seconds)} wall, ${ms(rec.cpu - version.cpu)} CPU; peak RSS ${mb(rec.rss)}`,
    );
    // End to end through the readers: a repository of 20 runs.
    const repo = join(dir, `repo-${engine}`);
    mkdirSync(join(repo, '.stestr'), { recursive: true });
    writeFileSync(join(repo, '.stestr', 'format'), '1\n');
    let repoResults = 0;
    for (let i = 0; i < 20; i++) {
      const run = gen.run(RUNS + 10 + i);
      repoResults += run.attempts.length;
      writeFileSync(join(repo, '.stestr', String(i)), seedStream(run));
    }
    const e2e = timeCli(['record', '--db', db, '--job', 'job-1', '-r', repo], 1);
    console.log(
      `  end to end through the readers (stackviz record -r, 20 runs, ${repoResults} results): ` +
        `${(repoResults / e2e.seconds).toFixed(0)} results/s wall, ${(repoResults / e2e.cpu).toFixed(0)} per CPU-second ` +
        `of the recorder; peak RSS ${mb(e2e.rss)}`,
    );
    // SQLite lets one writer in at a time (and its busy wait would block this one thread): PostgreSQL only.
    if (engine === 'postgres') await concurrentInsert(db);
  } finally {
    await pgDb?.drop();
  }
}

/**
 * Two recorders at once, as a fleet's jobs record into one PostgreSQL store: each its own connection, 100 runs
 * each, the runs made beforehand.
 */
async function concurrentInsert(db: string): Promise<void> {
  const gen = historyGenerator({ seed: 8, runs: 200, tests: TESTS, jobs: 2 });
  const runs = Array.from({ length: 200 }, (_, k) => {
    const run = gen.run(k);
    const id = runIdentity(`two-${run.job}`, k, 'bench');
    return { id, job: `two-${run.job}`, source: 'bench', meta: run.meta, results: seedResults(run) };
  });
  const results = runs.reduce((n, r) => n + r.results.length, 0);
  const stores = [await openStore(db, 'write'), await openStore(db, 'write')];
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (store, w) => {
      for (let k = w; k < runs.length; k += 2) await store.record(runs[k] as (typeof runs)[number]);
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  for (const store of stores) await store.close();
  console.log(
    `  two recorders at once (a connection each, 100 runs each, ${results} results): ` +
      `${(results / wall).toFixed(0)} results/s wall together`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'stackviz-bench-history-'));
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
try {
  const engines = (process.env['STACKVIZ_BENCH_ENGINES'] ?? 'sqlite,postgres').split(',') as (
    'sqlite' | 'postgres'
  )[];
  for (const e of engines) await bench(e, dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
