// devstack's process-stackviz role with our exporter, end to end: the role's own shell commands (from
// examples/devstack/process-stackviz/tasks/main.yaml) run on a pcp-dstat log and without one, and the published
// folder is served and opened in headless Chromium: the run, its load lanes, the Zuul v2 metadata of --env.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ConfigFile } from '../../src/contract/export-format.js';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { requireViewerBuild } from './viewer-sites.js';

const ROLE = 'examples/devstack/process-stackviz/tasks/main.yaml';
/** Run 2 of the example repository, recorded while the pcp-dstat fixture's clock ran (28 Nov 2026 14:36 UTC). */
const SUBUNIT = 'test/fixtures/streams/stestr-run2-v2.subunit';
const PCP_LOG = 'test/fixtures/dstat/pcp-dstat-6.0.3.csv';

interface Task {
  name?: string;
  shell?: string;
}

/** The role's `shell:` command of the task with this name, its Jinja variables replaced. */
function roleCommand(taskName: string, vars: Record<string, string>): string {
  const doc = parse(readFileSync(ROLE, 'utf8')) as { block: Task[]; vars: Record<string, string> }[];
  const task = doc[0]?.block.find((t) => t.name === taskName);
  if (task?.shell === undefined) throw new Error(`${ROLE}: no shell task named ${taskName}`);
  const cmd = task.shell.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`${ROLE}: no value for {{ ${name} }}`);
    return v;
  });
  return cmd;
}

/** A devstack node after tempest: the subunit stream, maybe a dstat log, and an empty stage folder. */
function node(withDstat: boolean): { vars: Record<string, string>; stage: string } {
  const root = mkdtempSync(join(tmpdir(), 'stackviz-role-'));
  const work = join(root, 'src', 'opendev.org', 'openstack', 'tempest');
  const base = join(root, 'opt', 'stack');
  const stage = join(root, 'logs');
  for (const d of [work, join(base, 'logs'), stage]) mkdirSync(d, { recursive: true });
  copyFileSync(SUBUNIT, join(work, 'testrepository.subunit'));
  if (withDstat) copyFileSync(PCP_LOG, join(base, 'logs', 'dstat-csv.log'));
  return {
    stage,
    vars: {
      stackviz_export: `"${process.execPath}" "${join(process.cwd(), 'bin', 'stackviz-export.js')}"`,
      devstack_base_dir: base,
      stage_dir: stage,
      'subunit_input.stat.path': join(work, 'testrepository.subunit'),
    },
  };
}

function runRole(taskName: string, withDstat: boolean): string {
  const n = node(withDstat);
  const r = spawnSync('/bin/sh', ['-c', roleCommand(taskName, n.vars)], {
    encoding: 'utf8',
    env: {
      ...process.env,
      ZUUL_PROJECT: 'openstack/tempest',
      ZUUL_PIPELINE: 'check',
      JOB_NAME: 'tempest-full-py3',
    },
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return n.stage;
}

let browser: Browser;
const servers: StaticServer[] = [];

beforeAll(async () => {
  requireViewerBuild();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
});

/** Serve the stage folder as the log server does and open its stackviz/ folder; the requested paths too. */
async function open(stage: string, hash = ''): Promise<{ page: Page; requested: string[] }> {
  const server = await startStaticServer(stage);
  servers.push(server);
  const page = await browser.newPage();
  const requested: string[] = [];
  page.on('request', (req) => requested.push(new URL(req.url()).pathname));
  await page.goto(`${server.url}stackviz/${hash}`);
  await page.waitForSelector('body[data-ready]');
  expect(await page.getAttribute('body', 'data-ready')).toBe('true');
  return { page, requested };
}

describe("devstack's process-stackviz role with our exporter", () => {
  it('with a pcp-dstat log: writes the site into stackviz/, which opens with the run and its load lanes', async () => {
    const stage = runRole('Run stackviz with dstat', true);
    const site = join(stage, 'stackviz');
    // Our layout: front-end and data side by side in stackviz/ (the role's old one had the data in stackviz/data/).
    for (const f of ['index.html', 'config.json', 'dstat_log.csv', 'dstat_pcp.csv']) {
      expect(existsSync(join(site, f)), f).toBe(true);
    }
    expect(readFileSync(join(site, 'dstat_log.csv'), 'utf8')).toMatch(/^"Dstat \S+ CSV output"\n/);
    const config = JSON.parse(readFileSync(join(site, 'config.json'), 'utf8')) as ConfigFile;
    expect(config.datasets[0]).toMatchObject({
      change_project: 'openstack/tempest',
      name: 'tempest-full-py3',
    });
    const run = config.tempest?.[0];
    if (!run?.key) throw new Error('one run with a key expected');

    const home = await open(stage);
    expect(await home.page.locator('.run-card').count()).toBe(1);
    expect(await home.page.locator('.run-card [data-field="count"]').textContent()).toBe(
      run.stats.count.toLocaleString('en-US'),
    );
    expect(await home.page.locator('.dataset-meta').textContent()).toContain('tempest-full-py3');
    await home.page.close();

    const tl = await open(stage, `#/run/${encodeURIComponent(run.key)}/timeline`);
    await expect
      .poll(() => tl.page.evaluate('window.__stackvizTimeline?.loadLanes.length ?? 0'))
      .toBeGreaterThan(0);
    expect(await tl.page.evaluate('window.__stackvizTimeline?.dstatOverlapsRun')).toBe(true);
    // Our lanes read the log as recorded; the classic copy is for the original front-end.
    expect(tl.requested).toContain('/stackviz/dstat_pcp.csv');
    expect(tl.requested).not.toContain('/stackviz/dstat_log.csv');
    await tl.page.close();
  });

  it('without a dstat log: runs as the role does, without --dstat, and the site opens with the run', async () => {
    const stage = runRole('Run stackviz without dstat', false);
    const site = join(stage, 'stackviz');
    expect(existsSync(join(site, 'index.html'))).toBe(true);
    expect(existsSync(join(site, 'dstat_log.csv'))).toBe(false);
    const config = JSON.parse(readFileSync(join(site, 'config.json'), 'utf8')) as ConfigFile;
    const run = config.tempest?.[0];
    if (!run?.key) throw new Error('one run with a key expected');
    const tl = await open(stage, `#/run/${encodeURIComponent(run.key)}/timeline`);
    await tl.page.waitForSelector('.tl-dstat');
    expect(await tl.page.locator('.tl-dstat').textContent()).toContain('No dstat log for this run.');
    expect(await tl.page.evaluate('window.__stackvizTimeline?.loadLanes.length ?? -1')).toBe(0);
    await tl.page.close();
  });
});
