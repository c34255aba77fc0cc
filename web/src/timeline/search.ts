// Name search (substring or regular expression) and status filter → the mask of tests drawn at full strength.
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import type { TimelineTests } from '../model/types';

export interface NameMatcher {
  /** null when the query is empty: everything matches. */
  readonly test: ((name: string) => boolean) | null;
  /** The regular expression's syntax error, shown beside the box; then nothing is filtered by name. */
  readonly error: string | null;
}

/** Substring search is case-insensitive; a regular expression is used as typed, with the `i` flag. */
export function compileQuery(query: string, regex: boolean): NameMatcher {
  if (query === '') return { test: null, error: null };
  if (regex) {
    try {
      const re = new RegExp(query, 'i');
      return { test: (name) => re.test(name), error: null };
    } catch (e) {
      return { test: null, error: e instanceof Error ? e.message : String(e) };
    }
  }
  const needle = query.toLowerCase();
  return { test: (name) => name.toLowerCase().includes(needle), error: null };
}

export interface FilterResult {
  /** 1 = shown at full strength, 0 = dimmed. */
  readonly mask: Uint8Array;
  /** Shown tests, in table order. */
  readonly matches: Int32Array;
  /** Tests matching the name query, per status (what each status toggle would show). */
  readonly nameMatchesByStatus: Readonly<Record<ExportStatus, number>>;
  /** True when nothing is filtered: no query and every status on (then nothing is dimmed). */
  readonly all: boolean;
  readonly error: string | null;
}

export function filterTests(
  tests: TimelineTests,
  query: string,
  regex: boolean,
  statuses: ReadonlySet<ExportStatus>,
): FilterResult {
  const matcher = compileQuery(query, regex);
  const statusOn = EXPORT_STATUSES.map((s) => statuses.has(s));
  const perStatus = EXPORT_STATUSES.map(() => 0);
  const mask = new Uint8Array(tests.count);
  const matches: number[] = [];
  const test = matcher.test;
  for (let i = 0; i < tests.count; i++) {
    if (test !== null && !test(tests.name[i] ?? '')) continue;
    const code = tests.status[i] ?? 0;
    perStatus[code] = (perStatus[code] ?? 0) + 1;
    if (statusOn[code] === true) {
      mask[i] = 1;
      matches.push(i);
    }
  }
  const nameMatchesByStatus = Object.fromEntries(
    EXPORT_STATUSES.map((s, k) => [s, perStatus[k] ?? 0]),
  ) as Record<ExportStatus, number>;
  return {
    mask,
    matches: Int32Array.from(matches),
    nameMatchesByStatus,
    all: test === null && statusOn.every(Boolean),
    error: matcher.error,
  };
}
