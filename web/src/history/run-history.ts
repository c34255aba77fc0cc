// A run's history file (`--history`) as the viewer uses it: checked, indexed by name, summed up in one line.
import type { HistoryFile, HistoryRun, HistoryTest, Outcome } from '../../../src/contract/history-format';

/** The history file is not what the contract says. */
export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

/** A history file with its tests by name. */
export interface RunHistory {
  readonly file: HistoryFile;
  readonly byName: ReadonlyMap<string, HistoryTest>;
  /** The run analysed: the window's last run. */
  readonly latest: HistoryRun | null;
}

/** What a run's history says at run level (the tests present in the run: a test not in it has no badge here). */
export interface HistoryCounts {
  newFailures: number;
  /** New tests (present only in this run), and those of them that fail. */
  newTests: number;
  newFailing: number;
  flaky: number;
  fixed: number;
  slower: number;
}

const OUTCOMES = new Set<string>(['flaky', 'fail', 'pass', 'skip', 'absent']);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the fields the viewer reads (a file of a newer exporter may carry more); throws HistoryFormatError. */
export function parseHistoryFile(doc: unknown): RunHistory {
  const bad = (what: string): never => {
    throw new HistoryFormatError(`not a history file: ${what}`);
  };
  if (!isRecord(doc)) return bad('not a JSON object');
  if (typeof doc['job'] !== 'string') bad('no job');
  if (!Array.isArray(doc['runs'])) bad('no runs list');
  if (!Array.isArray(doc['tests'])) bad('no tests list');
  const runs = doc['runs'] as unknown[];
  runs.forEach((r, i) => {
    if (!isRecord(r) || typeof r['id'] !== 'string' || typeof r['start'] !== 'string') bad(`runs[${i}]`);
  });
  const byName = new Map<string, HistoryTest>();
  (doc['tests'] as unknown[]).forEach((t, i) => {
    if (!isRecord(t) || typeof t['name'] !== 'string' || !OUTCOMES.has(String(t['outcome'])))
      bad(`tests[${i}]`);
    if (!Array.isArray((t as Record<string, unknown>)['recent'])) bad(`tests[${i}].recent`);
    const test = t as unknown as HistoryTest;
    byName.set(test.name, test);
  });
  const file = doc as unknown as HistoryFile;
  return { file, byName, latest: file.runs[file.runs.length - 1] ?? null };
}

const present = (o: Outcome): boolean => o !== 'absent';

export function historyCounts(h: RunHistory): HistoryCounts {
  const c: HistoryCounts = { newFailures: 0, newTests: 0, newFailing: 0, flaky: 0, fixed: 0, slower: 0 };
  for (const t of h.file.tests) {
    if (!present(t.outcome)) continue;
    if (t.new_failure) c.newFailures++;
    if (t.new_test) {
      c.newTests++;
      if (t.outcome === 'fail') c.newFailing++;
    }
    if (t.flaky) c.flaky++;
    if (t.fixed) c.fixed++;
    if (t.slower) c.slower++;
  }
  return c;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * The run-level line: "3 new failures, 2 flaky, 1 fixed, 1 slower" (zeros left out; new tests after them,
 * saying how many of those fail). "Nothing new" when every count is zero.
 */
export function historyLine(c: HistoryCounts): string {
  const parts: string[] = [];
  if (c.newFailures > 0) parts.push(plural(c.newFailures, 'new failure', 'new failures'));
  if (c.flaky > 0) parts.push(`${c.flaky} flaky`);
  if (c.fixed > 0) parts.push(`${c.fixed} fixed`);
  if (c.slower > 0) parts.push(`${c.slower} slower`);
  if (c.newTests > 0)
    parts.push(
      plural(c.newTests, 'new test', 'new tests') + (c.newFailing > 0 ? ` (${c.newFailing} failing)` : ''),
    );
  return parts.length === 0 ? 'nothing new' : parts.join(', ');
}

/** What the window is: "over 3 runs of job J" (the runs of the window, this one included). */
export function windowLine(h: RunHistory): string {
  const n = h.file.runs.length;
  return `${plural(n, 'run', 'runs')} of ${h.file.job}`;
}

/** The badges a test earns, in reading order (the kind names the CSS class and the data attribute). */
export type BadgeKind = 'new-failure' | 'new' | 'flaky' | 'fixed' | 'slower';

export const BADGE_LABEL: Readonly<Record<BadgeKind, string>> = {
  'new-failure': 'new failure',
  new: 'new',
  flaky: 'flaky',
  fixed: 'fixed',
  slower: 'slower',
};

export const BADGE_HELP: Readonly<Record<BadgeKind, string>> = {
  'new-failure': 'fails now; passed in every earlier run of the window',
  new: 'not in any earlier run of the window',
  flaky: 'flips between pass and fail, passed on a retry, or both passed and failed on one change',
  fixed: 'passes now; failed the last time it ran',
  slower: 'slower than its earlier runs: beyond median + max(3 × MAD, 0.5 s) of at least 5',
};

export function badgeKinds(t: HistoryTest): BadgeKind[] {
  const out: BadgeKind[] = [];
  if (t.new_failure) out.push('new-failure');
  if (t.new_test) out.push('new');
  if (t.flaky) out.push('flaky');
  if (t.fixed) out.push('fixed');
  if (t.slower) out.push('slower');
  return out;
}
