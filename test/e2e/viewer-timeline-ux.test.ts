// Browser tests of the timeline as a person uses it (issue 17): failures in sight, the wheel, controls in place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { busyDstat, busyRun, exportHtml, midnightRun, streamOf, type Export } from './viewer-ux-fixtures.js';

interface DebugLike {
  frames: number;
  t0Ms: number;
  t1Ms: number;
}
interface PageGlobals {
  __stackvizTimeline?: DebugLike;
}

let browser: Browser;
let site: Export;
let server: StaticServer;
let names: string[];

beforeAll(async () => {
  browser = await launchBrowser();
  site = exportHtml({ busy: streamOf(busyRun()), midnight: streamOf(midnightRun()) }, busyDstat());
  const config = JSON.parse(readFileSync(join(site.dir, 'config.json'), 'utf8')) as {
    tempest: { raw: string }[];
  };
  const raw = JSON.parse(
    readFileSync(join(site.dir, config.tempest.find((r) => r.raw.includes('busy'))?.raw ?? ''), 'utf8'),
  ) as {
    name: string;
  }[];
  names = raw.map((e) => e.name);
  server = await startStaticServer(site.dir);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.remove();
});

function indexOf(suffix: string): number {
  const i = names.findIndex((n) => n.endsWith(suffix));
  if (i < 0) throw new Error(`no test ${suffix}`);
  return i;
}

async function openTimeline(query = '', run = 'busy'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}#/run/${run}/timeline${query === '' ? '' : `?${query}`}`);
  await page.waitForFunction(
    () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.frames ?? 0) > 0,
    null,
    { timeout: 30_000 },
  );
  expect(errors).toEqual([]);
  return page;
}

/** A value of the timeline's debug view, by expression (`d` is the view). */
async function debug<T>(page: Page, expr: string): Promise<T> {
  return page.evaluate(`((d) => ${expr})(globalThis.__stackvizTimeline)`) as Promise<T>;
}

/**
 * Width (css px) of a bar on the test canvas around a viewport point: the pixels either side that are painted
 * (not the lane's faint background) and not the colour of the pass at `pass` (hatched bars vary in colour).
 */
async function barWidthAt(
  page: Page,
  p: { x: number; y: number },
  pass: { x: number; y: number },
): Promise<number> {
  return page.evaluate(`(() => {
    const c = document.querySelector('canvas.tl-tests');
    const r = c.getBoundingClientRect();
    const dpr = c.width / r.width;
    const g = c.getContext('2d');
    const ref = g.getImageData(Math.floor((${pass.x} - r.left) * dpr), Math.round((${pass.y} - r.top) * dpr), 1, 1).data;
    const data = g.getImageData(0, Math.round((${p.y} - r.top) * dpr), c.width, 1).data;
    const x = Math.floor((${p.x} - r.left) * dpr);
    const inBar = (i) => data[i * 4 + 3] > 40 && ![0, 1, 2, 3].every((k) => data[i * 4 + k] === ref[k]);
    if (!inBar(x)) return 0;
    let a = x, b = x;
    while (a > 0 && inBar(a - 1)) a--;
    while (b < c.width - 1 && inBar(b + 1)) b++;
    return (b - a + 1) / dpr;
  })()`);
}

describe('failures in sight', () => {
  it('a 20 ms failure, an unexpected success and a hung test stay >= 3 px wide in a 100 s run', async () => {
    const page = await openTimeline();
    const pass = await debug<{ x: number; y: number }>(page, `d.testClientPoint(${indexOf('test_3_50')})`);
    for (const name of ['test_ssh_login', 'test_unexpected', 'test_hangs']) {
      const i = indexOf(name);
      const p = await debug<{ x: number; y: number } | null>(page, `d.testClientPoint(${i})`);
      expect(p, name).not.toBeNull();
      expect(await barWidthAt(page, p as { x: number; y: number }, pass), name).toBeGreaterThanOrEqual(3);
    }
    await page.screenshot({ path: '/tmp/stackviz-failures-in-sight.png' });
    await page.close();
  });

  it('marks them on the overview', async () => {
    const page = await openTimeline();
    expect(await debug(page, 'd.overviewMarks')).toBe(3);
    // Filtered to passes only, the marks go with the bars.
    await page.close();
    const passes = await openTimeline('st=success');
    expect(await debug(passes, 'd.overviewMarks')).toBe(0);
    await passes.close();
  });
});

