// `stackviz serve`: a small static file server for an exported folder, bound to 127.0.0.1 by default.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { ApiHandler } from './history-api.js';

/** A problem the user can fix (bad folder, port taken): the CLI prints the message as one line. */
export class ServeError extends Error {
  override name = 'ServeError';
}

/**
 * Content types by extension. `.gz` files are sent as what they are (application/gzip) with no
 * Content-Encoding, whatever the client accepts: the viewer sniffs the gzip magic and inflates them itself,
 * exactly as it must behind any plain static server, so serve never rewrites bytes.
 */
const TYPES = new Map<string, string>([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.json', 'application/json'],
  ['.csv', 'text/csv; charset=utf-8'],
  ['.gz', 'application/gzip'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.txt', 'text/plain; charset=utf-8'],
  ['.map', 'application/json'],
]);

export function contentType(file: string): string {
  return TYPES.get(extname(file).toLowerCase()) ?? 'application/octet-stream';
}

export interface ServeOptions {
  root: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  host: string;
  /** When the port is taken, try the next ones (up to this many more) instead of failing. */
  tryNextPorts?: number;
  /** `--db`: the fleet view's API answers `/api/...` before any file. */
  api?: ApiHandler;
  /** False when root is the viewer alone (`stackviz serve --db DB` without DIR): no config.json needed. */
  requireReport?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Checks that `dir` is an exported folder (has config.json) and returns its real path. */
export async function checkExportDir(dir: string): Promise<string> {
  if (!existsSync(dir)) throw new ServeError(`${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new ServeError(`${dir} is not a folder`);
  if (!existsSync(join(dir, 'config.json')) && !existsSync(join(dir, 'data', 'config.json'))) {
    throw new ServeError(
      `${dir} has no config.json: export a run into it first (stackviz-export --html … ${dir})`,
    );
  }
  return realpath(dir);
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The file under `root` for a request path, or an HTTP status when there is none or it is not allowed. */
async function resolveRequest(
  root: string,
  rawUrl: string,
): Promise<{ file: string } | { status: number; location?: string; noViewer?: boolean }> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(rawUrl, 'http://localhost').pathname);
  } catch {
    return { status: 400 };
  }
  // After decoding, `..` (from %2e%2e or %2f) must not climb out; NUL and backslashes have no place in our names.
  const parts = pathname.split('/');
  if (parts.includes('..') || pathname.includes('\0') || pathname.includes('\\')) return { status: 403 };
  const candidate = resolve(root, ...parts.filter((p) => p !== '' && p !== '.'));
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return { status: 404 };
  }
  // Symbolic links may not lead outside the folder either.
  if (real !== root && !real.startsWith(root + sep)) return { status: 403 };
  const st = await stat(real);
  if (st.isDirectory()) {
    // The viewer loads its assets relative to the page: a folder must end with `/`.
    if (!pathname.endsWith('/')) return { status: 301, location: `${pathname}/` };
    const index = join(real, 'index.html');
    return existsSync(index) ? { file: index } : { status: 404, noViewer: true };
  }
  return st.isFile() ? { file: real } : { status: 404 };
}

/**
 * The byte range a `Range` header asks of a file of `size` bytes: `[start, end]` (inclusive), 'unsatisfiable',
 * or null to send the whole file (no header, one we do not read: several ranges, other units, bad syntax).
 * The viewer asks one range of `_details.json` per opened test.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return [start, end];
}

function handler(root: string, api?: ApiHandler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (api?.(req, res) === true) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed');
      return;
    }
    resolveRequest(root, req.url ?? '/')
      .then((r) => {
        if ('status' in r) {
          if (r.location !== undefined) res.setHeader('Location', r.location);
          send(
            res,
            r.status,
            r.noViewer
              ? 'no index.html here: export with `stackviz-export --html DEST` to add the viewer'
              : r.status === 404
                ? 'not found'
                : r.status === 403
                  ? 'forbidden'
                  : 'bad request',
          );
          return;
        }
        const size = statSync(r.file).size;
        const headers = {
          'Content-Type': contentType(r.file),
          'Accept-Ranges': 'bytes',
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
        };
        const range = parseRange(req.headers.range, size);
        if (range === 'unsatisfiable') {
          res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
          res.end();
          return;
        }
        const [start, end] = range ?? [0, size - 1];
        res.writeHead(range === null ? 200 : 206, {
          ...headers,
          'Content-Length': end - start + 1,
          ...(range === null ? {} : { 'Content-Range': `bytes ${start}-${end}/${size}` }),
        });
        if (req.method === 'HEAD' || size === 0) {
          res.end();
          return;
        }
        const stream = createReadStream(r.file, { start, end });
        stream.on('error', () => res.destroy());
        stream.pipe(res);
      })
      .catch(() => {
        if (!res.headersSent) send(res, 500, 'internal error');
        else res.destroy();
      });
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolveListen();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Starts serving `root` (an export folder). A taken port fails with a clear message, or moves on when allowed. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const root = opts.requireReport === false ? await realpath(opts.root) : await checkExportDir(opts.root);
  const server = createServer(handler(root, opts.api));
  const tries = opts.port === 0 ? 0 : (opts.tryNextPorts ?? 0);
  let port = opts.port;
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, port, opts.host);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && attempt < tries && port < 65535) {
        port++;
        continue;
      }
      if (code === 'EADDRINUSE') {
        throw new ServeError(
          tries > 0
            ? `ports ${opts.port}–${port} on ${opts.host} are all in use; choose another with --port N (0 = any free port)`
            : `port ${port} on ${opts.host} is in use; choose another with --port N (0 = any free port)`,
        );
      }
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
        throw new ServeError(`cannot listen on host ${opts.host}`);
      if (code === 'EACCES')
        throw new ServeError(`not allowed to listen on port ${port} (try a port above 1024)`);
      throw e;
    }
  }
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new ServeError('the server has no address');
  const hostForUrl =
    addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostForUrl}:${addr.port}/`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // Open keep-alive connections would hold close() forever.
        server.closeAllConnections();
      }),
  };
}
