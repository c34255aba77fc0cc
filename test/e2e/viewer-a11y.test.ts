// Browser tests of the viewer without a mouse and for assistive technology (issue 17): keyboard selection,
// stepping and opening, focus rings only for keyboard focus, and axe-core on every page kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { busyRun, exportHtml, streamOf, type Export } from './viewer-ux-fixtures.js';

interface DebugLike {
  frames: number;
  selected: number;
}
interface PageGlobals {
  __stackvizTimeline?: DebugLike;
  location: { hash: string };
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');

let browser: Browser;
let site: Export;
let server: StaticServer;

beforeAll(async () => {
  browser = await launchBrowser();
  site = exportHtml({ busy: streamOf(busyRun()) });
  server = await startStaticServer(site.dir);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.remove();
});

async function openTimeline(): Promise<Page> {
  // bypassCSP: the report's policy (rightly) refuses the injected axe script.
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, bypassCSP: true });
  await page.goto(`${server.url}#/run/busy/timeline`);
  await page.waitForFunction(
    () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.frames ?? 0) > 0,
    null,
    { timeout: 30_000 },
  );
  return page;
}

const selected = (page: Page): Promise<number> =>
  page.evaluate('globalThis.__stackvizTimeline.selected') as Promise<number>;

describe('keyboard', () => {
  it('a click on the canvas focuses the timeline without a focus ring', async () => {
    const page = await openTimeline();
    const box = await page.locator('canvas.tl-tests').boundingBox();
    if (!box) throw new Error('no canvas');
    await page.mouse.click(box.x + box.width / 2, box.y + 8);
    expect(await page.evaluate(`document.activeElement.classList.contains('tl')`)).toBe(true);
    expect(await page.evaluate(`document.querySelector('.tl').matches(':focus-visible')`)).toBe(false);
    expect(await page.evaluate(`getComputedStyle(document.querySelector('.tl')).boxShadow`)).toBe('none');
    await page.close();
  });

  it('selects, steps and opens tests from the keyboard', async () => {
    const page = await openTimeline();
    await page.focus('.tl');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.selected ?? -1) >= 0,
      null,
      { timeout: 10_000 },
    );
    const first = await selected(page);
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(
      (f) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.selected !== f,
      first,
      { timeout: 10_000 },
    );
    const second = await selected(page);
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(
      (f) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.selected === f,
      first,
      { timeout: 10_000 },
    );
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(
      (f) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.selected !== f,
      first,
      { timeout: 10_000 },
    );
    expect(await selected(page)).not.toBe(second);
    const chosen = await selected(page);
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (i) => (globalThis as unknown as PageGlobals).location.hash.endsWith(`/test/${i}`),
      chosen,
      { timeout: 10_000 },
    );
    await page.close();
  });

  it('Enter on a search match opens its test', async () => {
    const page = await openTimeline();
    await page.fill('.tl-search', 'test_ssh_login');
    const match = page.locator('.tl-match').first();
    await match.waitFor({ timeout: 10_000 });
    await match.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).location.hash.includes('/test/'),
      null,
      { timeout: 10_000 },
    );
    await page.locator('.test-title').waitFor({ timeout: 30_000 });
    expect(await page.textContent('.test-title')).toContain('test_ssh_login');
    await page.close();
  });
});

describe('axe-core', () => {
  async function violations(page: Page): Promise<AxeViolation[]> {
    await page.addScriptTag({ content: AXE });
    const result = (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
    )) as AxeViolation[];
    return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  it.each([
    ['home', '/', '.run-card[data-filled]'],
    ['run', '/run/busy', '.run-card[data-filled]'],
    ['test', '/run/busy/test/0', '.test-facts'],
  ])('%s page: no serious or critical violation', async (_kind, hash, ready) => {
    const page = await browser.newPage({ bypassCSP: true });
    await page.goto(`${server.url}#${hash}`);
    await page.locator(ready).first().waitFor({ timeout: 30_000 });
    expect(await violations(page)).toEqual([]);
    await page.close();
  });

  it('timeline page (with a status switched off): no serious or critical violation', async () => {
    const page = await openTimeline();
    await page.click('.tl-status[data-status="success"]');
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).location.hash.includes('st='),
      null,
      { timeout: 10_000 },
    );
    expect(await violations(page)).toEqual([]);
    await page.screenshot({ path: '/tmp/stackviz-a11y-timeline.png' });
    await page.close();
  });
});
