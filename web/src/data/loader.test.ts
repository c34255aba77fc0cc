// The loader against a fake fetch: config in either place, .gz with or without server decompression, one shard per test.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import {
  loadBytes,
  loadDetails,
  loadDstat,
  loadReport,
  loadRunOutput,
  loadTests,
  LoadError,
  resetLoaderCaches,
} from './loader';

let files: Map<string, Uint8Array<ArrayBuffer>>;
let requested: string[];

function put(path: string, value: unknown, gzip = false): void {
  const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  files.set(path, new Uint8Array(gzip ? gzipSync(bytes) : bytes));
}

beforeEach(() => {
  resetLoaderCaches();
  files = new Map();
  requested = [];
  vi.stubGlobal('fetch', (path: string) => {
    requested.push(path);
    const body = files.get(path);
    return Promise.resolve(
      body ? new Response(body) : new Response('not found', { status: 404, statusText: 'Not Found' }),
    );
  });
});
afterEach(() => vi.unstubAllGlobals());

const entry = (name: string, status: string, extra: object = {}): object => ({
  name,
  status,
  tags: ['worker-0'],
  timestamps: ['2020-01-01T00:00:00+00:00', '2020-01-01T00:00:01+00:00'],
  duration: 1,
  details: {},
  ...extra,
});

