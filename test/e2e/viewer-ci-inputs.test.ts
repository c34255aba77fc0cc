// The viewer on exports with Zuul inventory metadata and devstack's performance.json (both versions), in Chromium.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { requireViewerBuild } from './viewer-sites.js';

const FIX = 'test/fixtures';
let browser: Browser;
const servers: StaticServer[] = [];

function exportSite(args: string[]): string {
  const dest = join(mkdtempSync(join(tmpdir(), 'stackviz-viewer-ci-')), 'site');
  execFileSync(
    process.execPath,
    ['bin/stackviz-export.js', '-q', '--html', ...args, '-f', `${FIX}/streams/stestr-failure.subunit`, dest],
    { stdio: 'pipe', env: { ...process.env, ZUUL_PROJECT: '', JOB_NAME: '' } },
  );
  return dest;
}

async function open(dest: string, hash = ''): Promise<Page> {
  const server = await startStaticServer(dest);
  servers.push(server);
  const page = await browser.newPage();
  await page.goto(`${server.url}${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** The text of every row of the table under the section with this heading. */
async function rows(page: Page, heading: string): Promise<string[][]> {
  const section = page.locator('.perf-section', { has: page.locator('h2', { hasText: heading }) });
  return section
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

beforeAll(async () => {
  requireViewerBuild();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
});

describe('run metadata on the home page', () => {
  it("shows the Zuul inventory's job, project, change linked to its review, and the other metadata", async () => {
    const dest = exportSite(['--zuul-inventory', `${FIX}/zuul/inventory-unsafe.yaml`, '--meta', 'cloud=rax']);
    const page = await open(dest);
    const meta = page.locator('.dataset-meta');
    expect(await meta.locator('dd[data-key="job"]').textContent()).toBe('tempest-full-py3');
    expect(await meta.locator('dd[data-key="project"]').textContent()).toBe('openstack/nova');
    const change = meta.locator('dd[data-key="change"] a');
    expect(await change.textContent()).toBe('951234,7');
    expect(await change.getAttribute('href')).toBe('https://review.opendev.org/951234');
    expect(await meta.locator('dd[data-key="subject"]').textContent()).toBe(
      'Make the compute API return 409 on a locked server',
    );
    expect(await meta.locator('dd[data-key="tenant"]').textContent()).toBe('openstack');
    expect(await meta.locator('dd[data-key="cloud"]').textContent()).toBe('rax');
    // No performance.json: no link to a performance page.
    expect(await page.locator('a[href="#/performance"]').count()).toBe(0);
    await page.close();
  });

  it('never turns a non-web URL into a link', async () => {
    const dest = exportSite(['--meta', 'change_id=1', '--meta', 'url=javascript:alert(1)']);
    const page = await open(dest);
    expect(await page.locator('.dataset-meta dd[data-key="change"]').textContent()).toBe('1');
    expect(await page.locator('.dataset-meta a').count()).toBe(0);
    await page.close();
  });
});

describe('the performance page', () => {
  it('shows version 2 as tables: service memory, queries per operation, API calls, top processes', async () => {
    const dest = exportSite(['--performance', `${FIX}/performance/performance-v2.json`]);
    const home = await open(dest);
    await home.locator('a[href="#/performance"]').click();
    await home.waitForSelector('.perf-table');
    expect(await home.locator('.perf-table').count()).toBe(4);
    const memory = await rows(home, 'Service memory');
    expect(memory[0]).toEqual(['devstack@q-svc.service', '384.0 MiB']);
    expect(memory).toContainEqual(['devstack@etcd.service', '–']);
    const db = await rows(home, 'Database queries');
    expect(db[0]).toEqual(['nova_cell1', 'SELECT', '40,110']);
    expect(db).toHaveLength(8);
    const api = await rows(home, 'API calls');
    expect(api).toContainEqual(['compute', 'tempest', 'GET', '2', 'tls-proxy_access.log']);
    expect(api).toContainEqual(['networking', 'nova-compute', 'GET', '1', 'tls-proxy_access.log']);
    const procs = await rows(home, 'Top processes');
    expect(procs[0]?.[0]).toBe('/usr/sbin/mysqld');
    expect(procs[0]?.[3]).toBe('679.9 MiB');
    expect(await home.locator('.performance').textContent()).toContain('report version 2');
    await home.close();
  });

  it('shows version 1 (queries per database, methods without agents) from its own link', async () => {
    const dest = exportSite(['--performance', `${FIX}/performance/performance-v1.json`]);
    const page = await open(dest, '#/performance');
    await page.waitForSelector('.perf-table');
    const db = await rows(page, 'Database queries');
    expect(db[0]).toEqual(['nova_cell1', '', '48,211']);
    expect(db).toContainEqual(['(none)', '', '1,410']);
    const api = await rows(page, 'API calls');
    expect(api[0]).toEqual(['compute', '', 'GET', '2', 'tls-proxy_access.log']);
    expect(JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8'))).toMatchObject({
      performance: 'performance.json',
    });
    await page.close();
  });

  it('shows the tables from the single file opened from file://', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-viewer-ci-'));
    const report = join(dir, 'report.html');
    execFileSync(
      process.execPath,
      [
        'bin/stackviz-export.js',
        '-q',
        '--performance',
        `${FIX}/performance/performance-v2.json`,
        '--single-file',
        report,
        '-f',
        `${FIX}/streams/stestr-failure.subunit`,
      ],
      { stdio: 'pipe' },
    );
    const page = await browser.newPage();
    await page.goto(`${pathToFileURL(report).href}#/performance`);
    await page.waitForSelector('.perf-table');
    expect((await rows(page, 'Service memory'))[0]).toEqual(['devstack@q-svc.service', '384.0 MiB']);
    await page.close();
  });

  it('says so when the export has no performance data', async () => {
    const page = await open(exportSite([]), '#/performance');
    expect(await page.locator('.error-box').textContent()).toContain('no devstack performance.json');
    await page.close();
  });
});
