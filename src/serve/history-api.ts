// The fleet view's JSON API (`stackviz serve --db DB`): each answer is a few indexed queries on the store,
// so a shared PostgreSQL of millions of results is read as it is now. Errors are JSON too: {"error": "..."}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobSummary, TestHistoryPage } from '../contract/history-format.js';

/** What the API reads of a history store (src/history/store.ts's HistoryStore). */
export interface FleetStore {
  jobSummaries(): Promise<JobSummary[]>;
  testPage(job: string, name: string, window?: number): Promise<TestHistoryPage | null>;
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

async function answer(store: FleetStore, url: URL): Promise<unknown> {
  if (url.pathname === '/api/jobs') return store.jobSummaries();
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

/** The API over a store. `onError` hears of the store's failures (answered 500 with their message). */
export function historyApi(store: FleetStore, onError: (e: unknown) => void = () => undefined): ApiHandler {
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false;
    }
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'method not allowed' }, head);
      return true;
    }
    answer(store, url).then(
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