describe('loader', () => {
  it('inflates gzip bytes whatever the server did', async () => {
    put('a.json.gz', { a: 1 }, true);
    put('b.json.gz', { b: 2 }); // a server that already decompressed it
    expect(new TextDecoder().decode(await loadBytes('a.json.gz'))).toBe('{"a":1}');
    expect(new TextDecoder().decode(await loadBytes('b.json.gz'))).toBe('{"b":2}');
    await expect(loadBytes('missing.json')).rejects.toThrow(LoadError);
  });

  it('finds data/config.json (the original layout) and reads stats files', async () => {
    const raw = [entry('t.a', 'success'), entry('t.b', 'fail')];
    put('data/config.json', {
      deployer: false,
      datasets: [
        {
          artifacts: [
            { path: 'x-raw.json', artifact_name: 'x', artifact_type: 'subunit' },
            { path: 'x-details.json', artifact_name: 'x', artifact_type: 'subunit-details' },
            { path: 'x-stats.json', artifact_name: 'x', artifact_type: 'subunit-stats' },
          ],
        },
      ],
    });
    put('data/x-raw.json', raw);
    put('data/x-stats.json', {
      count: 2,
      start: null,
      end: null,
      total_duration: 1,
      failures: [],
      skips: [],
    });
    put('data/x-details.json', { 't.b': { traceback: 'boom' } });
    const report = await loadReport();
    expect(report.runs).toHaveLength(1);
    const run = report.runs[0];
    if (!run) throw new Error('no run');
    expect(run.stats.count).toBe(2);
    expect(run.files.raw).toBe('data/x-raw.json');
    const tests = await loadTests(run);
    expect(tests.count).toBe(2);
    expect(await loadDetails(run, 1)).toEqual(new Map([['traceback', 'boom']]));
    expect(await loadDetails(run, 0)).toBeNull();
  });

  it('reads only the opened test’s shard', async () => {
    const stats = { count: 3, start: null, end: null, total_duration: 3, failures: [], skips: [] };
    put('config.json', {
      deployer: false,
      datasets: [],
      tempest: [
        {
          id: 0,
          name: 'r',
          source: 's',
          raw: 'r_raw.json.gz',
          details: 'r_details.json.gz',
          tree: 'r_tree.json.gz',
          stats,
          details_shards: ['d/0.json.gz', 'd/1.json.gz'],
          key: 's_0',
        },
      ],
    });
    put(
      'r_raw.json.gz',
      [
        entry('a', 'success', { details_key: 'a', details_shard: 0 }),
        entry('constructor', 'fail', { details_key: 'constructor', details_shard: 1 }),
        entry('a', 'fail', { details_key: 'a#2', details_shard: 1 }),
      ],
      true,
    );
    put('d/0.json.gz', { a: { stdout: 'first' } }, true);
    put('d/1.json.gz', { 'a#2': { stdout: 'second' } }, true);
    const report = await loadReport();
    const run = report.runs[0];
    if (!run) throw new Error('no run');
    expect(run.key).toBe('s_0');
    expect(await loadDetails(run, 2)).toEqual(new Map([['stdout', 'second']]));
    // `constructor` is not in its shard: nothing inherited from Object.prototype may answer.
    expect(await loadDetails(run, 1)).toBeNull();
    expect(requested).not.toContain('r_details.json.gz');
    expect(requested).not.toContain('d/0.json.gz');
    expect(requested.filter((p) => p === 'd/1.json.gz')).toHaveLength(1);
  });

  it('says clearly when there is no config, or a broken one', async () => {
    await expect(loadReport()).rejects.toThrow(/neither config\.json nor data\/config\.json/);
    put('config.json', '{"tempest": [');
    await expect(loadReport()).rejects.toMatchObject({ kind: 'malformed' });
    put('config.json', { deployer: false, datasets: [] });
    await expect(loadReport()).rejects.toThrow(/no runs/);
  });

  it('derives stats from the tests when the config has none', async () => {
    put('config.json', {
      datasets: [{ artifacts: [{ path: 'r.json', artifact_name: 'r', artifact_type: 'subunit' }] }],
    });
    put('r.json', [entry('a', 'success'), entry('b', 'skip'), entry('c', 'fail')]);
    const report = await loadReport();
    const stats = report.runs[0]?.stats;
    expect(stats?.count).toBe(3);
    expect(stats?.status_counts).toEqual({ success: 1, fail: 1, skip: 1 });
    expect(stats?.failures.map((f) => f.name)).toEqual(['c']);
  });

  it("parses the run's dstat log with the run start as reference, and reports a broken one", async () => {
    const csv = readFileSync('examples/dstat.csv', 'utf8');
    const stats = {
      count: 1,
      start: '2026-01-01T00:00:00+00:00',
      end: null,
      total_duration: 0,
      failures: [],
      skips: [],
    };
    const run = (raw: string, dstat: string): object => ({
      id: 0,
      name: raw,
      source: 's',
      raw,
      details: '',
      tree: '',
      stats,
      dstat,
    });
    put('config.json', {
      deployer: false,
      datasets: [],
      tempest: [run('a.json', 'dstat_log.csv.gz'), run('b.json', 'nope.csv')],
    });
    put('dstat_log.csv.gz', csv, true);
    put('nope.csv', 'this is not,a dstat log\n1,2\n');
    const report = await loadReport();
    const [a, b] = report.runs;
    if (!a || !b) throw new Error('two runs expected');
    const log = await loadDstat(a);
    expect(log?.rows).toBeGreaterThan(10);
    expect(log?.timeMs.length).toBe(log?.rows);
    expect(Object.keys(log?.series ?? {})).toContain('cpu_user');
    await expect(loadDstat(b)).rejects.toThrow(LoadError);
  });

  it("reads the run's own output from its shard, or says there is none", async () => {
    const stats = (key: string | null, shard: number | null): object => ({
      count: 0,
      start: null,
      end: null,
      total_duration: 0,
      failures: [],
      skips: [],
      stream_output_key: key,
      stream_output_shard: shard,
    });
    const run = (id: number, key: string | null, shard: number | null): object => ({
      id,
      name: `r${id}`,
      source: 's',
      raw: 'r.json',
      details: 'all.json',
      tree: '',
      stats: stats(key, shard),
      details_shards: ['s0.json', 's1.json'],
    });
    put('config.json', {
      deployer: false,
      datasets: [],
      tempest: [run(0, '<stream>', 1), run(1, null, null)],
    });
    put('s1.json', { '<stream>': { stdout: 'not subunit' } });
    const [a, b] = (await loadReport()).runs;
    if (!a || !b) throw new Error('two runs expected');
    expect(await loadRunOutput(a)).toEqual(new Map([['stdout', 'not subunit']]));
    expect(await loadRunOutput(b)).toBeNull();
    expect(requested).not.toContain('all.json');
  });
});
