// The viewer on our own exporter's output (the bundled example, -z, --html): counts, details, load lanes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import type { ConfigFile, RawEntry } from '../../src/contract/export-format.js';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { requireViewerBuild } from './viewer-sites.js';

let browser: Browser;
let server: StaticServer;
let dest: string;
let config: ConfigFile;

function readGz<T>(path: string): T {
  return JSON.parse(gunzipSync(readFileSync(join(dest, path))).toString('utf8')) as T;
}

beforeAll(async () => {
  requireViewerBuild();
  dest = join(mkdtempSync(join(tmpdir(), 'stackviz-viewer-export-')), 'site');
  execFileSync(
    process.execPath,
    [
      'bin/stackviz-export.js',
      '-q',
      '-z',
      '--html',
      '-r',
      'examples/stestr-repo',
      '--dstat',
      'examples/dstat.csv',
      dest,
    ],
    { stdio: 'pipe' },
  );
  config = JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;
  browser = await launchBrowser();
  server = await startStaticServer(dest);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dest) rmSync(join(dest, '..'), { recursive: true, force: true });
});

describe('viewer on an exported example', () => {
  it('shows every run with the counts of its stats', async () => {
    const runs = config.tempest ?? [];
    expect(runs.length).toBeGreaterThan(1);
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('.run-card .count-chips');
    expect(await page.locator('.run-card').count()).toBe(runs.length);
    for (const [i, run] of runs.entries()) {
      const card = page.locator('.run-card').nth(i);
      expect(await card.locator('[data-field="count"]').textContent()).toBe(
        run.stats.count.toLocaleString('en-US'),
      );
      for (const [status, n] of Object.entries(run.stats.status_counts ?? {})) {
        const shown = await card.locator(`.count-chips li[data-status="${status}"] .count-num`).textContent();
        expect(Number(shown?.replace(/,/g, ''))).toBe(n);
      }
    }
    await page.close();
  });

  it("opens a failing test's traceback behind a server that ignores ranges (the whole .gz file)", async () => {
    const run = (config.tempest ?? []).find((r) => r.stats.failures.length > 0);
    if (!run?.key) throw new Error('the example has a failing run with a key');
    const raw = readGz<RawEntry[]>(run.raw);
    const index = raw.findIndex((e) => e.status === 'fail' && e.details_range !== null);
    const entry = raw[index];
    if (!entry) throw new Error('failing test with details expected');
    const details = readGz<Record<string, Record<string, string>>>(run.details);
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}#/run/${encodeURIComponent(run.key)}/test/${index}`);
    await page.waitForSelector('pre.traceback');
    expect(await page.textContent('pre.traceback')).toBe(details[entry.details_key ?? '']?.['traceback']);
    // One request, answered whole: not asked again.
    expect(requested.filter((p) => p === `/${run.details}`)).toHaveLength(1);
    await page.close();
  });

  it("draws the run's load lanes from the exported dstat log", async () => {
    const run = config.tempest?.[0];
    if (!run?.key) throw new Error('run with a key expected');
    const page = await browser.newPage();
    await page.goto(`${server.url}#/run/${encodeURIComponent(run.key)}/timeline`);
    await expect
      .poll(() => page.evaluate('window.__stackvizTimeline?.loadLanes.length ?? 0'))
      .toBeGreaterThan(0);
    await page.close();
  });
});
