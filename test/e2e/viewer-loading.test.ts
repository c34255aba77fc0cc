// Browser tests of loading: gzip with and without Content-Encoding, embedded files, several runs, missing config, hostile names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { makeSite, readExpectedJson, EXPECTED_DIR, type Site } from './viewer-sites.js';

interface Stats {
  count: number;
  failures: { name: string }[];
  skips: unknown[];
}

let browser: Browser;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await browser?.close();
});

async function serve(site: Site): Promise<StaticServer> {
  const server = await startStaticServer(site.dir);
  cleanups.push(
    () => server.close(),
    () => site.remove(),
  );
  return server;
}

async function open(url: string): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
  const page = await browser.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  return { page, dialogs, errors };
}

/** Total of the home page's status counts for the run card `i`. */
async function shownCounts(page: Page, card = 0): Promise<Map<string, number>> {
  const chips = page.locator('.run-card').nth(card).locator('.count-chips li');
  await chips.first().waitFor();
  const out = new Map<string, number>();
  for (let i = 0; i < (await chips.count()); i++) {
    const n = (await chips.nth(i).locator('.count-num').textContent()) ?? '';
    out.set((await chips.nth(i).getAttribute('data-status')) ?? '', Number(n.replace(/,/g, '')));
  }
  return out;
}

/** The stestr-repo-run-0 sample as our exporter's `-z` output would name it: every data file gzipped, paths in .gz. */
function gzippedSample(site: Site): Stats {
  const sample = 'stestr-repo-run-0';
  const prefix = 'pub-run-0.v2.subunit-0';
  const config = JSON.parse(readFileSync(join(EXPECTED_DIR, sample, 'config.json'), 'utf8')) as {
    datasets: { artifacts: { path: string; content_encoding?: string }[] }[];
  };
  for (const a of config.datasets[0]?.artifacts ?? []) {
    a.path += '.gz';
    a.content_encoding = 'gzip';
  }
  site.write('config.json', config);
  for (const kind of ['raw', 'details', 'stats']) {
    site.write(
      `${prefix}-${kind}.json.gz`,
      readFileSync(join(EXPECTED_DIR, sample, `${prefix}-${kind}.json`), 'utf8'),
      {
        gzip: true,
      },
    );
  }
  return readExpectedJson<Stats>(sample, 'stats.json');
}

function total(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}

