// A seeded test history: N runs × T tests of one or more jobs, with the stories the rules look for (new
// failures, flips, fixes, retries, slow runs, skips, tests coming and going, untimed and empty runs, ties of
// start). For the history benchmark and the store's tests; each run can be written as a subunit v2 stream.
import { encodePacket } from '../src/formats/subunit/v2-encode.js';
import type { RecordedResult } from '../src/history/store.js';
import { Prng } from './generate.js';

export interface SeedAttempt {
  name: string;
  status: 'success' | 'fail' | 'skip' | 'xfail' | 'uxsuccess' | 'exists' | 'inprogress';
  startUs: number | null;
  duration: number | null;
  worker: number;
  traceback: string | null;
}

export interface SeedRun {
  job: string;
  /** Recording order. */
  seq: number;
  meta: Record<string, string>;
  attempts: SeedAttempt[];
}

export interface SeedOptions {
  seed: number;
  runs: number;
  tests: number;
  jobs?: number;
  /** Share of runs with no timestamps (default 0.05) and with no test at all (default 0.03). */
  untimed?: number;
  empty?: number;
  /** Share of runs whose start equals an earlier run's (default 0.1): ties broken by recording order. */
  ties?: number;
}

const HOUR_US = 3_600_000_000;
const BASE_US = Date.UTC(2026, 0, 1) * 1000;

/** Names with what real ids have: dots, brackets, a few odd characters. */
function testName(i: number): string {
  const mod = ['compute', 'network', 'volume', 'image', 'identity'][i % 5] as string;
  return `tempest.api.${mod}.test_${Math.floor(i / 5)}.Tests.test_case_${i}${i % 97 === 3 ? '_ünï' : ''}`;
}

/** A seeded history; every run's attempts in recording order, runs in recording order. */
export function seededHistory(o: SeedOptions): SeedRun[] {
  const g = historyGenerator(o);
  return Array.from({ length: o.runs }, (_, k) => g.run(k));
}

/** The runs of a seeded history one at a time (run k is the same whenever it is asked for): flat memory. */
export function historyGenerator(o: SeedOptions): { run(k: number): SeedRun } {
  const rnd = new Prng(o.seed);
  const jobs = o.jobs ?? 1;
  const untimed = o.untimed ?? 0.05;
  const empty = o.empty ?? 0.03;
  const ties = o.ties ?? 0.1;
  // Per test: its base duration, how flaky it is, and when (if ever) it breaks, comes or goes.
  const traits = Array.from({ length: o.tests }, () => ({
    base: 0.05 + rnd.next() * 3,
    flaky: rnd.next() < 0.05 ? 0.3 : 0.005,
    breaksAt: rnd.next() < 0.03 ? Math.floor(rnd.next() * o.runs) : -1,
    fixedAfter: Math.floor(rnd.next() * 5),
    bornAt: rnd.next() < 0.05 ? Math.floor(rnd.next() * o.runs) : 0,
    diesAt: rnd.next() < 0.02 ? Math.floor(rnd.next() * o.runs) : o.runs + 1,
    skip: rnd.next() < 0.03,
  }));
  const run = (k: number): SeedRun => {
    const rnd = new Prng((o.seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0);
    const job = `job-${k % jobs}`;
    const kind = rnd.next();
    const isEmpty = kind < empty;
    const isUntimed = !isEmpty && kind < empty + untimed;
    // Starts mostly follow recording order, some are late (recorded after a later run), some tie.
    let start = BASE_US + Math.floor(k / jobs) * HOUR_US;
    // Late runs fall between the hours, so only the tie rule below makes equal starts.
    if (rnd.next() < 0.1) start -= 3 * HOUR_US + 7 * 60_000_000;
    if (rnd.next() < ties) start = BASE_US + Math.floor(Math.max(0, k - jobs) / jobs) * HOUR_US;
    const meta: Record<string, string> = {};
    if (rnd.next() < 0.5) {
      meta['change_project'] = 'openstack/nova';
      meta['change_id'] = String(900_000 + Math.floor(rnd.next() * 4));
      meta['revision'] = String(1 + Math.floor(rnd.next() * 2));
    }
    const attempts: SeedAttempt[] = [];
    if (!isEmpty) {
      let t = start;
      for (let i = 0; i < o.tests; i++) {
        const tr = traits[i] as (typeof traits)[number];
        if (k < tr.bornAt || k >= tr.diesAt) continue;
        const name = testName(i);
        const broken = tr.breaksAt >= 0 && k >= tr.breaksAt && k < tr.breaksAt + tr.fixedAfter;
        let status: SeedAttempt['status'] = tr.skip
          ? 'skip'
          : broken || rnd.next() < tr.flaky
            ? 'fail'
            : 'success';
        if (rnd.next() < 0.002) status = 'exists';
        if (rnd.next() < 0.001) status = 'xfail';
        const slow = rnd.next() < 0.01 ? 4 : 1;
        const duration = Math.round(tr.base * slow * (0.9 + rnd.next() * 0.2) * 1e6) / 1e6;
        const worker = i % 4;
        const attempt = (st: SeedAttempt['status'], d: number): void => {
          attempts.push({
            name,
            status: st,
            startUs: isUntimed ? null : t,
            duration: isUntimed ? null : d,
            worker,
            traceback:
              st === 'fail'
                ? `Traceback (most recent call last):\n  File "t.py", line ${i}, in ${name}\n    check()\nAssertionError: case ${i} failed in run ${k}\n`
                : null,
          });
          t += Math.round(d * 1e6);
        };
        attempt(status, duration);
        // A retry after a failure, now and then (the flaky outcome).
        if (status === 'fail' && rnd.next() < 0.3) attempt('success', duration);
      }
    }
    return { job, seq: k, meta, attempts };
  };
  return { run };
}

/** The run's attempts as the store records them. */
export function seedResults(run: SeedRun): RecordedResult[] {
  return run.attempts.map((a) => ({
    name: a.name,
    id: a.name,
    status: a.status,
    startUs: a.startUs,
    duration: a.duration,
    worker: a.worker,
    tags: [`worker-${a.worker}`],
    attributes: [],
    exception: a.traceback === null ? null : (a.traceback.trim().split('\n').pop() ?? null),
    tracebackTail: a.traceback === null ? null : a.traceback.trim(),
  }));
}

const ts = (us: number): { seconds: number; nanos: number } => ({
  seconds: Math.floor(us / 1e6),
  nanos: (us % 1e6) * 1000,
});

/** The run as a subunit v2 stream: each attempt an `inprogress` packet and its final status (traceback on failures). */
export function seedStream(run: SeedRun): Buffer {
  const parts: Uint8Array[] = [];
  for (const a of run.attempts) {
    const tags = [`worker-${a.worker}`];
    const start = a.startUs === null ? {} : { timestamp: ts(a.startUs) };
    parts.push(encodePacket({ testId: a.name, status: 'inprogress', tags, runnable: true, ...start }));
    if (a.traceback !== null) {
      parts.push(
        encodePacket({
          testId: a.name,
          fileName: 'traceback',
          mimeType: 'text/x-traceback;charset=utf8',
          fileBytes: Buffer.from(a.traceback),
          eof: true,
          runnable: true,
        }),
      );
    }
    const end =
      a.startUs === null || a.duration === null
        ? {}
        : { timestamp: ts(a.startUs + Math.round(a.duration * 1e6)) };
    parts.push(encodePacket({ testId: a.name, status: a.status, tags, runnable: true, ...end }));
  }
  return Buffer.concat(parts);
}
