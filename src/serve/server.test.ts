// Unit tests of the serve module: moving on to the next free port, and content types by extension.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentType, startServer, type RunningServer } from './server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function exportDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stackviz-serve-unit-'));
  writeFileSync(join(dir, 'config.json'), '{}');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function occupy(): Promise<number> {
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
  const addr = blocker.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

describe('startServer', () => {
  it('moves to a following port when allowed and the port is taken', async () => {
    const taken = await occupy();
    let server: RunningServer | null = null;
    try {
      server = await startServer({ root: exportDir(), port: taken, host: '127.0.0.1', tryNextPorts: 20 });
    } catch (e) {
      // The next 20 ports may all be taken by other processes on a busy machine; the message must say so.
      expect(String(e)).toMatch(/all in use/);
      return;
    }
    cleanups.push(() => server?.close());
    expect(server.port).toBeGreaterThan(taken);
    expect(server.port).toBeLessThanOrEqual(taken + 20);
    expect((await fetch(server.url + 'config.json')).status).toBe(200);
  });

  it('fails on a taken port when not allowed to move', async () => {
    const taken = await occupy();
    await expect(startServer({ root: exportDir(), port: taken, host: '127.0.0.1' })).rejects.toThrow(
      `port ${taken} on 127.0.0.1 is in use`,
    );
  });
});

describe('contentType', () => {
  it.each([
    ['a/config.json', 'application/json'],
    ['x_raw.json.gz', 'application/gzip'],
    ['dstat_log.csv', 'text/csv; charset=utf-8'],
    ['index.html', 'text/html; charset=utf-8'],
    ['INDEX.HTML', 'text/html; charset=utf-8'],
    ['assets/i.js', 'text/javascript; charset=utf-8'],
    ['assets/i.css', 'text/css; charset=utf-8'],
    ['blob.bin', 'application/octet-stream'],
  ])('%s → %s', (file, type) => {
    expect(contentType(file)).toBe(type);
  });
});
