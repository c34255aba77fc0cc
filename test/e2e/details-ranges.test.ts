// Browser test of details stored once: opening one failure of a 20,000-test export served by `stackviz serve`
// fetches only a small part of `_details.json` (plain and -z), and the same export works behind a plain server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { generateStream } from '../../bench/generate.js';
import type { ConfigFile, RawEntry, TempestRun } from '../../src/contract/export-format.js';
import { startServer } from '../../src/serve/server.js';
import { launchBrowser } from './browser.js';
import { startStaticServer } from './static-server.js';
import { requireViewerBuild } from './viewer-sites.js';

let root: string;
let browser: Browser;

beforeAll(async () => {
  requireViewerBuild();
  root = mkdtempSync(join(tmpdir(), 'stackviz-ranges-'));
  const packets: Uint8Array[] = [];
  generateStream({ tests: 20_000, bytes: 30_000_000, seed: 14 }, (p) => packets.push(p));
  writeFileSync(join(root, 'run.subunit'), Buffer.concat(packets));
  for (const [dir, flags] of [
    ['plain', []],
    ['gz', ['-z']],
  ] as const) {
    const args = ['bin/stackviz-export.js', '-q', ...flags, '--html', '-f', join(root, 'run.subunit')];
    execFileSync(process.execPath, [...args, join(root, dir)], { stdio: 'pipe' });
  }
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

function read<T>(dir: string, path: string): T {
  const bytes = readFileSync(join(dir, path));
  return JSON.parse((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as T;
}

/** The export's run and a failure in its middle with a traceback: its index and traceback. */
function failure(dir: string): { run: TempestRun; index: number; traceback: string } {
  const run = (read<ConfigFile>(dir, 'config.json').tempest ?? [])[0] as TempestRun;
  const raw = read<RawEntry[]>(dir, run.raw);
  const details = read<Record<string, Record<string, string>>>(dir, run.details);
  const fails = raw.flatMap((e, i) => (e.status === 'fail' && e.details_range !== null ? [i] : []));
  const index = fails[Math.floor(fails.length / 2)] as number;
  const traceback = details[(raw[index] as RawEntry).details_key ?? '']?.['traceback'];
  if (traceback === undefined) throw new Error('a failure with a traceback expected');
  return { run, index, traceback };
}

/**
 * Opens the failure's page at `url`; returns the bytes of `_details.json` the page received (as the answers'
 * Content-Length: the inspector does not keep a whole 25 MB body to count).
 */
async function open(url: string, dir: string): Promise<number> {
  const { run, index, traceback } = failure(dir);
  const page = await browser.newPage();
  const bodies: Promise<number>[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === `/${run.details}`)
      bodies.push(r.headerValue('content-length').then((n) => Number(n)));
  });
  await page.goto(`${url}#/run/${encodeURIComponent(run.key ?? '')}/test/${index}`);
  await page.waitForSelector('pre.traceback');
  expect(await page.textContent('pre.traceback')).toBe(traceback);
  await page.close();
  return (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
}

describe('a test opened from a 20,000-test export', () => {
  for (const dir of ['plain', 'gz']) {
    it(`fetches under 25% of _details.json from stackviz serve (${dir})`, async () => {
      const served = await startServer({ root: join(root, dir), port: 0, host: '127.0.0.1' });
      try {
        const fetched = await open(served.url, join(root, dir));
        const { run } = failure(join(root, dir));
        const size = statSync(join(root, dir, run.details)).size;
        expect(fetched).toBeGreaterThan(0);
        expect(fetched, `${fetched} of ${size} bytes`).toBeLessThan(size * 0.25);
        console.log(`${dir}: opening one failure fetched ${fetched} of the ${size} bytes of ${run.details}`);
      } finally {
        await served.close();
      }
    }, 60_000);

    it(`shows the test behind a server that ignores ranges (${dir})`, async () => {
      const plain = await startStaticServer(join(root, dir));
      try {
        const fetched = await open(plain.url, join(root, dir));
        expect(fetched).toBe(statSync(join(root, dir, failure(join(root, dir)).run.details)).size);
      } finally {
        await plain.close();
      }
    }, 60_000);
  }
});
