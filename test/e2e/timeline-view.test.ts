// Browser tests of the timeline through the built app: filters change what is drawn, deep links, load-lane hover, ←/→, wheel zoom.
// Long on purpose: the tests share one exported site and browser, started once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { makeSite, type Site } from './viewer-sites.js';

/** What the tests read inside the page (typed here: the node-side tsconfig has no DOM library). */
interface DebugLike {
  t0Ms: number;
  t1Ms: number;
  selected: number;
  drawnByStatus: Record<string, number>;
  dimmed: number;
  frames: number;
  queryError: string | null;
  loadLanes: readonly string[];
  dstatShiftMin: number;
  valueAt(ms: number): Record<string, number> | null;
  testClientPoint(index: number): { x: number; y: number } | null;
  msToClientX(ms: number): number;
  loadLanesClientY(): number | null;
}
interface CanvasLike {
  width: number;
  getBoundingClientRect(): { left: number; top: number; width: number };
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
interface PageGlobals {
  __stackvizTimeline?: DebugLike;
  requestAnimationFrame(cb: () => void): number;
  location: { hash: string };
  document: { querySelector(selector: string): CanvasLike | null };
}

const STATUSES = [
  'success',
  'fail',
  'skip',
  'xfail',
  'uxsuccess',
  'exists',
  'inprogress',
  'unknown',
] as const;
const DSTAT = readFileSync('examples/dstat.csv', 'utf8');
/** examples/dstat.csv runs from 14:36:23 to 14:36:52 UTC on 28 Nov 2026 (its Date: line says UTC). */
const T0 = Date.UTC(2026, 10, 28, 14, 36, 23, 500);

interface Entry {
  name: string;
  status: string;
  tags: string[];
  timestamps: [string | null, string | null];
  duration: number | null;
  details: Record<string, never>;
  worker: number | null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000+00:00');
}

/** 4 workers × 60 tests of 0.45 s, a few statuses, 5 tests without worker, one hostile name. */
function makeEntries(): Entry[] {
  const out: Entry[] = [];
  for (let w = 0; w < 4; w++) {
    for (let k = 0; k < 60; k++) {
      const start = T0 + k * 450 + w * 37;
      const dur = k % 7 === 3 ? 0 : 400;
      const status = k % 11 === 5 ? 'fail' : k % 13 === 6 ? 'skip' : 'success';
      out.push({
        name: `pkg.mod_${w}.Test${w}.test_${String(k).padStart(2, '0')}`,
        status,
        tags: [`worker-${w}`],
        timestamps: [iso(start), iso(start + dur)],
        duration: dur / 1000,
        details: {},
        worker: w,
      });
    }
  }
  for (let k = 0; k < 5; k++) {
    const start = T0 + k * 2000;
    out.push({
      name: k === 0 ? '<script>alert(1)</script>' : `pkg.loose.test_${k}`,
      status: k === 1 ? 'xfail' : 'success',
      tags: [],
      timestamps: [iso(start), iso(start + 1500)],
      duration: 1.5,
      details: {},
      worker: null,
    });
  }
  // Completion order, like the exporter writes.
  return out.sort((a, b) => (a.timestamps[1] ?? '').localeCompare(b.timestamps[1] ?? ''));
}

const entries = makeEntries();
const counts = new Map<string, number>();
for (const e of entries) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);

let browser: Browser;
let site: Site;
let server: StaticServer;

beforeAll(async () => {
  browser = await launchBrowser();
  site = makeSite();
  const name = 'run.subunit';
  const art = (path: string, type: string): Record<string, unknown> => ({
    path,
    artifact_name: name,
    artifact_type: type,
    content_type: type === 'dstat' ? 'text/csv' : 'application/json',
    primary: type === 'subunit',
  });
  site.write('config.json', {
    deployer: false,
    datasets: [
      {
        name: null,
        url: null,
        status: null,
        ci_username: null,
        pipeline: null,
        change_id: null,
        revision: null,
        change_project: null,
        change_subject: null,
        artifacts: [
          art('run-0-raw.json', 'subunit'),
          art('run-0-details.json', 'subunit-details'),
          art('run-0-stats.json', 'subunit-stats'),
          art('dstat.csv', 'dstat'),
        ],
      },
    ],
  });
  site.write('run-0-raw.json', entries);
  site.write('run-0-details.json', {});
  site.write('run-0-stats.json', {
    count: entries.length,
    start: entries[0]?.timestamps[0] ?? null,
    end: entries[entries.length - 1]?.timestamps[1] ?? null,
    total_duration: 0,
    failures: [],
    skips: [],
  });
  site.write('dstat.csv', DSTAT);
  server = await startStaticServer(site.dir);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.remove();
});