describe('the wheel', () => {
  it('scrolls the page with a hint; Ctrl+wheel zooms, Shift+wheel and a sideways swipe pan', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 500 } });
    await page.goto(`${server.url}#/run/busy/timeline`);
    await page.waitForFunction(
      () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.frames ?? 0) > 0,
      null,
      { timeout: 30_000 },
    );
    const win = (): Promise<[number, number]> => debug(page, '[d.t0Ms, d.t1Ms]');
    const whole = await win();
    const box = await page.locator('.tl-body').boundingBox();
    if (!box) throw new Error('no timeline body');
    await page.mouse.move(box.x + box.width / 2, box.y + 30);
    await page.mouse.wheel(0, 200);
    // The page scrolls (smoothly) by the wheel's 200 px, or to its end if that is nearer.
    const target = Math.min(
      200,
      await page.evaluate<number>('document.documentElement.scrollHeight - innerHeight'),
    );
    expect(target).toBeGreaterThan(0);
    await page.waitForFunction(
      (y) => Math.abs((globalThis as unknown as { scrollY: number }).scrollY - y) < 1,
      target,
      { timeout: 10_000 },
    );
    await page.locator('.tl-wheel-hint.tl-show').waitFor({ timeout: 10_000 });
    expect(await page.locator('.tl-wheel-hint').textContent()).toContain('+ scroll to zoom');
    expect(await win()).toEqual(whole);
    await page.screenshot({ path: '/tmp/stackviz-wheel-hint.png' });

    const body = await page.locator('.tl-body').boundingBox();
    if (!body) throw new Error('no timeline body');
    // The middle of the bars: the top may be under the page's sticky header now.
    await page.mouse.move(body.x + body.width / 2, body.y + body.height / 2);
    const scrolled = await page.evaluate('window.scrollY');

    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -300);
    await page.keyboard.up('Control');
    await page.waitForFunction(
      ([t0, t1]) => {
        const d = (globalThis as unknown as PageGlobals).__stackvizTimeline;
        return d !== undefined && d.t1Ms - d.t0Ms < (t1 - t0) * 0.9;
      },
      whole,
      { timeout: 10_000 },
    );
    expect(await page.evaluate('window.scrollY')).toBe(scrolled);
    const zoomed = await win();

    await page.keyboard.down('Shift');
    await page.mouse.wheel(0, 100);
    await page.keyboard.up('Shift');
    await page.waitForFunction(
      (t0) => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.t0Ms ?? t0) > t0,
      zoomed[0],
      { timeout: 10_000 },
    );
    const shifted = await win();
    expect(shifted[1] - shifted[0]).toBeCloseTo(zoomed[1] - zoomed[0], 3);

    await page.mouse.wheel(-100, 0);
    await page.waitForFunction(
      (t0) => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.t0Ms ?? t0) < t0,
      shifted[0],
      { timeout: 10_000 },
    );
    expect(await page.evaluate('window.scrollY')).toBe(scrolled);
    await page.close();
  });
});

