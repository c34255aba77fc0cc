// History in the browser: a report exported with --history (run line, badges, the test's strip and
// durations; served and as a single file), the compare view, and the fleet pages of `stackviz serve --db`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFile, RawEntry } from '../../src/contract/export-format.js';
import type { CompareResult } from '../../src/contract/history-format.js';
import { plannedRuns, runStream, STORY } from '../history-streams.js';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { requireViewerBuild } from './viewer-sites.js';

const RUNS = 12;
let browser: Browser;
let dir: string;
let db: string;
let site: string;
let server: StaticServer;

function exportCli(args: string[]): void {
  execFileSync(process.execPath, ['bin/stackviz-export.js', '-q', ...args], {
    stdio: 'pipe',
    env: { ...process.env, ZUUL_JOB: '', JOB_NAME: '', STACKVIZ_DB: '' },
  });
}

beforeAll(async () => {
  requireViewerBuild();
  dir = mkdtempSync(join(tmpdir(), 'stackviz-history-view-'));
  db = join(dir, 'history.sqlite');
  const streams = plannedRuns(RUNS).map((r, i) => {
    const path = join(dir, `run-${String(i).padStart(2, '0')}.subunit`);
    writeFileSync(path, runStream(r));
    return path;
  });
  // Each run records where its report is (`--meta report_url=...`): the fleet view links them.
  for (let i = 0; i < RUNS - 1; i++)
    exportCli([
      '--history',
      db,
      '--job',
      'tempest-full',
      '--meta',
      `report_url=https://logs.example/r${i}/`,
      '-f',
      streams[i] as string,
      join(dir, `r${i}`),
    ]);
  site = join(dir, 'site');
  exportCli([
    '--html',
    '--single-file',
    join(dir, 'report.html'),
    '--history',
    db,
    '--job',
    'tempest-full',
    '-f',
    streams[RUNS - 1] as string,
    site,
  ]);
  browser = await launchBrowser();
  server = await startStaticServer(site);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A page that records console errors and failed requests (none may happen). */
async function open(url: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(url);
  return { page, problems, requests };
}

const indexOf = (name: string): number => {
  const cfg = JSON.parse(readFileSync(join(site, 'config.json'), 'utf8')) as ConfigFile;
  const raw = JSON.parse(readFileSync(join(site, cfg.tempest?.[0]?.raw as string), 'utf8')) as RawEntry[];
  return raw.findIndex((e) => e.name === name);
};

const LINE = '1 new failure, 3 flaky, 2 fixed, 1 slower, 1 new test (1 failing)';

describe('a report exported with --history', () => {
  it('shows the run-level line and badges on the failures list', async () => {
    const { page, problems } = await open(server.url);
    await page.waitForSelector('[data-history-line]');
    expect(await page.locator('[data-history-line]').innerText()).toBe(
      `History (12 runs of tempest-full): ${LINE}`,
    );
    const row = (name: string): ReturnType<Page['locator']> =>
      page.locator('li.failure', { has: page.locator('.test-name', { hasText: name }) });
    await row(STORY.newFailure).locator('[data-history="new-failure"]').waitFor();
    expect(await row(STORY.newFailure).locator('[data-history]').allInnerTexts()).toEqual(['new failure']);
    expect(await row(STORY.newFailing).locator('[data-history]').allInnerTexts()).toEqual(['new']);
    expect(await row(STORY.retried).locator('[data-history]').allInnerTexts()).toEqual(['flaky']);
    await page.screenshot({ path: '/tmp/stackviz-history-home.png', fullPage: true });
    // The run page shows the same line.
    await page.goto(`${server.url}#/run/run-11`);
    await page.waitForSelector('[data-history-line]');
    expect(await page.locator('[data-history-line] strong').innerText()).toBe(LINE);
    expect(problems).toEqual([]);
  });

  it("shows a test's badges, its outcome in each run and its durations", async () => {
    const i = indexOf(STORY.flaky);
    expect(i).toBeGreaterThanOrEqual(0);
    const { page, problems } = await open(`${server.url}#/run/run-11/test/${i}`);
    await page.waitForSelector('.test-history .outcome-strip');
    expect(await page.locator('.test-history [data-history]').allInnerTexts()).toEqual(['flaky', 'fixed']);
    const squares = page.locator('.test-history .outcome-strip li');
    expect(await squares.count()).toBe(RUNS);
    const outcomes = await squares.evaluateAll((els) => els.map((e) => e.getAttribute('data-outcome')));
    expect(outcomes.join(' ')).toBe('pass fail pass pass fail pass pass fail pass pass fail pass');
    // Hover text: the run's date, the outcome and the duration.
    expect(await squares.nth(1).getAttribute('title')).toMatch(/^2026-11-02 06:00:00 UTC · fail · 800 ms$/);
    await page.waitForSelector('.test-history [data-chart="duration"] canvas');
    await page.screenshot({ path: '/tmp/stackviz-history-test.png', fullPage: true });
    expect(problems).toEqual([]);
  });

  it('badges the test selected on the timeline', async () => {
    const { page, problems } = await open(
      `${server.url}#/run/run-11/timeline?test=${indexOf(STORY.newFailure)}`,
    );
    await page.waitForSelector('.tl-panel .tl-history [data-history]');
    expect(await page.locator('.tl-panel .tl-history [data-history]').allInnerTexts()).toEqual([
      'new failure',
    ]);
    await page.screenshot({ path: '/tmp/stackviz-history-timeline.png' });
    // A test the rules flag nothing on has no badge row.
    await page.goto(`${server.url}#/run/run-11/timeline?test=${indexOf(STORY.steady)}`);
    await page.locator('.tl-panel .tl-panel-title', { hasText: STORY.steady }).waitFor();
    expect(await page.locator('.tl-panel .tl-history').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the history in the single file opened from file://', async () => {
    const { page, problems } = await open(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForSelector('[data-history-line]');
    expect(await page.locator('[data-history-line] strong').innerText()).toBe(LINE);
    await page.goto(
      `${pathToFileURL(join(dir, 'report.html')).href}#/run/run-11/test/${indexOf(STORY.slower)}`,
    );
    await page.waitForSelector('.test-history .outcome-strip');
    expect(await page.locator('.test-history [data-history]').allInnerTexts()).toEqual(['slower']);
    expect(problems).toEqual([]);
  });
});

describe('the compare view', () => {
  it('compares two runs of a report, chosen on the home page', async () => {
    const repo = join(dir, 'repo');
    exportCli(['--html', '-r', 'examples/stestr-repo', repo]);
    const s = await startStaticServer(repo);
    try {
      const { page, problems } = await open(s.url);
      await page.waitForSelector('[data-compare-pick] select');
      const selects = page.locator('[data-compare-pick] select');
      await selects.nth(0).selectOption('stestr-repo_0');
      await selects.nth(1).selectOption('stestr-repo_2');
      await page.locator('[data-compare-pick] button').click();
      await page.waitForSelector('[data-compare-summary]');
      expect(page.url()).toMatch(/#\/compare\/stestr-repo_0\/stestr-repo_2$/);
      const summary = await page.locator('[data-compare-summary]').innerText();
      expect(summary).toMatch(
        /^\d+ new failures?, \d+ fixed, \d+ still failing, \d+ added.*, \d+ removed, \d+ slower$/,
      );
      await page.screenshot({ path: '/tmp/stackviz-history-compare.png', fullPage: true });
      expect(problems).toEqual([]);
      // Opened at its own URL, the comparison reads the runs' timeline indexes, not their raw files.
      const direct = await open(`${s.url}#/compare/stestr-repo_0/stestr-repo_2`);
      await direct.page.waitForSelector('[data-compare-summary]');
      expect(await direct.page.locator('[data-compare-summary]').innerText()).toBe(summary);
      expect(direct.requests.filter((u) => u.includes('_timeline.json')).length).toBe(2);
      expect(direct.requests.filter((u) => u.includes('_raw.json'))).toEqual([]);
      expect(direct.problems).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('the compare view and stackviz compare', () => {
  it('give the same lists on the same two runs', async () => {
    const streams = [10, 11].map((i) => join(dir, `run-${i}.subunit`));
    const sites: [string, string][] = [
      [join(dir, 'pair'), 'run-10/run-11'],
      [join(dir, 'repo-pair'), 'stestr-repo_0/stestr-repo_2'],
    ];
    exportCli(['--html', '-f', streams[0] as string, '-f', streams[1] as string, join(dir, 'pair')]);
    exportCli(['--html', '-r', 'examples/stestr-repo', join(dir, 'repo-pair')]);
    const cli = [
      [streams[0], streams[1]],
      ['examples/stestr-repo/.stestr/0', 'examples/stestr-repo/.stestr/2'],
    ].map(([a, b]) => {
      const out = execFileSync(
        process.execPath,
        ['bin/stackviz.js', 'compare', a as string, b as string, '--json'],
        {
          encoding: 'utf8',
        },
      );
      return JSON.parse(out) as CompareResult;
    });
    // The planted stories, as the rules name them.
    expect(cli[0]).toMatchObject({
      new_failures: [STORY.newFailure],
      fixed: [STORY.flaky, STORY.fixed].sort(),
      added: [STORY.newFailing],
      slower: [{ name: STORY.slower }],
    });
    for (const [k, [site, pair]] of sites.entries()) {
      const s = await startStaticServer(site);
      try {
        const { page, problems } = await open(`${s.url}#/compare/${pair}`);
        await page.waitForSelector('[data-compare-summary]');
        const c = cli[k] as CompareResult;
        for (const key of ['new_failures', 'fixed', 'still_failing', 'added', 'removed', 'slower'] as const) {
          const section = page.locator(`[data-compare="${key}"]`);
          expect(await section.locator('h3').innerText(), key).toMatch(new RegExp(`\\(${c[key].length}\\)$`));
          if (c[key].length > 0 && c[key].length <= 50 && key !== 'added' && key !== 'removed') {
            const names = await section.locator('.test-name').allInnerTexts();
            expect(names, key).toEqual(c[key].map((x) => (typeof x === 'string' ? x : x.name)));
          }
        }
        expect(problems).toEqual([]);
      } finally {
        await s.close();
      }
    }
  });
});

/** `stackviz serve` with these arguments, once it prints its URL. */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/stackviz.js', 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/\S+?\//.exec(out);
      if (m) resolve(m[0]);
    });
    child.on('exit', () => reject(new Error(`stackviz serve exited: ${err}`)));
  });
  return { child, url };
}

describe('the fleet view (stackviz serve --db)', () => {
  it('lists the jobs with their trend and top flaky tests, and opens a test', async () => {
    const { child, url } = await serve(['--db', db, '-p', '0']);
    try {
      const { page, problems } = await open(url);
      // No report here: the jobs are the home page.
      await page.waitForSelector('.fleet-jobs tr[data-job="tempest-full"]');
      expect(page.url()).toMatch(/#\/history$/);
      const row = page.locator('tr[data-job="tempest-full"]');
      expect(await row.locator('svg.sparkline circle').count()).toBe(4 + 1);
      const flaky = await row.locator('.top-flaky .test-name').allInnerTexts();
      expect(flaky[0]).toBe(STORY.flaky);
      expect(flaky).toContain(STORY.retried);
      await page.screenshot({ path: '/tmp/stackviz-history-fleet.png', fullPage: true });
      await row.locator('.top-flaky .test-name', { hasText: STORY.flaky }).click();
      await page.waitForSelector('.fleet-test .outcome-strip');
      expect(await page.locator('.fleet-test .outcome-strip li').count()).toBe(RUNS);
      expect(await page.locator('.fleet-failures li').count()).toBe(4);
      expect(await page.locator('.fleet-failures .exception').first().innerText()).toBe(
        `AssertionError: planted failure of ${STORY.flaky}`,
      );
      // Links to each run's report where one was recorded (the last run was exported without one).
      const links = await page
        .locator('.fleet-test .outcome-strip a.sq')
        .evaluateAll((els) => els.map((e) => e.getAttribute('href')));
      expect(links).toEqual(Array.from({ length: RUNS - 1 }, (_, i) => `https://logs.example/r${i}/`));
      expect(await page.locator('.fleet-failures a.report-link').first().getAttribute('href')).toBe(
        'https://logs.example/r10/',
      );
      await page.waitForSelector('.fleet-test [data-chart="duration"] canvas');
      await page.screenshot({ path: '/tmp/stackviz-history-fleet-test.png', fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a store it cannot use in one line, before listening', () => {
    const notAStore = join(dir, 'not-a-store.sqlite');
    writeFileSync(notAStore, 'not a database\n'.repeat(200));
    for (const [store, mention] of [
      ['postgresql://postgres@127.0.0.1:1/nothing', /127\.0\.0\.1:1/],
      [notAStore, /not-a-store\.sqlite/],
      [join(dir, 'missing.sqlite'), /missing\.sqlite/],
    ] as const) {
      const r = spawnSync(process.execPath, ['bin/stackviz.js', 'serve', '--db', store, '-p', '0'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^stackviz: /);
      expect(lines[0]).toMatch(mention);
    }
  });

  it('serves a report and the fleet pages together', async () => {
    const { child, url } = await serve([site, '--db', db, '-p', '0']);
    try {
      const { page, problems } = await open(url);
      await page.waitForSelector('[data-history-line]');
      await page.goto(`${url}#/history`);
      await page.waitForSelector('.fleet-jobs tr[data-job="tempest-full"]');
      expect(problems).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