interface Drawn {
  t0Ms: number;
  t1Ms: number;
  selected: number;
  drawnByStatus: Record<string, number>;
  dimmed: number;
  frames: number;
}

async function openTimeline(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${server.url}#/run/run.subunit/timeline${query === '' ? '' : `?${query}`}`);
  await page.waitForFunction(
    () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.frames ?? 0) > 0,
    null,
    { timeout: 20_000 },
  );
  expect(errors).toEqual([]);
  return page;
}

async function drawn(page: Page): Promise<Drawn> {
  // Two frames: whatever was requested has been drawn.
  await page.evaluate(
    () =>
      new Promise<void>((r) =>
        (globalThis as unknown as PageGlobals).requestAnimationFrame(() =>
          (globalThis as unknown as PageGlobals).requestAnimationFrame(() => r()),
        ),
      ),
  );
  return page.evaluate(() => {
    const d = (globalThis as unknown as PageGlobals).__stackvizTimeline;
    if (!d) throw new Error('no timeline');
    return {
      t0Ms: d.t0Ms,
      t1Ms: d.t1Ms,
      selected: d.selected,
      drawnByStatus: { ...d.drawnByStatus },
      dimmed: d.dimmed,
      frames: d.frames,
    };
  });
}

function hashParams(page: Page): URLSearchParams {
  const hash = new URL(page.url()).hash;
  return new URLSearchParams(hash.slice(hash.indexOf('?') + 1));
}

/** The RGBA of the tests canvas under a viewport point. */
async function pixelAt(page: Page, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([cx, cy]) => {
      const c = (globalThis as unknown as PageGlobals).document.querySelector('canvas.tl-tests');
      const ctx = c?.getContext('2d');
      if (!c || !ctx) throw new Error('no canvas');
      const r = c.getBoundingClientRect();
      const k = c.width / r.width;
      return Array.from(
        ctx.getImageData(Math.floor((cx - r.left) * k), Math.floor((cy - r.top) * k), 1, 1).data,
      );
    },
    [x, y] as const,
  );
}

async function testPoint(page: Page, index: number): Promise<{ x: number; y: number }> {
  const p = await page.evaluate(
    (i) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.testClientPoint(i) ?? null,
    index,
  );
  if (!p) throw new Error(`test ${index} is not on screen`);
  return p;
}