describe('controls', () => {
  it('the zoom "+" button stays put: 8 clicks on one spot zoom in 8 times', async () => {
    const page = await openTimeline();
    const plus = page.locator('.tl-zoom .tl-btn', { hasText: '+' });
    const first = await plus.boundingBox();
    if (!first) throw new Error('no + button');
    const at = { x: first.x + first.width / 2, y: first.y + first.height / 2 };
    let span = await debug<number>(page, 'd.t1Ms - d.t0Ms');
    for (let k = 0; k < 8; k++) {
      await page.mouse.click(at.x, at.y);
      await page.waitForFunction(
        (before) => {
          const d = (globalThis as unknown as PageGlobals).__stackvizTimeline;
          return d !== undefined && d.t1Ms - d.t0Ms < before * 0.75;
        },
        span,
        { timeout: 10_000 },
      );
      span = await debug<number>(page, 'd.t1Ms - d.t0Ms');
      const box = await plus.boundingBox();
      expect(box?.x).toBe(first.x);
      expect(box?.y).toBe(first.y);
    }
    await page.close();
  });
});

describe('filters, axis, test page', () => {
  const pressed = async (page: Page): Promise<string[]> =>
    page.evaluate(
      `[...document.querySelectorAll('.tl-status[aria-pressed="true"]:not([hidden])')].map((b) => b.dataset.status)`,
    );

  it('"All" and "Only failures" take one click; statuses no test has are not shown', async () => {
    const page = await openTimeline('st=success');
    expect(await pressed(page)).toEqual(['success']);
    await page.click('.tl-preset:text("All")');
    await page.waitForFunction(
      () => !(globalThis as unknown as { location: { hash: string } }).location.hash.includes('st='),
      null,
      { timeout: 10_000 },
    );
    expect(await pressed(page)).toEqual(['success', 'fail', 'uxsuccess', 'inprogress']);
    await page.click('.tl-preset:text("Only failures")');
    await page.waitForFunction(
      () => (globalThis as unknown as { location: { hash: string } }).location.hash.includes('st='),
      null,
      { timeout: 10_000 },
    );
    expect(await pressed(page)).toEqual(['fail', 'uxsuccess', 'inprogress']);
    for (const s of ['skip', 'xfail', 'exists', 'unknown'])
      expect(await page.locator(`.tl-status[data-status="${s}"]`).isVisible(), s).toBe(false);
    await page.close();
  });

  it('explains the hatch only when a test has no end', async () => {
    for (const [run, shown] of [
      ['busy', true],
      ['midnight', false],
    ] as const) {
      const page = await openTimeline('', run);
      expect(await page.locator('.tl-legend-note').count(), run).toBe(shown ? 1 : 0);
      await page.close();
    }
  });

  it('axis labels stay inside the plot, and carry the date across midnight', async () => {
    for (const run of ['busy', 'midnight']) {
      const page = await openTimeline('', run);
      const labels = await debug<{ text: string; x0CssPx: number; x1CssPx: number }[]>(page, 'd.axisLabels');
      const plot = await debug<{ x0: number; x1: number }>(page, 'd.plotCssPx');
      expect(labels.length).toBeGreaterThan(4);
      for (const l of labels) {
        expect(l.x0CssPx, `${run}: ${l.text}`).toBeGreaterThanOrEqual(plot.x0);
        expect(l.x1CssPx, `${run}: ${l.text}`).toBeLessThanOrEqual(plot.x1);
      }
      // No two labels of a row overlap (a last label shifted in used to land on its neighbour).
      const rows = new Map<boolean, { x0CssPx: number; x1CssPx: number }[]>();
      for (const l of labels) {
        const elapsed = /^[+−]/.test(l.text);
        rows.set(elapsed, [...(rows.get(elapsed) ?? []), l]);
      }
      for (const row of rows.values()) {
        const sorted = [...row].sort((a, b) => a.x0CssPx - b.x0CssPx);
        for (let i = 1; i < sorted.length; i++) {
          const [a, b] = [sorted[i - 1], sorted[i]] as [{ x1CssPx: number }, { x0CssPx: number }];
          expect(b.x0CssPx, `${run}: labels overlap`).toBeGreaterThanOrEqual(a.x1CssPx);
        }
      }
      const dated = labels.filter((l) => /\d{4}-\d{2}-\d{2}/.test(l.text)).map((l) => l.text.slice(0, 10));
      if (run === 'busy') expect(dated).toEqual([]);
      else expect(dated).toEqual(['2023-11-14', '2023-11-15']);
      await page.screenshot({ path: `/tmp/stackviz-axis-${run}.png` });
      await page.close();
    }
  });

  it('a log tab counts records, not lines', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#/run/busy/test/${indexOf('test_logs')}`);
    const tab = page.locator('.tab[data-attachment="pythonlogging"] .n');
    await tab.waitFor({ timeout: 30_000 });
    expect(await tab.textContent()).toBe('3');
    await page.close();
  });

  it('the test page keeps its tab, log levels and log search in the URL, and restores them on reload', async () => {
    const page = await browser.newPage();
    const base = `${server.url}#/run/busy/test/${indexOf('test_logs')}`;
    await page.goto(`${base}?tab=pythonlogging&level=ERROR,DEBUG&q=second`);
    await page.locator('.log-record').first().waitFor({ timeout: 30_000 });
    expect(await page.getAttribute('.level-toggle[data-level="INFO"]', 'aria-pressed')).toBe('false');
    expect(await page.getAttribute('.level-toggle[data-level="ERROR"]', 'aria-pressed')).toBe('true');
    expect(await page.inputValue('.log-search')).toBe('second');
    expect(await page.locator('.log-record').count()).toBe(1);
    // Changes go to the URL, and a reload restores them.
    await page.click('.level-toggle[data-level="INFO"]');
    await page.fill('.log-search', 'first');
    const hash = (): Promise<string> => page.evaluate('location.hash');
    await page.waitForFunction(
      () => (globalThis as unknown as { location: { hash: string } }).location.hash.includes('q=first'),
      null,
      { timeout: 10_000 },
    );
    expect(await hash()).toContain('level=ERROR%2CINFO%2CDEBUG');
    await page.reload();
    await page.locator('.log-record').first().waitFor({ timeout: 30_000 });
    expect(await page.inputValue('.log-search')).toBe('first');
    expect(await page.getAttribute('.level-toggle[data-level="INFO"]', 'aria-pressed')).toBe('true');
    expect(await page.locator('.log-record').count()).toBe(1);
    await page.close();
  });
});

