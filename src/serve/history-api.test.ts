import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary, TestHistoryPage } from '../contract/history-format.js';
import { historyApi, type FleetStore } from './history-api.js';

const jobs: JobSummary[] = [{ job: 'j', runs: 1, latest: null, trend: [], top_flaky: [] }];
const page = { job: 'j', name: 'n', runs: [], failures: [] } as unknown as TestHistoryPage;
const asked: unknown[] = [];
const store: FleetStore = {
  jobSummaries: () => Promise.resolve(jobs),
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
    expect(j).toMatchObject({ status: 200, body: jobs });
    expect(j.type).toMatch(/^application\/json/);
    expect(await get('/api/test?job=j&name=n&window=5')).toMatchObject({ status: 200, body: page });
    expect(asked).toContainEqual(['j', 'n', 5]);
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
