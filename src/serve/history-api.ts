// The fleet view's JSON API (`stackviz serve --db DB`): each answer is a few indexed queries on the store,
// so a shared PostgreSQL of millions of results is read as it is now. Errors are JSON too: {"error": "..."}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobSummary, TestHistoryPage } from '../contract/history-format.js';

/** What the API reads of a history store (src/history/store.ts's HistoryStore). */
export interface FleetStore {
  jobs(): Promise<string[]>;
  /** A job's runs in recording order (`seq`), untimed ones included. */
  runs(job: string): Promise<readonly { seq: number }[]>;
  /** A job's run count, trend and top flaky tests. */
  jobSummary(job: string): Promise<JobSummary>;
  testPage(job: string, name: string, window?: number): Promise<TestHistoryPage | null>;
}

/**
 * Every job's summary, each made again only when the job has a run more since the last answer (its run count
 * and last recording number): a fleet's jobs page costs one summary per job that ran, not per job.
 */
export class JobSummaries {
  private readonly cache = new Map<string, { key: string; summary: JobSummary }>();

  constructor(private readonly store: FleetStore) {}

  async all(): Promise<JobSummary[]> {
    const out: JobSummary[] = [];
    for (const job of await this.store.jobs()) {
      const runs = await this.store.runs(job);
      const key = `${runs.length}:${runs[runs.length - 1]?.seq ?? ''}`;
      let hit = this.cache.get(job);
      if (hit?.key !== key) {
        hit = { key, summary: await this.store.jobSummary(job) };
        this.cache.set(job, hit);
      }
      out.push(hit.summary);
    }
    return out;
  }
}

/** Handles a request when it is the API's (`/api/...`); returns false to let the file server answer. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    // Always current: the store changes as recorders write.
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(head ? undefined : body);
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function answer(store: FleetStore, jobs: JobSummaries, url: URL): Promise<unknown> {
  if (url.pathname === '/api/jobs') return jobs.all();
  if (url.pathname === '/api/test') {
    const job = url.searchParams.get('job');
    const name = url.searchParams.get('name');
    if (job === null || name === null) throw new ApiError(400, 'give job and name: /api/test?job=J&name=N');
    const w = url.searchParams.get('window');
    if (w !== null && !/^[1-9]\d{0,5}$/.test(w))
      throw new ApiError(400, 'window is a whole number of runs from 1 to 999999');
    const page = await store.testPage(job, name, w === null ? undefined : Number(w));
    if (page === null)
      throw new ApiError(404, `job ${JSON.stringify(job)} has no test ${JSON.stringify(name)}`);
    return page;
  }
  throw new ApiError(404, `no such API: ${url.pathname} (there are /api/jobs and /api/test)`);
}

export interface ApiOptions {
  /** Hears of the store's failures (answered 500 with their message). */
  onError?: (e: unknown) => void;
  /** The viewer is served alone (no report): `/` goes to the fleet view's page (`index.html#/history`). */
  fleetHome?: boolean;
}

/** The API over a store. */
export function historyApi(store: FleetStore, o: ApiOptions = {}): ApiHandler {
  const onError = o.onError ?? (() => undefined);
  const jobs = new JobSummaries(store);
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false;
    }
    if (o.fleetHome === true && url.pathname === '/' && url.search === '') {
      // To the page itself (a redirect to `/#/history` would ask for `/` again: fragments are not sent).
      res.writeHead(302, { Location: '/index.html#/history', 'Content-Length': 0 });
      res.end();
      return true;
    }
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method not allowed' }, head);
      return true;
    }
    answer(store, jobs, url).then(
      (value) => sendJson(res, 200, value, head),
      (e: unknown) => {
        if (e instanceof ApiError) {
          sendJson(res, e.status, { error: e.message }, head);
          return;
        }
        onError(e);
        sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) }, head);
      },
    );
    return true;
  };
}
