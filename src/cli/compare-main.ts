// `stackviz compare A B`: what changed between two runs, each a stream file, an export folder, a repository
// (its latest run) or a run id of the store.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompareResult } from '../contract/history-format.js';
import { openStore, storeName } from '../history/open.js';
import { readRuns } from '../history/read-runs.js';
import { compareRuns, RunTests } from '../history/rules.js';
import { StoreError, type HistoryStore } from '../history/store.js';
import { PerformanceFormatError } from '../formats/performance/index.js';
import {
  comparePerformance,
  comparePerformanceText,
  type PerformanceComparison,
} from '../model/performance.js';
import { describeFsError, InputError } from '../sources/errors.js';
import { EXIT_OK, runCommand, UsageError } from './history-common.js';
import { performanceOfSide } from './performance-side.js';

export interface CompareOptions {
  db?: string;
  json: boolean;
}

const never = (): null => null;

/** The tests of one side: the last run its input holds, or a run of the store. */
async function side(what: string, store: () => Promise<HistoryStore>): Promise<RunTests> {
  let notFound: unknown = null;
  const st = await stat(what).catch((e: unknown) => {
    notFound = e;
    return null;
  });
  if (st !== null) {
    const isRepo = st.isDirectory() && (await stat(join(what, 'config.json')).catch(() => null)) === null;
    const inputs = isRepo
      ? { files: [], repositories: [what], stdin: false }
      : { files: [what], repositories: [], stdin: false };
    let last: RunTests | null = null;
    for await (const run of readRuns(inputs, process.stdin, never)) {
      const t = new RunTests();
      for (const r of run.results) t.add(r.name, r.status, r.duration);
      last = t;
    }
    if (last === null) throw new UsageError(`'${what}' holds no run`);
    return last;
  }
  // Not a file: a run id, if there is a store to look it up in. Without one, the path is what the user meant.
  const s = await store().catch((e: unknown) => {
    if (!(e instanceof StoreError)) throw e;
    throw new StoreError(`cannot read '${what}': ${describeFsError(notFound)}, nor a run id: ${e.message}`);
  });
  const found = await s.runTests(what);
  if (found === null) {
    throw new UsageError(`'${what}' is neither a file or folder nor a run id of ${s.label}`);
  }
  return found.tests;
}

/** devstack's performance.json of both sides compared, when both have one (export folders or the files). */
async function performanceChanges(a: string, b: string): Promise<PerformanceComparison | null> {
  const read = (path: string) =>
    performanceOfSide(path).catch((e: unknown) => {
      if (e instanceof PerformanceFormatError) throw new InputError(path, e.message);
      throw e;
    });
  const [pa, pb] = [await read(a), await read(b)];
  return pa === null || pb === null ? null : comparePerformance(pa, pb);
}

/** Text for people: each list under its heading. */
export function compareText(r: CompareResult): string {
  const lines: string[] = [];
  const list = (title: string, names: string[]): void => {
    if (names.length === 0) return;
    lines.push(`${names.length} ${title}:`);
    for (const n of names) lines.push(`  ${n}`);
  };
  lines.push(
    `${r.new_failures.length} new failures, ${r.fixed.length} fixed, ${r.still_failing.length} still failing, ` +
      `${r.added.length} added (${r.added_failing?.length ?? 0} failing), ${r.removed.length} removed, ` +
      `${r.slower.length} slower`,
  );
  list('new failures', r.new_failures);
  list('fixed', r.fixed);
  list('still failing', r.still_failing);
  list('added', r.added);
  list('added and failing', r.added_failing ?? []);
  list('removed', r.removed);
  if (r.slower.length > 0) {
    lines.push(`${r.slower.length} slower:`);
    for (const s of r.slower) lines.push(`  ${s.name} (${s.before.toFixed(2)} s → ${s.after.toFixed(2)} s)`);
  }
  return `${lines.join('\n')}\n`;
}

export function compare(a: string, b: string, o: CompareOptions): Promise<number> {
  return runCommand('compare', async () => {
    let opened: HistoryStore | null = null;
    const store = async (): Promise<HistoryStore> => (opened ??= await openStore(storeName(o.db), 'read'));
    try {
      const before = await side(a, store);
      const after = await side(b, store);
      const r = compareRuns(before, after);
      const perf = await performanceChanges(a, b);
      if (o.json)
        process.stdout.write(`${JSON.stringify(perf === null ? r : { ...r, performance: perf })}\n`);
      else process.stdout.write(compareText(r) + (perf === null ? '' : comparePerformanceText(perf)));
      return EXIT_OK;
    } finally {
      await (opened as HistoryStore | null)?.close();
    }
  });
}
