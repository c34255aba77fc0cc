import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRun, JobSummary, TestHistoryPage } from '../contract/history-format.js';
import { historyApi, type FleetStore } from './history-api.js';

const page = { job: 'j', name: 'n', runs: [], failures: [] } as unknown as TestHistoryPage;
const asked: unknown[] = [];
const run = (i: number): HistoryRun => ({
  id: `r${i}`,
  start: `2026-01-0${i + 1}T00:00:00Z`,
  tests: 2,
  failures: i,
});
/** Job j's runs (seq numbers); a new one is pushed by a test. */
const runsOf: Record<string, { seq: number }[]> = { j: [{ seq: 1 }, { seq: 2 }], k: [] };
const analysed: string[] = [];
const store: FleetStore = {
  jobs: () => Promise.resolve(Object.keys(runsOf)),
  runs: (job) => Promise.resolve(runsOf[job] ?? []),
  jobSummary: (job) => {
    analysed.push(job);
    const n = runsOf[job]?.length ?? 0;
    const trend = Array.from({ length: n }, (_, i) => run(i));
    const summary: JobSummary = {
      job,
      runs: n,
      latest: trend[n - 1]?.start ?? null,
      trend,
      top_flaky: [{ name: 'c', flips: 5, runs: 2, failures: 1 }],
    };
    return Promise.resolve(summary);
  },
  testPage: (job, name, window) => {
    asked.push([job, name, window]);
    if (name === 'boom') return Promise.reject(new Error('connection lost'));
    return Promise.resolve(name === 'n' ? page : null);
  },
};

let server: Server;
let base = '';
const failures: unknown[] = [];

beforeAll(async () => {
  const api = historyApi(store, { onError: (e) => failures.push(e) });
  server = createServer((req, res) => {
    if (!api(req, res)) res.writeHead(418).end('file server');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function get(path: string, method = 'GET'): Promise<{ status: number; body: unknown; type: string }> {
  const res = await fetch(base + path, { method });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? null : (JSON.parse(text) as unknown),
    type: res.headers.get('content-type') ?? '',
  };
}

describe('the fleet API', () => {
  it('answers the jobs and a test page as JSON', async () => {
    const j = await get('/api/jobs');
    expect(j.status).toBe(200);
    expect(j.type).toMatch(/^application\/json/);
    const jobs = j.body as JobSummary[];
    expect(jobs.map((x) => [x.job, x.runs, x.latest])).toEqual([
      ['j', 2, '2026-01-02T00:00:00Z'],
      ['k', 0, null],
    ]);
    expect(jobs[0]?.top_flaky.map((t) => t.name)).toEqual(['c']);
    expect(jobs[0]?.trend.map((r) => r.failures)).toEqual([0, 1]);
    expect(await get('/api/test?job=j&name=n&window=5')).toMatchObject({ status: 200, body: page });
    expect(asked).toContainEqual(['j', 'n', 5]);
  });

  it('analyses a job again only when it has a new run', async () => {
    analysed.length = 0;
    await get('/api/jobs');
    expect(analysed).toEqual([]);
    runsOf['k']?.push({ seq: 3 });
    const j = await get('/api/jobs');
    expect(analysed).toEqual(['k']);
    expect((j.body as JobSummary[])[1]?.runs).toBe(1);
  });

  it('gives errors as JSON with their status', async () => {
    expect(await get('/api/test?job=j')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/job and name/) },
    });
    expect(await get('/api/test?job=j&name=n&window=0')).toMatchObject({ status: 400 });
    expect(await get('/api/test?job=j&name=zz')).toMatchObject({
      status: 404,
      body: { error: expect.stringMatching(/no test "zz"/) },
    });
    expect(await get('/api/nothing')).toMatchObject({ status: 404 });
    expect(await get('/api/jobs', 'POST')).toMatchObject({ status: 405 });
    expect(await get('/api/test?job=j&name=boom')).toMatchObject({
      status: 500,
      body: { error: 'connection lost' },
    });
    expect(failures).toHaveLength(1);
  });

  it('leaves every other path to the file server', async () => {
    expect((await fetch(`${base}/apiary/x`)).status).toBe(418);
    expect((await fetch(`${base}/index.html`)).status).toBe(418);
  });
});