describe('timeline', () => {
  it('draws every test of the run, each status counted', async () => {
    const page = await openTimeline();
    const d = await drawn(page);
    for (const s of STATUSES) expect(d.drawnByStatus[s]).toBe(counts.get(s) ?? 0);
    expect(d.dimmed).toBe(0);
    expect(await page.locator('.tl-status[data-status="fail"] .tl-count').textContent()).toBe(
      String(counts.get('fail')),
    );
    await page.screenshot({ path: '/tmp/timeline-e2e.png', fullPage: true });
    await page.close();
  });

  it('a status toggle and a name search change what is drawn (model and pixels)', async () => {
    const page = await openTimeline();
    const failIndex = entries.findIndex((e) => e.status === 'fail');
    const p = await testPoint(page, failIndex);
    const before = await pixelAt(page, p.x, p.y);
    await page.click('.tl-status[data-status="fail"]');
    let d = await drawn(page);
    expect(d.dimmed).toBe(counts.get('fail'));
    const after = await pixelAt(page, p.x, p.y);
    expect(after).not.toEqual(before);
    // The hash is written once per frame after the change: wait for it rather than race it.
    await expect.poll(() => hashParams(page).get('st')).not.toBeNull();
    expect(hashParams(page).get('st')?.split(',')).not.toContain('fail');
    // Back on, then a search: only the matching tests stay at full strength.
    await page.click('.tl-status[data-status="fail"]');
    await page.fill('.tl-search', 'mod_2');
    await page.waitForFunction(
      () => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.dimmed ?? 0) > 0,
    );
    d = await drawn(page);
    expect(d.dimmed).toBe(entries.length - 60);
    expect(await page.textContent('.tl-matches-head')).toContain('60 of');
    expect(await page.locator('.tl-match').count()).toBeGreaterThan(5);
    expect(await page.locator('.tl-match').count()).toBeLessThan(60); // virtualised
    // An invalid regular expression says so.
    await page.check('.tl-regex input');
    await page.fill('.tl-search', 'test_(');
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).__stackvizTimeline?.queryError !== null,
    );
    expect(await page.textContent('.tl-query-error')).toContain('invalid regular expression');
    await page.close();
  });

  it('a deep link restores the window, the selection, the query and the statuses', async () => {
    const t0 = T0 + 5000;
    const t1 = T0 + 9000;
    const sel = entries.findIndex((e) => e.name === 'pkg.mod_1.Test1.test_12');
    const page = await openTimeline(`t0=${t0}&t1=${t1}&test=${sel}&q=Test1&st=success,fail`);
    const d = await drawn(page);
    expect(d.t0Ms).toBe(t0);
    expect(d.t1Ms).toBe(t1);
    expect(d.selected).toBe(sel);
    expect(await page.inputValue('.tl-search')).toBe('Test1');
    expect(await page.getAttribute('.tl-status[data-status="skip"]', 'aria-pressed')).toBe('false');
    expect(await page.getAttribute('.tl-status[data-status="fail"]', 'aria-pressed')).toBe('true');
    expect(await page.textContent('.tl-panel-title')).toBe('pkg.mod_1.Test1.test_12');
    // Only the tests in the window are drawn.
    const inWindow = entries.filter((e) => {
      const s = Date.parse(e.timestamps[0] ?? '');
      const en = Date.parse(e.timestamps[1] ?? '');
      return en >= t0 && s <= t1;
    }).length;
    const total = Object.values(d.drawnByStatus).reduce((a, b) => a + b, 0);
    expect(Math.abs(total - inWindow)).toBeLessThanOrEqual(4); // sub-ms rounding at the two edges
    expect(d.dimmed).toBeGreaterThan(0);
    await page.close();
  });

  it('the original front-end’s ?test=<name> selects that test, and a hostile name stays text', async () => {
    const page = await openTimeline(`test=${encodeURIComponent('<script>alert(1)</script>')}`);
    const d = await drawn(page);
    expect(entries[d.selected]?.name).toBe('<script>alert(1)</script>');
    expect(await page.textContent('.tl-panel-title')).toBe('<script>alert(1)</script>');
    expect(await page.locator('.tl-panel script').count()).toBe(0);
    await page.close();
  });

  it('click selects; ←/→ step through the worker’s tests; Escape clears', async () => {
    const page = await openTimeline();
    const worker2 = entries
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.worker === 2)
      .sort((a, b) => (a.e.timestamps[0] ?? '').localeCompare(b.e.timestamps[0] ?? ''));
    const first = worker2[10];
    if (!first) throw new Error('fixture');
    const p = await testPoint(page, first.i);
    await page.mouse.click(p.x, p.y);
    expect((await drawn(page)).selected).toBe(first.i);
    await page.keyboard.press('ArrowRight');
    expect((await drawn(page)).selected).toBe(worker2[11]?.i);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect((await drawn(page)).selected).toBe(worker2[9]?.i);
    await page.waitForFunction(
      (i) => (globalThis as unknown as PageGlobals).location.hash.includes(`test=${i}`),
      worker2[9]?.i,
    );
    await page.keyboard.press('Escape');
    expect((await drawn(page)).selected).toBe(-1);
    await page.close();
  });

  it('Ctrl+wheel zooms at the cursor and the window goes to the hash', async () => {
    const page = await openTimeline();
    const before = await drawn(page);
    const atMs = T0 + 10_000;
    const x = await page.evaluate(
      (ms) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.msToClientX(ms) ?? 0,
      atMs,
    );
    const p = await testPoint(page, 0);
    await page.mouse.move(x, p.y);
    // A plain wheel scrolls the page; Ctrl (or a pinch, which the browser sends as a ctrlKey wheel) zooms.
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    await page.waitForFunction(
      (t1) => ((globalThis as unknown as PageGlobals).__stackvizTimeline?.t1Ms ?? t1) !== t1,
      before.t1Ms,
    );
    const after = await drawn(page);
    expect(after.t1Ms - after.t0Ms).toBeLessThan((before.t1Ms - before.t0Ms) * 0.7);
    // The instant under the cursor stays under it.
    const xAfter = await page.evaluate(
      (ms) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.msToClientX(ms) ?? 0,
      atMs,
    );
    expect(Math.abs(xAfter - x)).toBeLessThan(1.5);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).location.hash.includes('t0='));
    expect(Number(hashParams(page).get('t1'))).toBeCloseTo(after.t1Ms, 2);
    // Keyboard: 0 shows the whole run again.
    await page.keyboard.press('0');
    const whole = await drawn(page);
    expect(whole.t1Ms - whole.t0Ms).toBeCloseTo(before.t1Ms - before.t0Ms, 6);
    await page.close();
  });

  it('the overview brush: drag to create a window, drag inside to move it', async () => {
    const page = await openTimeline();
    const whole = await drawn(page);
    const box = await page.locator('canvas.tl-overview').boundingBox();
    if (!box) throw new Error('no overview');
    const xOf = (ms: number): number => {
      // The overview maps the whole run (the first window) onto the same plot area as the tests.
      const plot0 = box.x + 104;
      const plotW = box.width - 104 - 8;
      return plot0 + ((ms - whole.t0Ms) / (whole.t1Ms - whole.t0Ms)) * plotW;
    };
    const a = T0 + 5000;
    const b = T0 + 12_000;
    const y = box.y + box.height / 2;
    await page.mouse.move(xOf(a), y);
    await page.mouse.down();
    await page.mouse.move(xOf((a + b) / 2), y);
    await page.mouse.move(xOf(b), y);
    await page.mouse.up();
    let d = await drawn(page);
    const msPerPx = (whole.t1Ms - whole.t0Ms) / (box.width - 112);
    expect(Math.abs(d.t0Ms - a)).toBeLessThan(2 * msPerPx);
    expect(Math.abs(d.t1Ms - b)).toBeLessThan(2 * msPerPx);
    // Move it by 3 s: same span, both ends shifted.
    await page.mouse.move(xOf((a + b) / 2), y);
    await page.mouse.down();
    await page.mouse.move(xOf((a + b) / 2 + 1500), y);
    await page.mouse.move(xOf((a + b) / 2 + 3000), y);
    await page.mouse.up();
    const moved = await drawn(page);
    expect(moved.t1Ms - moved.t0Ms).toBeCloseTo(d.t1Ms - d.t0Ms, 3);
    expect(Math.abs(moved.t0Ms - d.t0Ms - 3000)).toBeLessThan(2 * msPerPx);
    // Drag its right edge out by 2 s.
    d = moved;
    await page.mouse.move(xOf(d.t1Ms), y);
    await page.mouse.down();
    await page.mouse.move(xOf(d.t1Ms + 2000), y);
    await page.mouse.up();
    const resized = await drawn(page);
    expect(resized.t0Ms).toBeCloseTo(d.t0Ms, 3);
    expect(Math.abs(resized.t1Ms - d.t1Ms - 2000)).toBeLessThan(2 * msPerPx);
    await page.close();
  });

  it('a two-finger pinch zooms and a drag pans', async () => {
    const page = await openTimeline();
    const before = await drawn(page);
    const box = await page.locator('canvas.tl-tests').boundingBox();
    if (!box) throw new Error('no canvas');
    const y = box.y + 60;
    const mid = box.x + 104 + (box.width - 112) / 2;
    // Touch pointers as a touch screen sends them (pointerType touch, two ids), spreading apart.
    await page.evaluate(
      ([cx, cy]) => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): { dispatchEvent(e: object): boolean } | null };
          PointerEvent: new (type: string, init: object) => object;
        };
        const body = g.document.querySelector('.tl-body');
        if (!body) throw new Error('no body');
        const send = (type: string, id: number, x: number): void => {
          body.dispatchEvent(
            new g.PointerEvent(type, {
              pointerId: id,
              pointerType: 'touch',
              clientX: x,
              clientY: cy,
              bubbles: true,
              isPrimary: id === 1,
            }),
          );
        };
        send('pointerdown', 1, cx - 50);
        send('pointerdown', 2, cx + 50);
        for (let k = 1; k <= 5; k++) {
          send('pointermove', 1, cx - 50 - k * 30);
          send('pointermove', 2, cx + 50 + k * 30);
        }
        send('pointerup', 1, cx - 200);
        send('pointerup', 2, cx + 200);
      },
      [mid, y] as const,
    );
    const zoomed = await drawn(page);
    // Fingers 100 px → 400 px apart: a quarter of the span.
    expect((zoomed.t1Ms - zoomed.t0Ms) / (before.t1Ms - before.t0Ms)).toBeCloseTo(0.25, 2);
    // One-finger drag to the left by 100 px pans later in time.
    await page.mouse.move(mid, y);
    await page.mouse.down();
    await page.mouse.move(mid - 50, y);
    await page.mouse.move(mid - 100, y);
    await page.mouse.up();
    const panned = await drawn(page);
    const msPerPx = (zoomed.t1Ms - zoomed.t0Ms) / (box.width - 112);
    expect(panned.t0Ms - zoomed.t0Ms).toBeCloseTo(100 * msPerPx, 0);
    expect(panned.selected).toBe(-1); // a drag is not a click
    await page.close();
  });

  it('hover on the load lanes shows every lane’s value at that instant, with units', async () => {
    const page = await openTimeline();
    const lanes = await page.evaluate(
      () => (globalThis as unknown as PageGlobals).__stackvizTimeline?.loadLanes ?? [],
    );
    expect(lanes).toEqual(['cpu', 'mem', 'net', 'disk', 'load']);
    // 14:36:28 is the row with usr 59.799, sys 9.548, used 219144192.
    const atMs = Date.UTC(2026, 10, 28, 14, 36, 28);
    const values = await page.evaluate(
      (ms) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.valueAt(ms) ?? null,
      atMs,
    );
    expect(values?.['cpu_user']).toBeCloseTo(59.799, 3);
    expect(values?.['mem_used']).toBe(219144192);
    const x = await page.evaluate(
      (ms) => (globalThis as unknown as PageGlobals).__stackvizTimeline?.msToClientX(ms) ?? 0,
      atMs,
    );
    const y = await page.evaluate(
      () => (globalThis as unknown as PageGlobals).__stackvizTimeline?.loadLanesClientY() ?? 0,
    );
    await page.mouse.move(x, y);
    const tip = page.locator('.tl-tooltip');
    await tip.waitFor({ state: 'visible' });
    const text = (await tip.textContent()) ?? '';
    expect(text).toContain('user 59.8 %');
    expect(text).toContain('system 9.5 %');
    expect(text).toContain('used 209 MiB');
    expect(text).toMatch(/Network: recv [\d.]+ \w*B\/s · send/);
    expect(text).toMatch(/Load avg: 1m [\d.]+/);
    // The cursor line spans the tests and the lanes.
    const cursor = await page.locator('.tl-cursor').boundingBox();
    const lanesBox = await page.locator('canvas.tl-load').boundingBox();
    const testsBox = await page.locator('canvas.tl-tests').boundingBox();
    expect(cursor && lanesBox && testsBox).toBeTruthy();
    if (cursor && lanesBox && testsBox) {
      expect(cursor.y).toBeLessThanOrEqual(testsBox.y + 1);
      expect(cursor.y + cursor.height).toBeGreaterThanOrEqual(lanesBox.y + lanesBox.height - 1);
    }
    await page.screenshot({ path: '/tmp/timeline-e2e-hover.png', fullPage: true });
    // Shifting dstat by a minute moves the values off the run: the note says so.
    await page.fill('.tl-shift', '5');
    await page.press('.tl-shift', 'Enter');
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).__stackvizTimeline?.dstatShiftMin === 5,
    );
    expect(await page.textContent('.tl-dstat-note')).toContain('does not overlap');
    await expect.poll(() => hashParams(page).get('shift')).toBe('5');
    await page.close();
  });
});
