// Browser tests of the viewer core on the samples: home counts equal the stats, tracebacks open, deep links restore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { copyExpected, makeSite, readExpectedJson, type Site } from './viewer-sites.js';

interface RawEntry {
  name: string;
  status: string;
}
interface Stats {
  count: number;
  failures: { name: string }[];
  skips: { name: string; details: string | null }[];
}

const SAMPLES = [
  'stestr-failure',
  'stestr-repo-run-0',
  'stestr-repo-run-1',
  'stestr-all_skips',
  'stestr-successful',
  'tempest',
];

let browser: Browser;
let site: Site;
let server: StaticServer;

beforeAll(async () => {
  browser = await launchBrowser();
  site = makeSite();
  // One sub-folder per sample; the tempest one in the original front-end's data/ layout.
  for (const s of SAMPLES) {
    copyExpected(site, s, s === 'tempest' ? `${s}/data/` : `${s}/`);
    site.addViewer(s);
  }
  server = await startStaticServer(site.dir);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.remove();
});

/** The sample's folder: the viewer next to the sample's data. */
function sampleUrl(sample: string, hash = '/'): string {
  return `${server.url}${sample}/#${hash}`;
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  expect(errors).toEqual([]);
  return page;
}

describe('viewer core on the samples', () => {
  it.each(SAMPLES)('home counts equal the stats (%s)', async (sample) => {
    const stats = readExpectedJson<Stats>(sample, 'stats.json');
    const raw = readExpectedJson<RawEntry[]>(sample, 'raw.json');
    const page = await openPage(sampleUrl(sample));
    await page.waitForSelector('.run-card .count-chips');
    expect(await page.textContent('.run-card [data-field="count"]')).toBe(
      stats.count.toLocaleString('en-US'),
    );
    const chips = page.locator('.run-card .count-chips li');
    const shown = new Map<string, number>();
    for (let i = 0; i < (await chips.count()); i++) {
      const chip = chips.nth(i);
      const n = (await chip.locator('.count-num').textContent()) ?? '';
      shown.set((await chip.getAttribute('data-status')) ?? '', Number(n.replace(/,/g, '')));
    }
    expect(shown.get('fail')).toBe(stats.failures.length);
    expect(shown.get('skip')).toBe(stats.skips.length);
    expect([...shown.values()].reduce((a, b) => a + b, 0)).toBe(stats.count);
    for (const [status, n] of shown) expect(raw.filter((e) => e.status === status)).toHaveLength(n);
    // Every failure and skip is listed, by name, as a link to its test.
    const failNames = await page.locator('.fail-list a.test-name').allTextContents();
    expect(failNames).toEqual(stats.failures.slice(0, 20).map((f) => f.name));
    const skipReasons = await page.locator('.skip-list .reason').allTextContents();
    expect(skipReasons).toEqual(stats.skips.slice(0, 10).flatMap((s) => (s.details ? [s.details] : [])));
    await page.close();
  });

  it("a failing test's traceback opens from the home page", async () => {
    const details = readExpectedJson<Record<string, Record<string, string>>>(
      'stestr-repo-run-1',
      'details.json',
    );
    const stats = readExpectedJson<Stats>('stestr-repo-run-1', 'stats.json');
    const page = await openPage(sampleUrl('stestr-repo-run-1'));
    const first = stats.failures[0];
    if (!first) throw new Error('sample has no failure');
    await page.click(`.fail-list a.test-name >> nth=0`);
    await page.waitForSelector('pre.traceback');
    expect(await page.textContent('.test-title')).toBe(first.name);
    expect(await page.textContent('pre.traceback')).toBe(details[first.name]?.['traceback']);
    expect(await page.getAttribute('[data-field="status"] .badge', 'data-status')).toBe('fail');
    expect(page.url()).toMatch(/#\/run\/[^/]+\/test\/\d+$/);
    await page.close();
  });

  it('a deep link to a test restores it, and previous/next failure navigate', async () => {
    const raw = readExpectedJson<RawEntry[]>('stestr-repo-run-1', 'raw.json');
    const fails = raw.flatMap((e, i) => (e.status === 'fail' ? [i] : []));
    const [a, b] = fails;
    if (a === undefined || b === undefined) throw new Error('sample needs two failures');
    const page = await openPage(sampleUrl('stestr-repo-run-1', `/run/pub-run-1.v2.subunit/test/${a}`));
    await page.waitForSelector('.test-title');
    expect(await page.textContent('.test-title')).toBe(raw[a]?.name);
    await page.click('[data-nav="next-failure"]');
    await expect.poll(() => page.textContent('.test-title')).toBe(raw[b]?.name);
    expect(page.url()).toMatch(new RegExp(`/test/${b}$`));
    await page.goBack();
    await expect.poll(() => page.textContent('.test-title')).toBe(raw[a]?.name);
    await page.close();
  });

  it('pythonlogging is parsed into records with a level filter and highlighted search', async () => {
    const page = await openPage(sampleUrl('tempest', '/run/tempest.subunit/test/0'));
    await page.waitForSelector('.log-record');
    const levels = await page.locator('.level-toggle').allTextContents();
    expect(levels).toEqual(['INFO 2', 'DEBUG 2']);
    expect(await page.locator('.log-record').count()).toBe(4);
    await page.click('[data-level="DEBUG"]');
    await expect.poll(() => page.locator('.log-record').count()).toBe(2);
    await page.fill('.log-search', 'DELETE');
    await expect.poll(() => page.locator('.log-record').count()).toBe(1);
    expect(await page.locator('.log-record mark').allTextContents()).toEqual(['DELETE']);
    await page.close();
  });

  it('the timeline view lives in the hash: a copied link restores it, a click is written back', async () => {
    const raw = readExpectedJson<RawEntry[]>('stestr-repo-run-1', 'raw.json');
    const key = 'pub-run-1.v2.subunit';
    const selected = (p: Page): Promise<unknown> => p.evaluate('window.__stackvizTimeline?.selected ?? null');
    const page = await openPage(
      sampleUrl('stestr-repo-run-1', `/run/${key}/timeline?test=27&q=test_run&st=success,fail`),
    );
    await expect.poll(() => selected(page)).toBe(27);
    expect(await page.inputValue('input[type="search"], input[type="text"] >> nth=0')).toBe('test_run');
    // Click another test's bar: the selection goes to the hash (replaceState), filters stay.
    const point = (await page.evaluate('window.__stackvizTimeline.testClientPoint(65)')) as {
      x: number;
      y: number;
    } | null;
    if (point === null) throw new Error('test 65 is not on screen');
    await page.mouse.click(point.x, point.y);
    await expect.poll(() => selected(page)).toBe(65);
    await expect.poll(() => new URL(page.url()).hash).toContain('test=65');
    const hash = new URL(page.url()).hash;
    expect(hash).toContain('q=test_run');
    expect(hash).toContain('st=success%2Cfail');
    // The copied link, opened fresh, shows the same selection.
    const copy = await openPage(page.url());
    await expect.poll(() => selected(copy)).toBe(65);
    // The original front-end's ?test=<name>.
    await copy.goto(
      sampleUrl('stestr-repo-run-1', `/timeline?test=${encodeURIComponent(raw[5]?.name ?? '')}`),
    );
    await copy.reload();
    await expect.poll(() => selected(copy)).toBe(5);
    await page.close();
    await copy.close();
  });

  it('opening a test from the timeline goes to its details', async () => {
    const page = await openPage(sampleUrl('stestr-repo-run-1', '/run/pub-run-1.v2.subunit/timeline?test=27'));
    await expect.poll(() => page.evaluate('window.__stackvizTimeline?.selected ?? null')).toBe(27);
    await page.click('button.tl-open');
    await page.waitForSelector('pre.traceback');
    expect(new URL(page.url()).hash).toBe('#/run/pub-run-1.v2.subunit/test/27');
    await page.close();
  });

  it('an unknown run or test shows a clear message', async () => {
    const page = await openPage(sampleUrl('stestr-failure', '/run/nope/test/1'));
    expect(await page.textContent('.error-box')).toContain('No such run');
    await page.goto(sampleUrl('stestr-failure', '/run/stestr-failure.subunit/test/99999'));
    await page.waitForSelector('.error-box');
    expect(await page.textContent('.error-box')).toContain('no test 99999');
    await page.close();
  });
});
