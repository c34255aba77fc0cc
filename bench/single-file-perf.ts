// Benchmark: size of the single-file report and time until it shows the run's counts, for the 20,000-test stream.
// Run after `npm run build`: node dist/bench/single-file-perf.js [--tests N] [--bytes B] [--keep DIR]
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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
  const toDetails: number[] = [];
  try {
    for (let i = 0; i < Number(values.runs); i++) {
      // A fresh context each time: nothing cached between runs.
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(pathToFileURL(report).href, { waitUntil: 'commit' });
      await page.waitForSelector('.run-card [data-field="count"]', { timeout: 60_000 });
      toCounts.push(performance.now() - t0);
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
    timeToCountsMs: { median: Math.round(median(toCounts)), all: toCounts.map(Math.round) },
    timeToFailureDetailsMs: toDetails.length
      ? { median: Math.round(median(toDetails)), all: toDetails.map(Math.round) }
      : null,
    limits: { sizeUnder15MB: sizeBytes < 15e6, countsWithin3s: median(toCounts) < 3000 },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