describe('viewer loading', () => {
  it('a .gz report served without Content-Encoding loads, and a test opens', async () => {
    const site = makeSite();
    const stats = gzippedSample(site);
    const server = await serve(site);
    const { page, errors } = await open(server.url);
    const counts = await shownCounts(page);
    expect(total(counts)).toBe(stats.count);
    expect(counts.get('fail')).toBe(stats.failures.length);
    expect(counts.get('skip')).toBe(stats.skips.length);
    await page.click('.skip-list a.test-name >> nth=0');
    await page.waitForSelector('.tab[data-attachment="reason"]');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the same .gz report loads when the server sends Content-Encoding: gzip', async () => {
    const site = makeSite();
    const stats = gzippedSample(site);
    cleanups.push(() => site.remove());
    // A server that declares the gzip, so the browser inflates before the viewer sees the bytes.
    const server = await startStaticServer(site.dir, { gzipEncoding: true });
    cleanups.push(() => server.close());
    const { page, errors } = await open(server.url);
    expect(total(await shownCounts(page))).toBe(stats.count);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('missing config shows a clear message', async () => {
    const site = makeSite();
    const server = await serve(site);
    const { page } = await open(server.url);
    expect(await page.getAttribute('body', 'data-ready')).toBe('error');
    const text = await page.textContent('.error-box');
    expect(text).toContain('Report data not found');
    expect(text).toContain('config.json');
    await page.close();
  });

  it('malformed data shows a clear message', async () => {
    const site = makeSite();
    site.write('config.json', '{"tempest": [{"id": 0, "raw": "r.json"');
    const server = await serve(site);
    const { page } = await open(server.url);
    expect(await page.textContent('.error-box')).toContain('not valid JSON');
    await page.close();
  });

  it('shows several runs, one card each, with their own counts', async () => {
    const site = makeSite();
    const runs = ['stestr-repo-run-0', 'stestr-repo-run-1', 'stestr-repo-run-2'].map((sample, id) => {
      const prefix = `pub-run-${id}.v2.subunit-0`;
      for (const kind of ['raw', 'details']) {
        site.write(
          `${prefix}-${kind}.json`,
          readFileSync(join(EXPECTED_DIR, sample, `${prefix}-${kind}.json`), 'utf8'),
        );
      }
      const stats = readExpectedJson<Stats>(sample, 'stats.json');
      return {
        id,
        name: `run ${id}`,
        source: 'repo_x',
        key: `repo_x_${id}`,
        raw: `${prefix}-raw.json`,
        details: `${prefix}-details.json`,
        tree: '',
        stats,
      };
    });
    site.write('config.json', {
      tempest: runs,
      deployer: false,
      datasets: [
        {
          name: 'job-x',
          change_project: 'openstack/nova',
          pipeline: 'check',
          change_id: '12345',
          revision: '3',
          artifacts: [],
        },
      ],
    });
    const server = await serve(site);
    const { page } = await open(server.url);
    expect(await page.locator('.run-card').count()).toBe(3);
    const meta = await page.textContent('.dataset-meta');
    for (const v of ['job-x', 'openstack/nova', 'check', '12345,3']) expect(meta).toContain(v);
    for (const [i, r] of runs.entries()) expect(total(await shownCounts(page, i))).toBe(r.stats.count);
    await page.click('.run-card >> nth=1 >> .card-head h2 a');
    await expect.poll(() => page.url()).toMatch(/#\/run\/repo_x_1$/);
    // The address changes before the run page replaces the list: wait for it.
    await expect.poll(() => page.locator('.run-card').count()).toBe(1);
    await page.close();
  });

  it('reads files embedded in the page (single-file layout), gzipped base64', async () => {
    const site = makeSite();
    const files = new Map<string, string>();
    for (const f of [
      'config.json',
      'stestr-failure.subunit-0-raw.json',
      'stestr-failure.subunit-0-details.json',
      'stestr-failure.subunit-0-stats.json',
    ]) {
      files.set(f, readFileSync(join(EXPECTED_DIR, 'stestr-failure', f), 'utf8'));
    }
    const elements = [...files]
      .map(
        ([path, text]) =>
          `<script type="application/x-stackviz-file" data-path="${path}" data-encoding="base64-gzip">${gzipSync(Buffer.from(text)).toString('base64')}</script>`,
      )
      .join('\n');
    const html = readFileSync(join(site.dir, 'index.html'), 'utf8').replace(
      '</body>',
      `${elements}\n</body>`,
    );
    site.write('index.html', html);
    const server = await serve(site);
    const requested: string[] = [];
    const { page, errors } = await open(server.url);
    page.on('request', (r) => requested.push(r.url()));
    const stats = readExpectedJson<Stats>('stestr-failure', 'stats.json');
    expect(total(await shownCounts(page))).toBe(stats.count);
    await page.click('.fail-list a.test-name >> nth=0');
    await page.waitForSelector('.test-title');
    expect(requested.filter((u) => u.endsWith('.json'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the run's dstat log (datasets layout, gzipped) reaches the load lanes; a broken one only loses them", async () => {
    const site = makeSite();
    const sample = 'stestr-repo-run-1';
    const config = JSON.parse(readFileSync(join(EXPECTED_DIR, sample, 'config.json'), 'utf8')) as {
      datasets: { artifacts: object[] }[];
    };
    config.datasets[0]?.artifacts.push({
      path: 'dstat_log.csv.gz',
      artifact_name: 'dstat_log.csv',
      artifact_type: 'dstat',
      content_type: 'text/csv',
      primary: false,
      content_encoding: 'gzip',
    });
    site.write('config.json', config);
    for (const kind of ['raw', 'details', 'stats']) {
      const f = `pub-run-1.v2.subunit-0-${kind}.json`;
      site.write(f, readFileSync(join(EXPECTED_DIR, sample, f), 'utf8'));
    }
    site.write('dstat_log.csv.gz', readFileSync('examples/dstat.csv', 'utf8'), { gzip: true });
    const server = await serve(site);
    const { page, errors } = await open(`${server.url}#/run/pub-run-1.v2.subunit/timeline`);
    await expect
      .poll(() => page.evaluate('window.__stackvizTimeline?.loadLanes.length ?? 0'))
      .toBeGreaterThan(0);
    const startMs = Date.parse('2026-11-28T14:36:23.5Z');
    const values = (await page.evaluate(`window.__stackvizTimeline.valueAt(${startMs})`)) as Record<
      string,
      number
    > | null;
    expect(values).not.toBeNull();
    expect(Object.keys(values ?? {}).length).toBeGreaterThan(3);
    expect(errors).toEqual([]);
    await page.screenshot({ path: '/tmp/stackviz-viewer-timeline-dstat.png' });
    // The same report with a log that is not dstat: the timeline still shows, with a note.
    site.write('dstat_log.csv.gz', 'hello,world\n', { gzip: true });
    await page.reload();
    await page.waitForSelector('.error-inline');
    expect(await page.textContent('.error-inline')).toContain('Load lanes unavailable');
    await expect.poll(() => page.evaluate('window.__stackvizTimeline?.rows ?? 0')).toBeGreaterThan(0);
    await page.close();
  });

  it("the run page unfolds the run's own output, read only then", async () => {
    const site = makeSite();
    const ts = ['2020-01-01T00:00:00+00:00', '2020-01-01T00:00:01+00:00'];
    site.write('r_raw.json', [
      { name: 'a.b', status: 'success', tags: [], timestamps: ts, duration: 1, details: {} },
    ]);
    // The run output's bytes in the details file, where its range says (and nothing else would parse).
    const before = '{"t":{},"":';
    const output = JSON.stringify({ stdout: 'make: *** [check] Error 1' });
    site.write('r_details.json', `${before}${output}}`);
    const stats = {
      count: 1,
      start: ts[0],
      end: ts[1],
      total_duration: 1,
      failures: [],
      skips: [],
      stream_output_key: '',
      stream_output_range: [before.length, before.length + output.length],
    };
    site.write('config.json', {
      tempest: [
        {
          id: 0,
          name: 'r',
          source: 's',
          key: 'r',
          raw: 'r_raw.json',
          details: 'r_details.json',
          tree: '',
          stats,
        },
      ],
      deployer: false,
      datasets: [],
    });
    const server = await serve(site);
    const { page, errors } = await open(`${server.url}#/run/r`);
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.waitForSelector('details.run-output');
    expect(requested).not.toContain('/r_details.json');
    await page.click('details.run-output summary');
    await page.waitForSelector('details.run-output pre.attachment');
    expect(await page.textContent('details.run-output pre.attachment')).toBe('make: *** [check] Error 1');
    expect(requested).toContain('/r_details.json');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a test named <script>alert(1)</script> shows as text and runs nothing', async () => {
    const site = makeSite();
    const evil = '<script>alert(1)</script>';
    const img = '<img src=x onerror="alert(2)">';
    const ts = ['2020-01-01T00:00:00+00:00', '2020-01-01T00:00:01+00:00'];
    site.write('r_raw.json', [
      {
        name: evil,
        status: 'fail',
        tags: ['worker-0', img],
        timestamps: ts,
        duration: 1,
        details: {},
        attributes: [img],
      },
      { name: img, status: 'skip', tags: [], timestamps: ts, duration: 0, details: {} },
    ]);
    site.write('r_details.json', {
      [evil]: {
        traceback: `Traceback\n${img}`,
        pythonlogging: `2020-01-01 00:00:00,000 1 ERROR [${img}] ${evil}\n<b>x</b>`,
      },
      [img]: { reason: img },
    });
    const stats = {
      count: 2,
      start: ts[0],
      end: ts[1],
      total_duration: 1,
      failures: [{ name: evil, duration: 1, details: [img] }],
      skips: [{ name: img, duration: 0, details: img }],
    };
    site.write('config.json', {
      tempest: [
        {
          id: 0,
          name: evil,
          source: 's',
          key: evil,
          raw: 'r_raw.json',
          details: 'r_details.json',
          tree: '',
          stats,
        },
      ],
      deployer: false,
      datasets: [],
    });
    const server = await serve(site);
    const { page, dialogs, errors } = await open(server.url);
    await page.waitForSelector('.fail-list a.test-name');
    expect(await page.textContent('.fail-list a.test-name')).toBe(evil);
    expect(await page.textContent('.tb-tail')).toBe(img);
    expect(await page.textContent('.skip-list .reason')).toBe(img);
    await page.click('.fail-list a.test-name');
    await page.waitForSelector('.tab[data-attachment="pythonlogging"]');
    expect(await page.textContent('.test-title')).toBe(evil);
    expect(await page.textContent('pre.traceback')).toContain(img);
    await page.click('.tab[data-attachment="pythonlogging"]');
    await page.fill('.log-search', 'script');
    await expect.poll(() => page.locator('.log-record mark').allTextContents()).toEqual(['script', 'script']);
    // No element came from data: the page has no img and only the bundle's script.
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('b').count()).toBe(0);
    expect(await page.locator('script:not([type="application/x-stackviz-file"])').count()).toBe(1);
    // The timeline with the test selected and searched for: its panel shows the name as text too.
    await page.goto(
      `${server.url}#/run/${encodeURIComponent(evil)}/timeline?test=0&q=${encodeURIComponent('<script')}`,
    );
    await expect.poll(() => page.evaluate('window.__stackvizTimeline?.selected ?? null')).toBe(0);
    expect(await page.locator('body').innerText()).toContain(evil);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script:not([type="application/x-stackviz-file"])').count()).toBe(1);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
