// The history rules (docs/history.md): a test's outcome in a run, and what a window of runs says about it.
// Pure functions with no Node I/O: the store, the CLI and the viewer (comparing two runs of a report) share them.
import { byCodePoint } from '../contract/export-format.js';
import type {
  CompareResult,
  HistoryFile,
  HistoryPoint,
  HistoryRun,
  HistoryTest,
  Outcome,
} from '../contract/history-format.js';

/** Test id python-subunit gives the entries it makes for damaged packets: not a test of the suite. */
export const PARSER_TEST_NAME = 'subunit.parser';

/** Attempt statuses that count as failing, and as passing (raw.json's statuses). */
export const FAILED = new Set(['fail', 'uxsuccess', 'inprogress']);
export const PASSED = new Set(['success', 'xfail']);

/** The slower rule's floor and the number of earlier durations it needs. */
export const SLOWER_FLOOR_S = 0.5;
export const SLOWER_MIN_SAMPLES = 5;
/** Default window (runs). */
export const DEFAULT_WINDOW = 30;

/** Outcome of a test in one run from the statuses of all its attempts there (first match wins). */
export function outcomeOf(statuses: Iterable<string>): Outcome {
  let failed = false;
  let passed = false;
  let skipped = false;
  for (const s of statuses) {
    if (FAILED.has(s)) failed = true;
    else if (PASSED.has(s)) passed = true;
    else if (s === 'skip') skipped = true;
  }
  if (failed && passed) return 'flaky';
  if (failed) return 'fail';
  if (passed) return 'pass';
  if (skipped) return 'skip';
  return 'absent';
}

/** What the rules need of one test in one run, folded from its attempts in recording order. */
export interface TestInRun {
  outcome: Outcome;
  /** Duration (s) of the last `success` attempt; null when none had one. */
  success: number | null;
  /** Duration for a strip: the last `success` attempt's, else the last timed attempt's; null if none. */
  duration: number | null;
}

const ABSENT: TestInRun = Object.freeze({ outcome: 'absent', success: null, duration: null });

/** Folds the attempts of every test of one run (add them in the run's order), `subunit.parser` left out. */
export class RunTests {
  /** Per name, its attempts folded so far (one object per name: a window holds tens of thousands). */
  private readonly tests = new Map<string, Folded>();

  add(name: string, status: string, duration: number | null): void {
    if (name === PARSER_TEST_NAME) return;
    let f = this.tests.get(name);
    if (f === undefined) {
      f = { failed: false, passed: false, skipped: false, success: null, timed: null, answer: null };
      this.tests.set(name, f);
    }
    f.answer = null;
    if (FAILED.has(status)) f.failed = true;
    else if (PASSED.has(status)) f.passed = true;
    else if (status === 'skip') f.skipped = true;
    if (status === 'success') f.success = duration;
    if (duration !== null) f.timed = duration;
  }

  /** Every name with at least one attempt (absent ones included: `exists` only). */
  names(): IterableIterator<string> {
    return this.tests.keys();
  }

  /** Each name with its outcome and durations (`get`'s fields), in the order they came. */
  each(f: (name: string, outcome: Outcome, success: number | null, duration: number | null) => void): void {
    for (const [name, x] of this.tests) f(name, foldedOutcome(x), x.success, x.success ?? x.timed);
  }

  /** Names whose outcome in this run is not absent. */
  present(): string[] {
    const out: string[] = [];
    for (const [name, f] of this.tests) if (foldedOutcome(f) !== 'absent') out.push(name);
    return out;
  }

  get(name: string): TestInRun {
    const f = this.tests.get(name);
    if (f === undefined) return ABSENT;
    f.answer ??= { outcome: foldedOutcome(f), success: f.success, duration: f.success ?? f.timed };
    return f.answer;
  }

  /** Names whose outcome is not absent, and those that fail. */
  counts(): { tests: number; failures: number } {
    let tests = 0;
    let failures = 0;
    for (const f of this.tests.values()) {
      const o = foldedOutcome(f);
      if (o !== 'absent') tests++;
      if (o === 'fail') failures++;
    }
    return { tests, failures };
  }
}

