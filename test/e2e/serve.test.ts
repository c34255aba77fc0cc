// Black-box tests of `stackviz serve` (the built bin): content types, no gzip rewriting, ranges, traversal, ports, signals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BIN = 'bin/stackviz.js';

let root: string;
let dir: string;

interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built `stackviz serve` and waits for the URL it prints. */
async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; stdout=${out} stderr=${err}`)), 10_000);
    const check = (): void => {
      const m = /http:\/\/\S+\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout?.on('data', check);
    void exit.then(() => reject(new Error(`exited early: ${err}`)));
  });
  return { child, url, stdout: () => out, exit };
}

/** A GET with the path sent exactly as written (fetch would normalise `..` away). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(() => {
  if (!existsSync('dist/src/cli/stackviz-main.js'))
    throw new Error('run `npm run build` first (npm test does)');
  root = mkdtempSync(join(tmpdir(), 'stackviz-serve-'));
  dir = join(root, 'site');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(root, 'secret.txt'), 'TOP SECRET');
  writeFileSync(join(dir, 'config.json'), '{"tempest":[]}');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'assets', 'index-a.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-a.css'), 'body{}');
  writeFileSync(join(dir, 'dstat_log.csv'), 'a,b\n1,2\n');
  writeFileSync(join(dir, 'x_raw.json.gz'), gzipSync('[{"name":"t"}]'));
  mkdirSync(join(dir, 'details'));
  writeFileSync(join(dir, 'details', 'shard-0.json'), '{}');
  symlinkSync(join(root, 'secret.txt'), join(dir, 'link.txt'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('stackviz serve', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve([dir, '--port', '0']);
  });
  afterAll(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });

  it('prints a 127.0.0.1 URL and serves index.html at /', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(s.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<title>x</title>');
  });

  it.each([
    ['config.json', /^application\/json/],
    ['dstat_log.csv', /^text\/csv/],
    ['assets/index-a.js', /^text\/javascript/],
    ['assets/index-a.css', /^text\/css/],
    ['details/shard-0.json', /^application\/json/],
  ])('%s has the right content type', async (path, type) => {
    const res = await fetch(s.url + path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
  });

  it('answers a Range request with the bytes asked for (206), an unsatisfiable one with 416', async () => {
    const gz = gzipSync('[{"name":"t"}]');
    const part = await fetch(s.url + 'x_raw.json.gz', { headers: { Range: 'bytes=2-9' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 2-9/${gz.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(gz.subarray(2, 10))).toBe(true);
    const none = await fetch(s.url + 'x_raw.json.gz', { headers: { Range: `bytes=${gz.length}-` } });
    expect([none.status, none.headers.get('content-range')]).toEqual([416, `bytes */${gz.length}`]);
    await none.arrayBuffer();
  });

  it('sends .gz files as application/gzip, bytes unchanged, no Content-Encoding even when gzip is accepted', async () => {
    const res = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const u = new URL(s.url);
      request(
        { host: u.hostname, port: u.port, path: '/x_raw.json.gz', headers: { 'Accept-Encoding': 'gzip' } },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (b: Buffer) => chunks.push(b));
          r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
        },
      )
        .on('error', reject)
        .end();
    });
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body[0]).toBe(0x1f);
    expect(res.body[1]).toBe(0x8b);
    expect(res.body.equals(gzipSync('[{"name":"t"}]'))).toBe(true);
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/link.txt',
  ])('refuses to leave the folder: %s', async (path) => {
    const res = await rawGet(s.url, path);
    expect([400, 403, 404]).toContain(res.status);
    expect(res.body).not.toContain('TOP SECRET');
  });

  it('answers 404 for a missing file and redirects a folder to its slash form', async () => {
    expect((await rawGet(s.url, '/nope.json')).status).toBe(404);
    const res = await fetch(s.url + 'details', { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/details/');
  });

  it('stops cleanly on SIGTERM (exit 0)', async () => {
    s.child.kill('SIGTERM');
    expect(await s.exit).toEqual({ code: 0, signal: null });
  });
});

describe('stackviz serve: stopping, ports and errors', () => {
  it('stops cleanly on Ctrl-C (SIGINT, exit 0), even with a keep-alive connection open', async () => {
    const s = await serve([dir, '--port', '0']);
    await fetch(s.url + 'config.json', { keepalive: true });
    s.child.kill('SIGINT');
    expect(await s.exit).toEqual({ code: 0, signal: null });
  });

  it('an explicit port in use is one clear line and exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const addr = blocker.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    try {
      const r = spawnSync(process.execPath, [BIN, 'serve', dir, '--port', String(port)], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `stackviz: port ${port} on 127.0.0.1 is in use; choose another with --port N (0 = any free port)`,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it.each([
    [['serve', '/definitely/not/here'], /^stackviz: \/definitely\/not\/here: no such folder$/],
    [['serve', 'test'], /^stackviz: test has no config\.json/],
    [['serve'], /give the exported folder to serve \(stackviz serve DIR\), or --db DB/],
    [['serve', '.', '--port', 'eighty'], /port is a number/],
  ])('stackviz %j fails in one line without a stack trace', (args, message) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('`stackviz export …` is stackviz-export: same output, same exit code', () => {
    const viaAlias = spawnSync(process.execPath, [BIN, 'export', join(root, 'out')], { encoding: 'utf8' });
    const direct = spawnSync(process.execPath, ['bin/stackviz-export.js', join(root, 'out')], {
      encoding: 'utf8',
    });
    expect(direct.status).not.toBe(0);
    expect(viaAlias.status).toBe(direct.status);
    expect(viaAlias.stderr).toBe(direct.stderr);
    const help = spawnSync(process.execPath, [BIN, 'export', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/stackviz-export/);
  });

  it('has --help and --version', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/serve/);
    const v = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
