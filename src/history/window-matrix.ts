// A window's attempts folded straight into a tests × runs matrix of typed arrays as a store reads them (keyed by
// the store's test ids), then analysed by the rules: no map or object per test and run (src/history/rules.ts).
import type { HistoryFile } from '../contract/history-format.js';
import {
  analyseRow,
  byCodePoint,
  changeOf,
  FAILED,
  historyRun,
  PARSER_TEST_NAME,
  PASSED,
  type WindowRun,
} from './rules.js';

/** Bits of a cell: what its attempts were. */
const F_FAILED = 1;
const F_PASSED = 2;
const F_SKIPPED = 4;

/** The outcome code (index into OUTCOMES) of a cell's bits: the rules' first match wins. */
function outcomeCode(bits: number): number {
  if ((bits & F_FAILED) !== 0) return (bits & F_PASSED) !== 0 ? 3 : 2;
  if ((bits & F_PASSED) !== 0) return 1;
  return (bits & F_SKIPPED) !== 0 ? 4 : 0;
}

export class WindowMatrix {
  private readonly rowOf = new Map<number, number>();
  private readonly keys: number[] = [];
  private cap = 0;
  private bits = new Uint8Array(0);
  /** Last `success` attempt's duration (NaN: none, or it had none); last timed attempt's duration. */
  private success = new Float64Array(0);
  private timed = new Float64Array(0);

  constructor(private readonly runs: number) {}

  /** The store's test ids seen, to look their names up. */
  get testKeys(): readonly number[] {
    return this.keys;
  }

  private row(key: number): number {
    let r = this.rowOf.get(key);
    if (r !== undefined) return r;
    r = this.keys.length;
    if (r === this.cap) this.grow();
    this.rowOf.set(key, r);
    this.keys.push(key);
    return r;
  }

  private grow(): void {
    this.cap = Math.max(1024, this.cap * 2);
    const n = this.cap * this.runs;
    const bits = new Uint8Array(n);
    bits.set(this.bits);
    const success = new Float64Array(n).fill(Number.NaN);
    success.set(this.success);
    const timed = new Float64Array(n).fill(Number.NaN);
    timed.set(this.timed);
    [this.bits, this.success, this.timed] = [bits, success, timed];
  }

  /** One attempt, in the run's order. */
  add(run: number, key: number, status: string, duration: number | null): void {
    const k = this.row(key) * this.runs + run;
    if (FAILED.has(status)) this.bits[k] = (this.bits[k] as number) | F_FAILED;
    else if (PASSED.has(status)) this.bits[k] = (this.bits[k] as number) | F_PASSED;
    else if (status === 'skip') this.bits[k] = (this.bits[k] as number) | F_SKIPPED;
    if (status === 'success') this.success[k] = duration ?? Number.NaN;
    if (duration !== null) this.timed[k] = duration;
  }

  /** The history file of the window, given the names of the test ids (`testKeys`). */
  analyse(
    job: string,
    window: number,
    runs: readonly WindowRun[],
    names: ReadonlyMap<number, string>,
  ): HistoryFile {
    const R = this.runs;
    const rows: { name: string; row: number }[] = [];
    const counts = runs.map(() => ({ tests: 0, failures: 0 }));
    const outcome = new Uint8Array(this.keys.length * R);
    this.keys.forEach((key, row) => {
      const name = names.get(key);
      if (name === undefined || name === PARSER_TEST_NAME) return;
      let seen = false;
      for (let r = 0; r < R; r++) {
        const o = outcomeCode(this.bits[row * R + r] as number);
        outcome[row * R + r] = o;
        if (o === 0) continue;
        seen = true;
        const c = counts[r] as { tests: number; failures: number };
        c.tests++;
        if (o === 2) c.failures++;
      }
      if (seen) rows.push({ name, row });
    });
    rows.sort((a, b) => byCodePoint(a.name, b.name));
    // The strip's duration: the last success attempt's, else the last timed attempt's.
    const duration = Float64Array.from(this.success.subarray(0, this.keys.length * R), (s, k) =>
      Number.isNaN(s) ? (this.timed[k] as number) : s,
    );
    const changes = runs.map(changeOf);
    return {
      job,
      window,
      runs: runs.map((r, i) => historyRun(r, counts[i] as { tests: number; failures: number })),
      tests: rows.map(({ name, row }) =>
        analyseRow(name, row * R, R, outcome, this.success, duration, changes),
      ),
    };
  }
}
