// Browser tests of the viewer as a person first meets it (issue 17): a folder opened from disk explains itself,
// failures say why, hung tests are named, empty and untimed runs are shown honestly, controls keep their place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import {
  SSH_TRACEBACK,
  busyRun,
  damagedStream,
  exportHtml,
  streamOf,
  type Export,
} from './viewer-ux-fixtures.js';

let browser: Browser;
let site: Export;
let server: StaticServer;

beforeAll(async () => {
  browser = await launchBrowser();
  site = exportHtml({
    busy: streamOf(busyRun()),
    empty: new Uint8Array(0),
    untimed: streamOf([
      { id: 'a.B.test_one', status: 'success', start: null, end: null },
      { id: 'a.B.test_two', status: 'fail', start: null, end: null, traceback: 'ValueError: no\n' },
    ]),
    damaged: damagedStream(),
    many: streamOf(
      Array.from({ length: 30 }, (_, i) => ({
        id: `pkg.mod.TestMany.test_${i}`,
        status: 'fail' as const,
        start: i,
        end: i + 0.5,
        worker: 0,
        traceback:
          i < 25
            ? SSH_TRACEBACK.replace('172.24.5.7', `10.0.${i}.9`)
            : `Traceback (most recent call last):\n  File "x.py", line ${i}, in f\n    g()\nValueError: bad value ${i * 7}\n`,
      })),
    ),
  });
  server = await startStaticServer(site.dir);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.remove();
});

async function openPage(hash: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}#${hash}`);
  await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  expect(errors).toEqual([]);
  return page;
}

describe('a report folder opened from disk', () => {
  it('explains within 3 s how to open it, styled, instead of hanging on "Loading report…"', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(site.dir, 'index.html')).href);
    const advice = page.locator('.boot-advice');
    await advice.waitFor({ state: 'visible', timeout: 3000 });
    expect(await advice.textContent()).toContain('stackviz serve DEST');
    expect(await advice.textContent()).toContain('--single-file');
    // Styled by the page's own inline CSS (nothing else loads there): a bordered box, not bare text.
    expect(
      await advice.evaluate(
        (el) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { borderLeftWidth: string } }
          ).getComputedStyle(el).borderLeftWidth,
      ),
    ).toBe('4px');
    await page.screenshot({ path: '/tmp/stackviz-from-disk.png' });
    await page.close();
  });

  it('the single file (which runs from disk) never shows the advice, the folder would', async () => {
    const single = exportHtml({ busy: streamOf(busyRun()) }, undefined, true);
    try {
      // What a slow parse of a big single file would show before its script runs: the advice's own rule.
      const display = async (url: string): Promise<string> => {
        const page = await browser.newPage();
        await page.goto(url);
        await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
        const d = (await page.evaluate(`(() => {
          const probe = document.createElement('div');
          probe.className = 'boot-advice';
          document.body.appendChild(probe);
          return getComputedStyle(probe).display;
        })()`)) as string;
        await page.close();
        return d;
      };
      expect(await display(pathToFileURL(join(single.dir, '..', 'report.html')).href)).toBe('none');
      expect(await display(`${server.url}#/`)).toBe('block');
    } finally {
      single.remove();
    }
  });

  it('served, the app replaces the advice', async () => {
    const page = await openPage('/');
    expect(await page.locator('.boot-advice').count()).toBe(0);
    await page.close();
  });
});

describe('the failure summary', () => {
  it('shows the exception line, not the trailing "User: …" line, and names the hung test with a link', async () => {
    const page = await openPage('/run/busy');
    await page.waitForSelector('.run-card .fail-list a.test-name');
    const failure = page.locator('.run-card .fail-list li', { hasText: 'test_ssh_login' });
    expect(await failure.locator('.tb-tail').textContent()).toBe(
      'tempest.lib.exceptions.SSHTimeout: Connection to the 172.24.5.7 via SSH timed out.',
    );
    const hung = page.locator('.run-card .hung-list a.test-name');
    await hung.first().waitFor();
    expect(await hung.allTextContents()).toEqual(['pkg.mod.TestHang.test_hangs']);
    await hung.first().click();
    await page.waitForFunction(() =>
      (globalThis as unknown as { location: { hash: string } }).location.hash.includes('/test/'),
    );
    await page.waitForSelector('.test-page :text("test_hangs")', { timeout: 30_000 });
    await page.screenshot({ path: '/tmp/stackviz-hung-test.png' });
    await page.close();
  });
});