/** An attempt's status as the bits `RunCounter` folds: failed 1, passed 2, skipped 4. */
const STATUS_BITS = new Map<string, number>([
  ...[...FAILED].map((s): [string, number] => [s, 1]),
  ...[...PASSED].map((s): [string, number] => [s, 2]),
  ['skip', 4],
]);

/**
 * `RunTests.counts()` alone, folded as a number per name instead of an object: what the recorder stores with
 * each run, at a fraction of the cost (it runs on every result recorded). Each name gets a slot, numbered in
 * the order names came (the parser's entries too: they are stored, though they are not tests).
 */
export class RunCounter {
  private readonly slots = new Map<string, number>();
  private readonly bits: number[] = [];

  /** Folds an attempt in; its name's slot. */
  add(name: string, status: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.bits.length;
      this.slots.set(name, slot);
      this.bits.push(0);
    }
    if (name !== PARSER_TEST_NAME)
      this.bits[slot] = (this.bits[slot] as number) | (STATUS_BITS.get(status) ?? 0);
    return slot;
  }

  /** Every name added (absent ones and the parser's included), in slot order. */
  names(): IterableIterator<string> {
    return this.slots.keys();
  }

  counts(): { tests: number; failures: number } {
    let tests = 0;
    let failures = 0;
    for (const b of this.bits) {
      if (b !== 0) tests++;
      if ((b & 3) === 1) failures++;
    }
    return { tests, failures };
  }
}

/** A name's attempts in one run, folded: what `outcomeOf` looks at, and the durations the rules use. */
interface Folded {
  failed: boolean;
  passed: boolean;
  skipped: boolean;
  /** Duration of the last `success` attempt (null: none, or it had none). */
  success: number | null;
  /** Duration of the last timed attempt. */
  timed: number | null;
  answer: TestInRun | null;
}

function foldedOutcome(f: Folded): Outcome {
  if (f.failed) return f.passed ? 'flaky' : 'fail';
  if (f.passed) return 'pass';
  return f.skipped ? 'skip' : 'absent';
}

/** Median of numbers (even count: mean of the middle two); NaN for none. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  // A typed array sorts numbers natively, with no comparator call per step.
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Raw (unscaled) median absolute deviation. */
export function mad(values: ArrayLike<number>): number {
  const m = median(values);
  const dev = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) dev[i] = Math.abs((values[i] as number) - m);
  return median(dev);
}

/** The slower rule: `latest` beyond median + max(3 × MAD, 0.5 s) of at least 5 earlier durations. */
export function isSlower(latest: number | null, earlier: ArrayLike<number>): boolean {
  if (latest === null || earlier.length < SLOWER_MIN_SAMPLES) return false;
  return latest > median(earlier) + Math.max(3 * mad(earlier), SLOWER_FLOOR_S);
}

/** A run of the store or of a report, as the window sees it. */
export interface WindowRun {
  id: string;
  /** Earliest test timestamp, µs since the epoch; null for an untimed or empty run. */
  startUs: number | null;
  /** Recording order (ties of start are broken by it). */
  seq: number;
  /** The run's metadata (`--meta`, CI); `change_project`, `change_id`, `revision` and `report_url` are read. */
  meta: Readonly<Record<string, string>>;
}

/**
 * The window of the latest `size` runs, oldest first: runs with no start take no place; ties of start are
 * broken by recording order.
 */
export function selectWindow<R extends WindowRun>(runs: readonly R[], size: number): R[] {
  const timed = runs.filter((r) => r.startUs !== null);
  timed.sort((a, b) => (a.startUs as number) - (b.startUs as number) || a.seq - b.seq);
  return size <= 0 ? [] : timed.slice(-size);
}

/** ISO 8601 UTC of a µs timestamp, with the microseconds (`2024-01-02T03:04:05.000006Z`). */
export function isoOfMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  const micro = us - ms * 1000;
  return `${iso.slice(0, -1)}${String(micro).padStart(3, '0')}Z`;
}

