// `stackviz history`: the job's latest run against its window, as JSON (the contract) or a short summary;
// `stackviz history migrate`: brings a store to this code's schema.
import type { HistoryFile, HistoryTest } from '../contract/history-format.js';
import { migrateStore, openStore, storeName } from '../history/open.js';
import { byCodePoint, DEFAULT_WINDOW } from '../history/rules.js';
import type { HistoryStore, StoredRun } from '../history/store.js';
import { EXIT_OK, parseWindow, runCommand, UsageError } from './history-common.js';

export interface HistoryOptions {
  db?: string;
  job?: string;
  window?: string;
  json: boolean;
}

/** The job to analyse: --job, or the store's only one. */
async function chooseJob(store: HistoryStore, job: string | undefined): Promise<string> {
  const jobs = await store.jobs();
  if (job !== undefined) {
    if (!jobs.includes(job)) {
      throw new UsageError(
        `no job '${job}' in ${store.label}${jobs.length === 0 ? ' (it has no runs)' : ` (jobs: ${jobs.join(', ')})`}`,
      );
    }
    return job;
  }
  if (jobs.length === 1) return jobs[0] as string;
  if (jobs.length === 0) throw new UsageError(`${store.label} has no runs yet (stackviz record adds them)`);
  throw new UsageError(`${store.label} holds ${jobs.length} jobs; choose one with --job: ${jobs.join(', ')}`);
}

const LIST = 20;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function section(
  title: string,
  tests: HistoryTest[],
  detail: (t: HistoryTest) => string = () => '',
): string[] {
  if (tests.length === 0) return [];
  const lines = [`${tests.length} ${title}:`];
  for (const t of tests.slice(0, LIST)) lines.push(`  ${t.name}${detail(t)}`);
  if (tests.length > LIST) lines.push(`  … and ${tests.length - LIST} more (--json lists them all)`);
  return lines;
}

/** A short readable summary: new failures, flaky, fixed, slower. */
export function historyText(h: HistoryFile, untimed: StoredRun[]): string {
  const lines: string[] = [];
  const last = h.runs[h.runs.length - 1];
  if (last === undefined) {
    lines.push(`job '${h.job}': no run with a timestamped test, so no window to analyse`);
  } else {
    lines.push(
      `job '${h.job}': run ${last.id.slice(0, 12)} (${last.start}), ${last.tests} tests, ${last.failures} ${last.failures === 1 ? 'failure' : 'failures'}; ` +
        `window: ${h.runs.length} of up to ${h.window} runs`,
    );
    const failing = h.tests.filter((t) => t.outcome === 'fail');
    const counts = [
      plural(h.tests.filter((t) => t.new_failure).length, 'new failure'),
      `${h.tests.filter((t) => t.flaky).length} flaky`,
      `${h.tests.filter((t) => t.fixed).length} fixed`,
      `${h.tests.filter((t) => t.slower).length} slower`,
      plural(h.tests.filter((t) => t.new_test).length, 'new test'),
    ];
    lines.push(counts.join(', '));
    lines.push(
      ...section(
        'new failures',
        h.tests.filter((t) => t.new_failure),
      ),
    );
    const newFailing = failing.filter((t) => t.new_test);
    lines.push(...section('new tests failing', newFailing));
    // The flaky tests that failed in this run first (is this failure flaky?), then the most flips.
    const failedNow = (t: HistoryTest): number => (t.outcome === 'fail' || t.outcome === 'flaky' ? 0 : 1);
    lines.push(
      ...section(
        'flaky',
        h.tests
          .filter((t) => t.flaky)
          .sort((a, b) => failedNow(a) - failedNow(b) || b.flips - a.flips || byCodePoint(a.name, b.name)),
        (t) =>
          ` (${plural(t.flips, 'flip')}, ${plural(t.failures, 'failure')} in ${plural(t.runs, 'run')}` +
          `${failedNow(t) === 0 ? `; ${t.outcome === 'fail' ? 'failed' : 'failed, then passed'} in this run` : ''})`,
      ),
    );
    lines.push(
      ...section(
        'fixed',
        h.tests.filter((t) => t.fixed),
      ),
    );
    lines.push(
      ...section(
        'slower',
        h.tests.filter((t) => t.slower),
        (t) => {
          const d = t.recent[t.recent.length - 1]?.duration;
          if (d == null) return '';
          return ` (${d.toFixed(2)} s${t.baseline === undefined ? '' : `, median before ${t.baseline.toFixed(2)} s`})`;
        },
      ),
    );
    const other = failing.filter((t) => !t.new_failure && !t.new_test && !t.flaky);
    lines.push(...section('failing before too', other));
  }
  if (untimed.length > 0) {
    lines.push(
      `${untimed.length} run${untimed.length === 1 ? '' : 's'} with no timestamped test (recorded, no place in the window): ` +
        untimed.map((r) => r.id.slice(0, 12)).join(', '),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function showHistory(o: HistoryOptions): Promise<number> {
  const window = parseWindow(o.window) ?? DEFAULT_WINDOW;
  const store = await openStore(storeName(o.db), 'read');
  try {
    const job = await chooseJob(store, o.job);
    const h = await store.history(job, window);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(h)}\n`);
    } else {
      const untimed = (await store.runs(job)).filter((r) => r.startUs === null);
      process.stdout.write(historyText(h, untimed));
    }
    return EXIT_OK;
  } finally {
    await store.close();
  }
}

export function history(o: HistoryOptions): Promise<number> {
  return runCommand('history', () => showHistory(o));
}

export function migrate(o: { db?: string }): Promise<number> {
  return runCommand('history migrate', async () => {
    const r = await migrateStore(storeName(o.db));
    process.stdout.write(
      r.from === r.to
        ? `${r.label} is at schema version ${r.to}; nothing to do\n`
        : `${r.label}: schema version ${r.from} → ${r.to}\n`,
    );
    return EXIT_OK;
  });
}