describe('empty and untimed runs', () => {
  it.each(['empty', 'untimed'])(
    '%s: no 1970 date, no 0 ms test time, no timeline button, no empty heading',
    async (key) => {
      const page = await openPage(`/run/${key}`);
      const card = page.locator('.run-card');
      await card.locator('.empty-note').waitFor({ timeout: 30_000 });
      // The test table has loaded (the slowest tests would be drawn by now).
      await page.waitForFunction(() => true);
      const text = (await card.textContent()) ?? '';
      expect(text).not.toMatch(/19[67]\d/);
      expect(text).not.toContain('0.00 ms');
      expect(text).not.toContain('test time');
      expect(await card.locator('a', { hasText: 'Timeline' }).count()).toBe(0);
      expect(await card.locator('h3', { hasText: 'Slowest tests' }).count()).toBe(0);
      await page.screenshot({ path: `/tmp/stackviz-${key}-run.png` });
      await page.close();
    },
  );

  it.each(['empty', 'untimed'])(
    '%s: the timeline route explains instead of drawing an empty axis',
    async (key) => {
      const page = await openPage(`/run/${key}/timeline`);
      const box = page.locator('.empty-state');
      await box.waitFor({ timeout: 30_000 });
      expect(await box.textContent()).toContain('No timeline for this run');
      expect(await page.locator('canvas').count()).toBe(0);
      await page.close();
    },
  );
});

describe('the test page and titles', () => {
  it('names each page in its title', async () => {
    const page = await openPage('/');
    await page.waitForSelector('.run-card');
    const titles = [await page.title()];
    for (const hash of ['/run/busy', '/run/busy/timeline', '/run/busy/test/0']) {
      await page.evaluate(`location.hash = '#${hash}'`);
      await page.waitForFunction(
        (before) => (globalThis as unknown as { document: { title: string } }).document.title !== before,
        titles[titles.length - 1],
        { timeout: 30_000 },
      );
      titles.push(await page.title());
    }
    expect(titles[0]).toMatch(/^Runs/);
    expect(titles[2]).toMatch(/^Timeline/);
    expect(titles[3]).toContain('test_');
    expect(new Set(titles).size).toBe(4);
    await page.close();
  });

  it('a parser-error entry reads as such, not "method parser / class subunit"', async () => {
    const page = await openPage('/run/damaged');
    const link = page.locator('.run-card a.test-name', { hasText: 'subunit.parser' }).first();
    await link.waitFor({ timeout: 30_000 });
    await link.click();
    const facts = page.locator('.test-facts');
    await facts.waitFor({ timeout: 30_000 });
    expect(await facts.textContent()).toContain('subunit parser error');
    expect(await facts.locator('dt', { hasText: /^method$/ }).count()).toBe(0);
    await page.close();
  });
});

describe('many runs, many failures', () => {
  it('home has a compact run table that sorts by a header click and links to the runs', async () => {
    const page = await openPage('/');
    const rows = page.locator('.run-table tbody tr');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBe(5);
    const column = async (n: number): Promise<string[]> =>
      page.locator(`.run-table tbody tr > :nth-child(${n})`).allTextContents();
    await page.click('.run-table th[data-key="failures"] button');
    expect(await column(5)).toEqual(['30', '1', '1', '1', '0']);
    expect(await page.getAttribute('.run-table th[data-key="failures"]', 'aria-sort')).toBe('descending');
    await page.click('.run-table th[data-key="failures"] button');
    expect(await column(5)).toEqual(['0', '1', '1', '1', '30']);
    await page.click('.run-table th[data-key="tests"] button');
    const tests = (await column(4)).map(Number);
    expect(tests).toEqual([...tests].sort((a, b) => b - a));
    await page.click('.run-table tbody tr >> nth=0 >> a');
    await page.waitForFunction(() =>
      (globalThis as unknown as { location: { hash: string } }).location.hash.startsWith('#/run/'),
    );
    await page.close();
  });

  it('groups failures by cause with counts; a group unfolds to its tests', async () => {
    const page = await openPage('/run/many');
    const groups = page.locator('.failure-groups .failure-group');
    await groups.first().waitFor({ timeout: 30_000 });
    expect(await groups.count()).toBe(2);
    expect(await groups.nth(0).locator('.group-count').textContent()).toBe('25×');
    expect(await groups.nth(0).locator('.group-sig').textContent()).toContain('SSHTimeout');
    expect(await groups.nth(1).locator('.group-count').textContent()).toBe('5×');
    await groups.nth(0).locator('summary').click();
    await page.locator('.run-card[data-filled]').waitFor({ timeout: 30_000 });
    const links = groups.nth(0).locator('.group-members a.test-name');
    expect(await links.count()).toBe(25);
    await page.screenshot({ path: '/tmp/stackviz-failure-groups.png', fullPage: true });
    await page.close();
  });
});