/** µs since the epoch of an ISO 8601 timestamp with an offset or Z (raw.json's isoformat), null if unreadable. */
export function microsOfIso(iso: string): number | null {
  const m = /^(.+?T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/.exec(iso);
  if (m === null) return null;
  const base = Date.parse(`${m[1] as string}${m[3] ?? 'Z'}`);
  if (Number.isNaN(base)) return null;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

/** A run of the window as the contract lists it, with its counts. */
export function historyRun(r: WindowRun, counts: { tests: number; failures: number }): HistoryRun {
  const out: HistoryRun = { id: r.id, start: isoOfMicros(r.startUs ?? 0), ...counts };
  const url = r.meta['report_url'];
  if (url !== undefined) out.report_url = url;
  return out;
}

/** The change a run tested, when it carries all three of change_project, change_id and revision. */
export function changeOf(r: WindowRun): string | null {
  const { change_project: p, change_id: c, revision: v } = r.meta;
  return p === undefined || c === undefined || v === undefined ? null : JSON.stringify([p, c, v]);
}

/** Outcomes as small numbers in the window's matrix (0: absent). */
export const OUTCOMES: readonly Outcome[] = ['absent', 'pass', 'fail', 'flaky', 'skip'];
const CODE: Readonly<Record<Outcome, number>> = { absent: 0, pass: 1, fail: 2, flaky: 3, skip: 4 };

/** What the rules say about one name over a window (`runs` oldest first, the last one analysed). */
export function analyseTest(
  name: string,
  runs: readonly WindowRun[],
  tests: readonly RunTests[],
): HistoryTest {
  return analyseNames([name], runs, tests)[0] as HistoryTest;
}

/**
 * The rules for each name over a window. The window is first laid out as a names × runs matrix of outcome
 * codes and durations (typed arrays): one pass over each run's tests, then one over each name's row, with no
 * lookup or object per cell. A CLI process runs this once, before the JIT has warmed up, so plain loops over
 * numbers matter (2,000 names × 30 runs: ~3× less CPU than a lookup per cell).
 */
function analyseNames(
  names: readonly string[],
  runs: readonly WindowRun[],
  tests: readonly RunTests[],
): HistoryTest[] {
  const R = tests.length;
  const index = new Map<string, number>();
  names.forEach((n, i) => index.set(n, i));
  const outcome = new Uint8Array(names.length * R);
  const success = new Float64Array(names.length * R).fill(Number.NaN);
  const duration = new Float64Array(names.length * R).fill(Number.NaN);
  for (let r = 0; r < R; r++) {
    (tests[r] as RunTests).each((name, o, s, d) => {
      const i = index.get(name);
      if (i === undefined) return;
      const k = i * R + r;
      outcome[k] = CODE[o];
      if (s !== null) success[k] = s;
      if (d !== null) duration[k] = d;
    });
  }
  const changes = runs.map(changeOf);
  return names.map((name, i) => analyseRow(name, i * R, R, outcome, success, duration, changes));
}

/** One name's row of the window's matrix, oldest run first; the last run is the one analysed. */
export function analyseRow(
  name: string,
  at: number,
  n: number,
  outcome: Uint8Array,
  success: Float64Array,
  duration: Float64Array,
  changes: readonly (string | null)[],
): HistoryTest {
  let present = 0;
  let passes = 0;
  let failures = 0;
  let skips = 0;
  let flips = 0;
  let flakyRun = false;
  /** The last entry of the pass/fail sequence: 0 none, 1 pass, 2 fail. */
  let last = 0;
  let earlierPresent = false;
  let earlierDecisive = 0;
  let earlierAllPass = true;
  let previous = 0;
  let passChanges: string[] | null = null;
  let failChanges: string[] | null = null;
  const earlierSuccess: number[] = [];
  const recent: HistoryPoint[] = [];
  for (let i = 0; i < n; i++) {
    const o = outcome[at + i] as number;
    if (o === 0) continue;
    const earlier = i < n - 1;
    const s = success[at + i] as number;
    if (earlier && !Number.isNaN(s)) earlierSuccess.push(s);
    present++;
    const d = duration[at + i] as number;
    recent.push({ run: i, outcome: OUTCOMES[o] as Outcome, duration: Number.isNaN(d) ? null : d });
    const change = changes[i] ?? null;
    if (o === 4) {
      skips++;
    } else if (o === 1) {
      passes++;
      if (last === 2) flips++;
      last = 1;
      if (change !== null) (passChanges ??= []).push(change);
    } else if (o === 2) {
      failures++;
      if (last === 1) flips++;
      last = 2;
      if (change !== null) (failChanges ??= []).push(change);
    } else {
      // A flaky run: fail, then pass.
      flakyRun = true;
      if (last === 1) flips++;
      flips++;
      last = 1;
    }
    if (earlier) {
      earlierPresent = true;
      if (o !== 4) {
        earlierDecisive++;
        if (o !== 1) earlierAllPass = false;
        previous = o;
      }
    }
  }
  let sameChange = false;
  if (passChanges !== null && failChanges !== null) {
    for (const c of passChanges) if (failChanges.includes(c)) sameChange = true;
  }
  const latest = n === 0 ? 0 : (outcome[at + n - 1] as number);
  const latestSuccess = n === 0 ? Number.NaN : (success[at + n - 1] as number);
  const slower = isSlower(Number.isNaN(latestSuccess) ? null : latestSuccess, earlierSuccess);
  return {
    name,
    runs: present,
    passes,
    failures,
    skips,
    flips,
    new_failure: latest === 2 && earlierDecisive > 0 && earlierAllPass,
    new_test: latest !== 0 && !earlierPresent,
    fixed: latest === 1 && previous === 2,
    flaky: flips >= 2 || flakyRun || sameChange,
    slower,
    outcome: OUTCOMES[latest] as Outcome,
    recent,
    ...(slower ? { baseline: median(earlierSuccess) } : {}),
  };
}

/** The history file of a window (oldest first; empty when no run is timed). */
export function analyseWindow(
  job: string,
  window: number,
  runs: readonly WindowRun[],
  tests: readonly RunTests[],
): HistoryFile {
  const names = new Set<string>();
  for (const t of tests) for (const name of t.present()) names.add(name);
  const sorted = [...names].sort(byCodePoint);
  return {
    job,
    window,
    runs: runs.map((r, i) => historyRun(r, (tests[i] as RunTests).counts())),
    tests: runs.length === 0 ? [] : analyseNames(sorted, runs, tests),
  };
}

/** The slower rule of compare: after − before ≥ max(1 s, 50 % of before). */
export function isSlowerThan(before: number, after: number): boolean {
  return after - before >= Math.max(1, 0.5 * before);
}

/** `stackviz compare A B`: what changed from run A to run B, every list sorted by name. */
export function compareRuns(a: RunTests, b: RunTests): CompareResult {
  const names = new Set<string>([...a.names(), ...b.names()]);
  const out: CompareResult = {
    new_failures: [],
    fixed: [],
    still_failing: [],
    added: [],
    removed: [],
    slower: [],
    added_failing: [],
  };
  for (const name of [...names].sort(byCodePoint)) {
    const x = a.get(name);
    const y = b.get(name);
    const [oa, ob] = [x.outcome, y.outcome];
    if (oa === 'pass' && ob === 'fail') out.new_failures.push(name);
    else if (oa === 'fail' && ob === 'pass') out.fixed.push(name);
    else if (oa === 'fail' && ob === 'fail') out.still_failing.push(name);
    if (oa === 'absent' && ob !== 'absent') {
      out.added.push(name);
      if (ob === 'fail') out.added_failing?.push(name);
    }
    if (oa !== 'absent' && ob === 'absent') out.removed.push(name);
    if (x.success !== null && y.success !== null && isSlowerThan(x.success, y.success)) {
      out.slower.push({ name, before: x.success, after: y.success });
    }
  }
  return out;
}

// Names sort in Python's order (code points): the contract's comparator, for the history's users too.
export { byCodePoint };
