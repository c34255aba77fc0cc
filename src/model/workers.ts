// Worker utilisation, one test at a time: per worker the union of its tests' intervals (busy), its span and
// idle time; per run the makespan and the long pole (the tests that kept the run going after every other
// worker had finished).
import type { LongPole, LongPoleTest, WorkerUsage } from '../contract/export-format.js';
import { isoFromMicros } from './time.js';

/** What the utilisation needs of one test. */
export interface WorkerInput {
  name: string;
  worker: number | null;
  startUs: number | null;
  endUs: number | null;
}

/**
 * Disjoint intervals kept per worker before the oldest is folded into the busy total. Tests of one worker run
 * one after another and are reported as they end, so an interval nearly always extends or follows the last one;
 * a test reported out of order merges into the few recent ones. One that reaches back behind the folded
 * intervals counts only from the fold on (it cannot be told whether the earlier part was already covered).
 */
const OPEN_INTERVALS = 32;

/** The long pole's tests listed at most (its latest): enough to see what kept a run going. */
export const LONG_POLE_TESTS = 100;

class Worker {
  tests = 0;
  startUs = Infinity;
  endUs = -Infinity;
  /** Busy µs of the folded intervals. */
  foldedUs = 0;
  /** Where the folded intervals end: nothing before it is counted again. */
  foldedUntil = -Infinity;
  /** Disjoint, sorted [start, end] pairs not yet folded. */
  readonly open: number[] = [];
  /** The latest tests that ended after every other worker's last end seen so far (long-pole candidates). */
  tail: { name: string; index: number; s: number | null; e: number }[] = [];

  constructor(readonly name: string) {}

  addInterval(s0: number, e: number): void {
    const s = Math.max(s0, this.foldedUntil);
    if (e <= s) return;
    const o = this.open;
    // Find the first interval that ends at or after s; merge every one that starts at or before e.
    let i = o.length - 2;
    while (i >= 0 && (o[i + 1] as number) >= s) i -= 2;
    i += 2;
    let j = i;
    let ns = s;
    let ne = e;
    while (j < o.length && (o[j] as number) <= e) {
      ns = Math.min(ns, o[j] as number);
      ne = Math.max(ne, o[j + 1] as number);
      j += 2;
    }
    o.splice(i, j - i, ns, ne);
    if (o.length > OPEN_INTERVALS * 2) {
      const fs = o.shift() as number;
      const fe = o.shift() as number;
      this.foldedUs += fe - fs;
      this.foldedUntil = fe;
    }
  }

  busyUs(): number {
    let b = this.foldedUs;
    for (let i = 0; i < this.open.length; i += 2)
      b += (this.open[i + 1] as number) - (this.open[i] as number);
    return b;
  }
}

const seconds = (us: number): number => us / 1e6;

/** Accumulates worker utilisation; memory grows with workers and their few open intervals, not with tests. */
export class WorkerAccumulator {
  private readonly workers = new Map<number, Worker>();
  private startUs = Infinity;
  private endUs = -Infinity;
  /** The latest end of any worker and whose it is, and the latest end of any other worker. */
  private top: Worker | null = null;
  private secondEndUs = -Infinity;

  /** `index`: the entry's position in the run's `_raw.json`. */
  add(t: WorkerInput, index: number): void {
    if (t.startUs !== null && t.startUs < this.startUs) this.startUs = t.startUs;
    if (t.endUs !== null && t.endUs > this.endUs) this.endUs = t.endUs;
    if (t.worker === null) return;
    let w = this.workers.get(t.worker);
    if (w === undefined) {
      w = new Worker(`worker-${t.worker}`);
      this.workers.set(t.worker, w);
    }
    w.tests++;
    const { startUs: s, endUs: e } = t;
    if (s !== null && s < w.startUs) w.startUs = s;
    if (e !== null && e > w.endUs) w.endUs = e;
    if (s !== null && e !== null) w.addInterval(s, e);
    if (e === null) return;
    // The long pole's candidates: this worker's tests that end after every other worker's last end so far.
    const others = this.othersEnd(w);
    if (e > others) {
      w.tail.push({ name: t.name, index, s, e });
      // Drop those that other workers have outlasted since, and keep the latest LONG_POLE_TESTS (a run on one
      // worker, so far, would otherwise keep all its tests); amortised, a filter every LONG_POLE_TESTS tests.
      if (w.tail.length >= 2 * LONG_POLE_TESTS)
        w.tail = w.tail.filter((x) => x.e > others).slice(-LONG_POLE_TESTS);
    }
    if (this.top === w) return;
    if (this.top === null || e > this.top.endUs) {
      this.secondEndUs = this.top === null ? -Infinity : this.top.endUs;
      this.top = w;
    } else if (e > this.secondEndUs) {
      this.secondEndUs = e;
    }
  }

  /** The latest end of the workers other than `w`. */
  private othersEnd(w: Worker): number {
    return this.top === w ? this.secondEndUs : (this.top?.endUs ?? -Infinity);
  }

  /** Per worker, sorted by worker number. */
  workersResult(): WorkerUsage[] {
    return [...this.workers.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, w]) => {
        const timed = Number.isFinite(w.startUs) && Number.isFinite(w.endUs) && w.endUs >= w.startUs;
        const busyUs = w.busyUs();
        return {
          name: w.name,
          tests: w.tests,
          busy: seconds(busyUs),
          // In whole µs, then seconds: no float noise from subtracting seconds.
          idle: timed ? seconds(Math.max(0, w.endUs - w.startUs - busyUs)) : 0,
          start: Number.isFinite(w.startUs) ? isoFromMicros(w.startUs) : null,
          end: Number.isFinite(w.endUs) ? isoFromMicros(w.endUs) : null,
        };
      });
  }

  /** First start to last end of the run's tests, in seconds; null without both. */
  makespan(): number | null {
    return Number.isFinite(this.startUs) && Number.isFinite(this.endUs) && this.endUs >= this.startUs
      ? seconds(this.endUs - this.startUs)
      : null;
  }

  /**
   * The last worker to finish, how long the run went on after the second-to-last one finished, and its tests
   * that ended after that; null with fewer than two workers that have an end.
   */
  longPole(): LongPole | null {
    const w = this.top;
    if (w === null || !Number.isFinite(this.secondEndUs)) return null;
    const second = this.secondEndUs;
    const tests: LongPoleTest[] = w.tail
      .filter((x) => x.e > second)
      .slice(-LONG_POLE_TESTS)
      .map((x) => ({
        name: x.name,
        index: x.index,
        start: x.s === null ? null : isoFromMicros(x.s),
        end: isoFromMicros(x.e),
      }));
    return { worker: w.name, after: seconds(w.endUs - second), tests };
  }
}
