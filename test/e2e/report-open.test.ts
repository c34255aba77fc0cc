// Browser tests of the reports anyone can open: the --html site behind a plain static server (with and without
// -z) and the --single-file report from file:// show the same counts and open a failing test's details, and the
// single file (which embeds the dstat log packed) draws the same load lanes as the site.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { isPackedDstat, parseDstat } from '../../src/formats/dstat/index.js';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';

interface RunConfig {
  key?: string;
  name: string;
  raw: string;
  details: string;
  stats: { count: number; failures: { name: string; details_key?: string | null }[] };
}
/** What the timeline's debug hook shows of the load lanes (web/src/timeline/debug.ts). */
interface TimelineGlobals {
  __stackvizTimeline?: {
    frames: number;
    loadLanes: string[];
    loadScales: unknown[];
    valueAt(ms: number): Record<string, number> | null;
  };
}

interface RawEntry {
  name: string;
  status: string;
  details_key: string | null;
}

/** Per run key: the count shown and the count of each status chip. */
type Counts = Record<string, { count: number; statuses: Record<string, number> }>;

const REPO = 'examples/stestr-repo';
const DSTAT = 'examples/dstat.csv';

let root: string;
let browser: Browser;

function exportWith(args: string[]): void {
  const r = spawnSync(process.execPath, ['bin/stackviz-export.js', '-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stackviz-export ${args.join(' ')} failed: ${r.stderr}`);
}

function readData(dir: string, path: string): unknown {
  const bytes = readFileSync(join(dir, path));
  return JSON.parse((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as unknown;
}

function runsOf(dir: string): RunConfig[] {
  return (readData(dir, 'config.json') as { tempest: RunConfig[] }).tempest;
}

/** What the home page must show, computed from the exported raw files (not from the stats the page reads). */
function expectedCounts(dir: string): Counts {
  const out: Counts = {};
  for (const run of runsOf(dir)) {
    const raw = readData(dir, run.raw) as RawEntry[];
    const statuses: Record<string, number> = {};
    for (const e of raw) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
    out[run.key ?? run.name] = { count: raw.length, statuses };
  }
  return out;
}

/** The first failure of the first run that has one, with its traceback as exported. */
function firstFailure(dir: string): { runKey: string; name: string; traceback: string } {
  for (const run of runsOf(dir)) {
    const raw = readData(dir, run.raw) as RawEntry[];
    const f = run.stats.failures[0];
    if (!f) continue;
    const entry = raw.find((e) => e.name === f.name && e.status === 'fail');
    if (!entry?.details_key) continue;
    const details = readData(dir, run.details) as Record<string, Record<string, string>>;
    const traceback = details[entry.details_key]?.['traceback'];
    if (traceback === undefined) continue;
    return { runKey: run.key ?? run.name, name: f.name, traceback };
  }
  throw new Error('the example has no failing test with a traceback');
}

async function openReport(
  url: string,
  opts: { fileOnly?: boolean } = {},
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // CSP violations and failed loads surface as console errors.
  page.on('console', (m) => {
    // The page names its own icon, so not even the browser's /favicon.ico probe may fail.
    if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('request', (r) => {
    if (
      opts.fileOnly &&
      r.url().split('#')[0] !== url.split('#')[0] &&
      !r.url().startsWith('data:') &&
      !r.url().startsWith('blob:')
    )
      problems.push(`request: ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector('.run-card .count-chips');
  return { page, problems };
}

async function shownCounts(page: Page): Promise<Counts> {
  return page.$$eval('.run-card', (cards) => {
    const out: Record<string, { count: number; statuses: Record<string, number> }> = {};
    const num = (s: string | null | undefined): number => Number((s ?? '').replace(/[^0-9]/g, ''));
    for (const card of cards) {
      const statuses: Record<string, number> = {};
      for (const li of card.querySelectorAll('.count-chips li')) {
        const n = num(li.querySelector('.count-num')?.textContent);
        if (n > 0) statuses[li.getAttribute('data-status') ?? '?'] = n;
      }
      out[card.getAttribute('data-run') ?? '?'] = {
        count: num(card.querySelector('[data-field="count"]')?.textContent),
        statuses,
      };
    }
    return out;
  });
}

/** Clicks the failure on the home page and checks the traceback shown is the exported one. */
async function opensFailure(
  page: Page,
  failure: { runKey: string; name: string; traceback: string },
): Promise<void> {
  await page.click(`.run-card[data-run="${failure.runKey}"] .fail-list a.test-name >> nth=0`);
  await page.waitForSelector('pre.traceback');
  expect(await page.textContent('.test-title')).toBe(failure.name);
  expect(await page.textContent('pre.traceback')).toBe(failure.traceback);
}

const dirs = { html: '', htmlGz: '', singleFile: '', singleDest: '', streamsGz: '' };

beforeAll(async () => {
  if (!existsSync('dist/web/index.html') || !existsSync('dist/src/cli/export-main.js')) {
    throw new Error('run `npm run build` first (npm test does)');
  }
  root = mkdtempSync(join(tmpdir(), 'stackviz-report-'));
  dirs.html = join(root, 'html');
  dirs.htmlGz = join(root, 'html-z');
  dirs.singleFile = join(root, 'single', 'report.html');
  dirs.singleDest = join(root, 'single-dest');
  exportWith(['--html', '-r', REPO, '--dstat', DSTAT, dirs.html]);
  exportWith(['--html', '-z', '-r', REPO, '--dstat', DSTAT, dirs.htmlGz]);
  // No DEST: the CLI exports into a temp folder and packs it.
  exportWith(['--single-file', dirs.singleFile, '-r', REPO, '--dstat', DSTAT]);
  // Both at once (the README's command): a site and a single file of the same data.
  exportWith([
    '--html',
    '--single-file',
    join(dirs.singleDest, 'report.html'),
    '-r',
    REPO,
    '--dstat',
    DSTAT,
    dirs.singleDest,
  ]);
  // Other inputs: stream files (one of them tempest's, with pythonlogging), gzipped data files (-z).
  dirs.streamsGz = join(root, 'streams-z');
  exportWith([
    '-z',
    '--single-file',
    join(dirs.streamsGz, 'report.html'),
    '-f',
    'test/fixtures/streams/stestr-failure.subunit',
    '-f',
    'test/fixtures/streams/tempest.subunit',
    '--dstat',
    'test/fixtures/dstat/dstat-0.8.0.csv',
    dirs.streamsGz,
  ]);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('reports anyone can open', () => {
  it('-z gzips the data files, so the plain server really sends gzip bytes without Content-Encoding', () => {
    const names = readdirSync(dirs.htmlGz);
    expect(names).toContain('index.html');
    expect(names).toContain('config.json');
    expect(names.some((n) => n.endsWith('_raw.json.gz'))).toBe(true);
  });

  it.each([
    ['--html', 'html'],
    ['--html -z', 'htmlGz'],
  ] as const)(
    'the %s site behind a plain static server shows the counts and opens a failure',
    async (_label, key) => {
      const dir = dirs[key];
      const server: StaticServer = await startStaticServer(dir);
      try {
        const { page, problems } = await openReport(server.url);
        expect(await shownCounts(page)).toEqual(expectedCounts(dir));
        await opensFailure(page, firstFailure(dir));
        expect(problems).toEqual([]);
        await page.close();
      } finally {
        await server.close();
      }
    },
  );

  it('the single file opens from file:// with the same counts, fetches nothing, and opens a failure', async () => {
    const { page, problems } = await openReport(pathToFileURL(dirs.singleFile).href, { fileOnly: true });
    const counts = await shownCounts(page);
    expect(counts).toEqual(expectedCounts(dirs.html));
    await opensFailure(page, firstFailure(dirs.html));
    await page.screenshot({ path: '/tmp/stackviz-single-file-details.png' });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a single file of -z data from stream files shows the counts and opens a failure', async () => {
    const { page, problems } = await openReport(pathToFileURL(join(dirs.streamsGz, 'report.html')).href, {
      fileOnly: true,
    });
    const expected = expectedCounts(dirs.streamsGz);
    expect(Object.keys(expected)).toHaveLength(2);
    expect(await shownCounts(page)).toEqual(expected);
    await opensFailure(page, firstFailure(dirs.streamsGz));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('--html with --single-file writes a site and a report of the same data, showing the same counts', async () => {
    const file = join(dirs.singleDest, 'report.html');
    expect(existsSync(join(dirs.singleDest, 'index.html'))).toBe(true);
    const { page, problems } = await openReport(pathToFileURL(file).href, { fileOnly: true });
    expect(await shownCounts(page)).toEqual(expectedCounts(dirs.singleDest));
    expect(await shownCounts(page)).toEqual(expectedCounts(dirs.html));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the single file draws the same load lanes, with the same values, as the site', async () => {
    const log = parseDstat(readFileSync(DSTAT, 'utf8'));
    const from = (log.timeMs[0] ?? NaN) - 2000;
    const to = (log.timeMs[log.rows - 1] ?? NaN) + 2000;
    const instants = Array.from({ length: Math.ceil((to - from) / 250) }, (_, i) => from + i * 250);
    /** The lanes, their scales, every series' value at each instant, and the lanes' pixels, of one run. */
    const lanesOf = async (url: string): Promise<unknown> => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(
        () => ((globalThis as unknown as TimelineGlobals).__stackvizTimeline?.frames ?? 0) > 0,
      );
      // Two more frames: whatever was asked for has been drawn.
      await page.evaluate(
        () =>
          new Promise<void>((r) => {
            const g = globalThis as unknown as { requestAnimationFrame(f: () => void): void };
            g.requestAnimationFrame(() => g.requestAnimationFrame(() => r()));
          }),
      );
      const shown = {
        ...(await page.evaluate((at) => {
          const t = (globalThis as unknown as TimelineGlobals).__stackvizTimeline;
          return {
            lanes: t?.loadLanes,
            scales: t?.loadScales,
            values: at.map((ms) => t?.valueAt(ms) ?? null),
          };
        }, instants)),
        pixels: await page.$eval('canvas.tl-load', (c) =>
          (c as unknown as { toDataURL(): string }).toDataURL(),
        ),
        note: await page.textContent('.tl-dstat-note'),
      };
      expect(errors).toEqual([]);
      await page.close();
      return shown;
    };
    // The single file holds the log packed, not its CSV text.
    const html = readFileSync(join(dirs.singleDest, 'report.html'), 'utf8');
    const embedded = /data-path="dstat_log\.csv" data-encoding="base64-gzip">([^<]*)</.exec(html)?.[1] ?? '';
    expect(isPackedDstat(gunzipSync(Buffer.from(embedded, 'base64')))).toBe(true);
    const server = await startStaticServer(dirs.singleDest);
    try {
      const file = pathToFileURL(join(dirs.singleDest, 'report.html')).href;
      for (const run of runsOf(dirs.singleDest)) {
        const hash = `#/run/${encodeURIComponent(run.key ?? run.name)}/timeline`;
        const site = (await lanesOf(`${server.url}${hash}`)) as {
          lanes: string[];
          values: unknown[];
          pixels: string | null;
        };
        expect(site.lanes.length).toBeGreaterThan(0);
        expect(site.pixels).toMatch(/^data:image\/png/);
        expect(site.values.some((v) => v !== null)).toBe(true);
        expect(await lanesOf(`${file}${hash}`)).toEqual(site);
      }
    } finally {
      await server.close();
    }
  });
});