describe('load lanes', () => {
  interface Scale {
    id: string;
    max: number;
    label: string;
  }
  const scales = (page: Page): Promise<Scale[]> => debug<Scale[]>(page, 'd.loadScales');

  it('scale to the visible window, say "idle" for all zeros, and carry a colour legend', async () => {
    const page = await openTimeline();
    const whole = await scales(page);
    const disk = whole.find((l) => l.id === 'disk');
    expect(disk?.max).toBe(100e6);
    expect(whole.find((l) => l.id === 'net')?.label).toBe('idle (0)');
    await page.screenshot({ path: '/tmp/stackviz-lanes-whole.png' });
    await page.close();
    // The first half of the run: the disk burst at 90 s is off screen, the lane scales to 1 MB/s.
    const start = await openTimeline();
    const run0 = await debug<number>(start, 'd.runStartMs');
    await start.close();
    const half = await openTimeline(`t0=${run0}&t1=${run0 + 50_000}`);
    expect((await scales(half)).find((l) => l.id === 'disk')?.max).toBe(1e6);
    await half.screenshot({ path: '/tmp/stackviz-lanes-half.png' });
    await half.close();
  });

  it('are hidden, with one line saying why, when the log does not overlap the run', async () => {
    const page = await openTimeline('', 'midnight');
    expect(await debug<boolean | null>(page, 'd.dstatOverlapsRun')).toBe(false);
    expect(await scales(page)).toEqual([]);
    expect(await page.locator('canvas.tl-load').isVisible()).toBe(false);
    expect(await page.textContent('.tl-dstat-note')).toContain('load lanes are hidden');
    await page.close();
  });
});
