// Unit tests of the serve module: moving on to the next free port, content types, byte ranges.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentType, parseRange, startServer, type RunningServer } from './server.js';

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

describe('Range requests', () => {
  it.each([
    [undefined, null],
    ['bytes=0-9', [0, 9]],
    ['bytes=5-', [5, 99]],
    ['bytes=90-200', [90, 99]],
    ['bytes=-10', [90, 99]],
    ['bytes=-500', [0, 99]],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-5', null],
    ['bytes=0-1,5-6', null],
    ['items=0-1', null],
  ])('%s of 100 bytes → %j', (header, want) => {
    expect(parseRange(header, 100)).toEqual(want);
  });

  it('answers one range with 206 and its bytes, an unsatisfiable one with 416, none with 200', async () => {
    const dir = exportDir();
    const text = Array.from({ length: 1000 }, (_, i) => String(i % 10)).join('');
    writeFileSync(join(dir, 'd.json'), text);
    const server = await startServer({ root: dir, port: 0, host: '127.0.0.1' });
    cleanups.push(() => server.close());
    const get = (range?: string): Promise<Response> =>
      fetch(server.url + 'd.json', range === undefined ? {} : { headers: { Range: range } });
    const part = await get('bytes=10-29');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-29/1000');
    expect(part.headers.get('content-length')).toBe('20');
    expect(await part.text()).toBe(text.slice(10, 30));
    const tail = await get('bytes=990-');
    expect([tail.status, await tail.text()]).toEqual([206, text.slice(990)]);
    const none = await get('bytes=1000-');
    expect(none.status).toBe(416);
    expect(none.headers.get('content-range')).toBe('bytes */1000');
    await none.arrayBuffer();
    const whole = await get();
    expect([whole.status, whole.headers.get('accept-ranges'), (await whole.text()).length]).toEqual([
      200,
      'bytes',
      1000,
    ]);
  });
});
