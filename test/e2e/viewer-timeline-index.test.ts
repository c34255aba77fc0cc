// Browser tests of the timeline index: the timeline draws from it without raw.json, reads a selected test's entry
// of raw.json for its tags (by Range where the server answers ranges), and draws the same thing from raw.json
// when the index is missing or unreadable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ConfigFile } from '../../src/contract/export-format.js';
import { launchBrowser } from './browser.js';
import { startServer } from '../../src/serve/server.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { busyDstat, busyRun, exportHtml, streamOf, type Export } from './viewer-ux-fixtures.js';

interface DebugLike {
  frames: number;
  runStartMs: number;
  runEndMs: number;
  rows: number;
  drawnByStatus: Record<string, number>;
  axisLabels: readonly { text: string }[];
  testClientPoint(index: number): { x: number; y: number } | null;
}
interface PageGlobals {
  __stackvizTimeline?: DebugLike;
}

let browser: Browser;
let site: Export;
let server: StaticServer;
let config: ConfigFile;

beforeAll(async () => {
  browser = await launchBrowser();
  site = exportHtml({ busy: streamOf(busyRun()) }, busyDstat());
  config = JSON.parse(readFileSync(join(site.dir, 'config.json'), 'utf8')) as ConfigFile;
  server = await startStaticServer(site.dir);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.remove();
});

/** Writes config.json with the run's `timeline` changed (undefined: left out). */
function setIndex(path: string | undefined): void {
  const c = structuredClone(config);
  const run = c.tempest?.[0];
  if (run === undefined) throw new Error('no run');
  if (path === undefined) delete run.timeline;
  else run.timeline = path;
  writeFileSync(join(site.dir, 'config.json'), JSON.stringify(c));
}

/**
 * The timeline page, drawn; the data files it asked for, by kind (`raw`, `timeline`, with ` range` for a Range
 * request), as they are asked, and the bytes of raw.json that came back.
 */
async function open(
  url = server.url,
): Promise<{ page: Page; asked: string[]; errors: string[]; rawBytes: () => number }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const asked: string[] = [];
  const errors: string[] = [];
  let rawBytes = 0;
  page.on('request', (r) => {
    const m = /_(raw|timeline)\.json/.exec(r.url());
    if (m) asked.push(`${m[1] as string}${r.headers()['range'] === undefined ? '' : ' range'}`);
  });
  page.on('response', (r) => {
    if (/_raw\.json/.test(r.url())) void r.body().then((b) => (rawBytes += b.length));
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}#/run/busy/timeline`);
  await page.waitForFunction(
    () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.frames ?? 0) > 0,
    null,
    { timeout: 30_000 },
  );
  return { page, asked, errors, rawBytes: () => rawBytes };
}

/** The first test that ran on worker 1. */
function onWorker1(): number {
  const raw = JSON.parse(readFileSync(join(site.dir, config.tempest?.[0]?.raw ?? ''), 'utf8')) as {
    tags: string[];
  }[];
  return raw.findIndex((e) => e.tags.includes('worker-1'));
}

/** Clicks test `index` on the timeline and waits for its tags in the selection panel; returns the facts shown. */
async function select(page: Page, index: number): Promise<string[]> {
  const p = await page.evaluate(
    (i) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.testClientPoint(i),
    index,
  );
  if (!p) throw new Error(`test ${index} is not on screen`);
  await page.mouse.click(p.x, p.y);
  await page.locator('.tl-facts dt', { hasText: 'tags' }).waitFor();
  return page.locator('.tl-facts dd').allTextContents();
}

/** What the first frame shows: run bounds, rows, bars per status, axis labels. */
function drawn(page: Page): Promise<unknown> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as PageGlobals).__stackvizTimeline as DebugLike;
    return [d.runStartMs, d.runEndMs, d.rows, d.drawnByStatus, d.axisLabels.map((l) => l.text)];
  });
}

describe('the timeline index', () => {
  it('draws the timeline without raw.json, and reads it for a selected test’s tags', async () => {
    setIndex(config.tempest?.[0]?.timeline);
    const { page, asked, errors } = await open();
    expect(asked).toEqual(['timeline']);
    // The facts the index has come at once; the tags once the test's entry is read. This server answers a
    // Range request with the whole file, which is kept: the next test's tags need no request.
    expect(await select(page, 0)).toContain('worker-0');
    expect(asked).toEqual(['timeline', 'raw range']);
    expect(await select(page, onWorker1())).toContain('worker-1');
    expect(asked).toEqual(['timeline', 'raw range']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("reads only a selected test's entry of raw.json from a server that answers ranges", async () => {
    setIndex(config.tempest?.[0]?.timeline);
    const served = await startServer({ root: site.dir, port: 0, host: '127.0.0.1' });
    try {
      const { page, asked, errors, rawBytes } = await open(served.url);
      const whole = readFileSync(join(site.dir, config.tempest?.[0]?.raw ?? '')).length;
      expect(await select(page, 0)).toContain('worker-0');
      expect(await select(page, onWorker1())).toContain('worker-1');
      expect(asked).toEqual(['timeline', 'raw range', 'raw range']);
      // Two entries of a few hundred bytes, not the file.
      expect(rawBytes()).toBeGreaterThan(0);
      expect(rawBytes()).toBeLessThan(Math.min(4096, whole / 4));
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await served.close();
    }
  });

  it("opens a test's page from its own entry of raw.json, its tags and its attachments", async () => {
    setIndex(config.tempest?.[0]?.timeline);
    const served = await startServer({ root: site.dir, port: 0, host: '127.0.0.1' });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const asked: string[] = [];
      page.on('request', (r) => {
        const m = /_(raw|timeline|details)\.json/.exec(r.url());
        if (m) asked.push(`${m[1] as string}${r.headers()['range'] === undefined ? '' : ' range'}`);
      });
      // A test with attachments.
      const raw = JSON.parse(readFileSync(join(site.dir, config.tempest?.[0]?.raw ?? ''), 'utf8')) as {
        tags: string[];
        details_range: [number, number] | null;
      }[];
      const i = raw.findIndex((e) => (e.details_range?.[0] ?? -1) >= 0);
      expect(i).toBeGreaterThanOrEqual(0);
      await page.goto(`${served.url}#/run/busy/test/${i}`);
      await page.locator('.test-facts [data-field="tags"]').waitFor();
      expect(await page.textContent('.test-facts [data-field="tags"]')).toBe(
        (raw[i] as { tags: string[] }).tags.join(', '),
      );
      await page.locator('.attach-slot .attachments').waitFor();
      // The index for the columns, the test's entry and its details: three small reads, no whole file.
      expect(asked).toEqual(['timeline', 'raw range', 'details range']);
      await page.close();
    } finally {
      await served.close();
    }
  });

  it('draws the same frame from raw.json without an index, or with one it cannot read', async () => {
    setIndex(config.tempest?.[0]?.timeline);
    const withIndex = await open();
    const expected = await drawn(withIndex.page);
    await withIndex.page.close();

    setIndex(undefined);
    const without = await open();
    expect(without.asked).toEqual(['raw']);
    expect(await drawn(without.page)).toEqual(expected);
    await without.page.close();

    // Not gzip, not JSON: read as a broken file, then raw.json instead.
    writeFileSync(join(site.dir, 'broken_timeline.json.gz'), 'not an index');
    setIndex('broken_timeline.json.gz');
    const broken = await open();
    expect(broken.asked).toEqual(['timeline', 'raw']);
    expect(await drawn(broken.page)).toEqual(expected);
    expect(broken.errors).toEqual([]);
    await broken.page.close();
  });
});
