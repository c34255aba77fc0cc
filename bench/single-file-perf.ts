// Benchmark: size of the single-file report and time until it shows the run's counts, for the 20,000-test stream.
// Run after `npm run build`: node dist/bench/single-file-perf.js [--tests N] [--bytes B] [--keep DIR]
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    tests: { type: 'string', default: '20000' },
    bytes: { type: 'string', default: '50000000' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'string' },
  },
});

function run(cmd: string[], what: string): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, cmd, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
  return performance.now() - t0;
}

/** MB of embedded text per kind of file (details pieces, raw, the dstat log, the rest), from the page itself. */
function embeddedMB(html: string): Record<string, number> {
  const bytes: Record<string, number> = { details: 0, raw: 0, dstat: 0, other: 0 };
  for (const m of html.matchAll(
    /<script type="application\/x-stackviz-file" data-path="([^"]*)"[^>]*>([^<]*)/g,
  )) {
    const path = m[1] ?? '';
    const kind = /details/.test(path)
      ? 'details'
      : /_raw\.json/.test(path)
        ? 'raw'
        : /dstat/.test(path)
          ? 'dstat'
          : 'other';
    bytes[kind] = (bytes[kind] ?? 0) + (m[2]?.length ?? 0);
  }
  return Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, Math.round(v / 1e4) / 100]));
}

/**
 * Run in the page before its own scripts: notes when the run's count is first in the document, then the start of
 * the frame after the one that painted it (two animation frames), in ms since navigation start.
 */
const COUNTS_PAINTED = `
  new MutationObserver((_, obs) => {
    if (!document.querySelector('.run-card [data-field="count"]')) return;
    obs.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__countsPaintedMs = performance.now(); }));
  }).observe(document, { childList: true, subtree: true });
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'stackviz-sfbench-'));
mkdirSync(work, { recursive: true });
const stream = join(work, `bench-${values.tests}-${values.bytes}-${values.seed}.subunit`);
const dstat = `${stream}.csv`;
try {
  if (!existsSync(stream) || !existsSync(dstat)) {
    const gen = [
      '--tests',
      values.tests,
      '--bytes',
      values.bytes,
      '--seed',
      values.seed,
      '--out',
      stream,
      '--dstat',
      dstat,
    ];
    run(['dist/bench/generate.js', ...gen], 'the generator');
  }
  const report = join(work, 'report.html');
  const exportMs = run(
    ['bin/stackviz-export.js', '-q', '--single-file', report, '-f', stream, '--dstat', dstat],
    'stackviz-export --single-file',
  );
  const sizeBytes = statSync(report).size;

  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const toCounts: number[] = [];
  const painted: number[] = [];
  const toDetails: number[] = [];
  try {
    for (let i = 0; i < Number(values.runs); i++) {
      // A fresh context each time: nothing cached between runs.
      const context = await browser.newContext();
      await context.addInitScript(COUNTS_PAINTED);
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(pathToFileURL(report).href, { waitUntil: 'commit' });
      await page.waitForSelector('.run-card [data-field="count"]', { timeout: 60_000 });
      toCounts.push(performance.now() - t0);
      const inPage = await page.waitForFunction('window.__countsPaintedMs');
      painted.push(Number(await inPage.jsonValue()));
      const t1 = performance.now();
      const failure = page.locator('.fail-list a.test-name').first();
      if ((await failure.count()) > 0) {
        await failure.click();
        await page.waitForSelector('.test-title', { timeout: 60_000 });
        toDetails.push(performance.now() - t1);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const result = {
    tests: Number(values.tests),
    streamBytes: statSync(stream).size,
    dstatBytes: statSync(dstat).size,
    exportMs: Math.round(exportMs),
    singleFileBytes: sizeBytes,
    singleFileMB: Math.round((sizeBytes / 1e6) * 100) / 100,
    embeddedMB: embeddedMB(readFileSync(report, 'utf8')),
    // From outside: until Playwright sees the count, which waits for the page's main thread (busy reading the
    // tests right after the count is in).
    timeToCountsMs: { median: Math.round(median(toCounts)), all: toCounts.map(Math.round) },
    // In the page: navigation start to the frame after the one that painted the count.
    countsPaintedMs: { median: Math.round(median(painted)), all: painted.map(Math.round) },
    timeToFailureDetailsMs: toDetails.length
      ? { median: Math.round(median(toDetails)), all: toDetails.map(Math.round) }
      : null,
    // Issue 17's targets for this stream.
    limits: { sizeAtMost12MB: sizeBytes <= 12e6, countsWithin1s: median(toCounts) < 1000 },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
