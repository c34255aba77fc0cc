// The history rules on planted stories: each rule of docs/history.md, its edges, and compare.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseWindow,
  byCodePoint,
  compareRuns,
  isSlower,
  mad,
  median,
  microsOfIso,
  outcomeOf,
  RunCounter,
  RunTests,
  selectWindow,
  isoOfMicros,
  type WindowRun,
} from './rules.js';

type Cell = string | string[] | [string, number][] | undefined;

/**
 * A window from a table: per name, per run (the last cell the latest run), its attempts' statuses (or
 * [status, duration] pairs); undefined: absent.
 */
function window(
  table: Record<string, Cell[]>,
  meta: Record<string, string>[] = [],
): { runs: WindowRun[]; tests: RunTests[] } {
  const n = Math.max(...Object.values(table).map((c) => c.length));
  const runs: WindowRun[] = [];
  const tests: RunTests[] = [];
  for (let i = 0; i < n; i++) {
    runs.push({ id: `r${i}`, startUs: 1_000_000 * (i + 1), seq: i, meta: meta[i] ?? {} });
    const t = new RunTests();
    for (const [name, cells] of Object.entries(table)) {
      // Cells are right-aligned: a story's last cell is the latest run.
      const c = cells[i - (n - cells.length)];
      if (c === undefined) continue;
      const list = typeof c === 'string' ? [c] : c;
      for (const a of list) {
        if (typeof a === 'string') t.add(name, a, 1);
        else t.add(name, a[0], a[1]);
      }
    }
    tests.push(t);
  }
  return { runs, tests };
}

function analyse(table: Record<string, Cell[]>, meta?: Record<string, string>[]) {
  const { runs, tests } = window(table, meta);
  const h = analyseWindow('job', 30, runs, tests);
  return Object.fromEntries(h.tests.map((t) => [t.name, t]));
}

describe('outcome of a test in a run', () => {
  it('follows the first matching rule', () => {
    expect(outcomeOf(['fail', 'success'])).toBe('flaky');
    expect(outcomeOf(['uxsuccess', 'xfail'])).toBe('flaky');
    expect(outcomeOf(['inprogress'])).toBe('fail');
    expect(outcomeOf(['uxsuccess'])).toBe('fail');
    expect(outcomeOf(['fail', 'skip'])).toBe('fail');
    expect(outcomeOf(['xfail'])).toBe('pass');
    expect(outcomeOf(['success', 'skip'])).toBe('pass');
    expect(outcomeOf(['skip', 'exists'])).toBe('skip');
    expect(outcomeOf(['exists'])).toBe('absent');
    expect(outcomeOf(['unknown'])).toBe('absent');
    expect(outcomeOf([])).toBe('absent');
  });

  it('leaves subunit.parser entries out of the tests', () => {
    const t = new RunTests();
    t.add('subunit.parser', 'fail', null);
    t.add('a', 'success', 1);
    expect([...t.names()]).toEqual(['a']);
    expect(t.counts()).toEqual({ tests: 1, failures: 0 });
  });

  it("counts a run as RunTests does, with RunCounter's bits", () => {
    const statuses = ['success', 'fail', 'skip', 'xfail', 'uxsuccess', 'exists', 'inprogress', 'unknown'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'subunit.parser'), fc.constantFrom(...statuses)), {
          maxLength: 12,
        }),
        (attempts) => {
          const t = new RunTests();
          const c = new RunCounter();
          const slots = attempts.map(([name, status]) => {
            t.add(name, status, null);
            return c.add(name, status);
          });
          expect(c.counts()).toEqual(t.counts());
          const names = [...c.names()];
          expect(names.filter((n) => n !== 'subunit.parser')).toEqual([...t.names()]);
          // A slot per name, numbered in the order names came.
          expect(slots.map((s) => names[s])).toEqual(attempts.map(([name]) => name));
          expect(new Set(attempts.map(([name]) => name)).size).toBe(names.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('the window rules', () => {
  it('counts runs, passes, failures, skips; a flaky run is in none of the three', () => {
    const t = analyse({ a: ['success', ['fail', 'success'], 'skip', undefined, 'exists', 'fail'] })['a'];
    expect(t).toMatchObject({ runs: 4, passes: 1, failures: 1, skips: 1 });
  });

  it('flips: changes of the pass/fail sequence; a flaky run is fail then pass; skips and absences left out', () => {
    const r = analyse({
      steady: ['success', 'success', 'success'],
      once: ['success', 'fail', 'fail'],
      twice: ['success', 'skip', 'fail', undefined, 'success'],
      retry: ['success', ['fail', 'success'], 'success'],
    });
    expect(r['steady']?.flips).toBe(0);
    expect(r['once']?.flips).toBe(1);
    expect(r['twice']?.flips).toBe(2);
    // P, (F, P), P: two changes.
    expect(r['retry']?.flips).toBe(2);
    expect(r['twice']?.flaky).toBe(true);
    expect(r['once']?.flaky).toBe(false);
  });

  it('new_failure: fails now, and every earlier pass/fail/flaky outcome was a pass', () => {
    const r = analyse({
      newly: ['success', 'skip', undefined, 'success', 'fail'],
      again: ['fail', 'success', 'fail'],
      afterFlaky: [['fail', 'success'], 'success', 'fail'],
      onlySkips: ['skip', 'skip', 'fail'],
      brandNew: [undefined, undefined, 'fail'],
    });
    expect(r['newly']?.new_failure).toBe(true);
    expect(r['again']?.new_failure).toBe(false);
    expect(r['afterFlaky']?.new_failure).toBe(false);
    expect(r['onlySkips']?.new_failure).toBe(false);
    expect(r['brandNew']?.new_failure).toBe(false);
    expect(r['brandNew']?.new_test).toBe(true);
  });

  it('new_test: present now, absent (or only listed) in every earlier run', () => {
    const r = analyse({
      born: [undefined, 'exists', 'success'],
      old: ['skip', undefined, 'success'],
      gone: ['success', 'success', undefined],
    });
    expect(r['born']?.new_test).toBe(true);
    expect(r['old']?.new_test).toBe(false);
    expect(r['gone']?.new_test).toBe(false);
    expect(r['gone']?.outcome).toBe('absent');
  });

  it('fixed: passes now and its previous pass/fail/flaky outcome was a fail', () => {
    const r = analyse({
      fixed: ['success', 'fail', 'skip', undefined, 'success'],
      notAfterFlaky: ['fail', ['fail', 'success'], 'success'],
      stillPassing: ['fail', 'success', 'success'],
    });
    expect(r['fixed']?.fixed).toBe(true);
    expect(r['notAfterFlaky']?.fixed).toBe(false);
    expect(r['stillPassing']?.fixed).toBe(false);
  });

  it('flaky: a retry in any run of the window, or a pass and a fail on the same change', () => {
    const change = { change_project: 'p', change_id: '1', revision: '2' };
    const other = { change_project: 'p', change_id: '1', revision: '3' };
    const r = analyse(
      {
        sameChange: ['success', 'fail', 'success'],
        otherChange: ['success', 'success', 'fail'],
        retried: [['fail', 'success'], 'success', 'success'],
      },
      [change, change, other],
    );
    // sameChange has 2 flips too; check the change rule alone on otherChange-like data below.
    expect(r['sameChange']?.flaky).toBe(true);
    expect(r['otherChange']?.flaky).toBe(false);
    expect(r['retried']?.flaky).toBe(true);
    const s = analyse({ x: ['fail', 'success', 'success'] }, [change, other, change]);
    expect(s['x']?.flips).toBe(1);
    expect(s['x']?.flaky).toBe(true);
    const partial = { change_project: 'p', change_id: '1' };
    const u = analyse({ x: ['fail', 'success', 'success'] }, [partial, partial, partial]);
    expect(u['x']?.flaky).toBe(false);
  });

  it('slower: last success beyond median + max(3 MAD, 0.5 s) of at least 5 earlier ones', () => {
    const d = (...xs: number[]): [string, number][][] => xs.map((x) => [['success', x]]);
    const r = analyse({
      slower: d(1, 1.1, 0.9, 1, 1.2, 1.71),
      notEnough: d(1, 1, 1, 1, 9),
      justAt: d(1, 1, 1, 1, 1, 1.5),
      wide: d(1, 2, 3, 4, 5, 6, 8),
      failedSlowly: [...d(1, 1, 1, 1, 1), [['fail', 9]]],
      retrySlow: [
        ...d(1, 1, 1, 1, 1),
        [
          ['fail', 0.1],
          ['success', 2],
        ],
      ],
    });
    expect(r['slower']?.slower).toBe(true);
    expect(r['slower']?.baseline).toBe(1);
    expect(r['notEnough']?.slower).toBe(false);
    expect(r['notEnough']?.baseline).toBeUndefined();
    expect(r['justAt']?.slower).toBe(false);
    // median 3.5, MAD 1.5 → 3.5 + 4.5 = 8: 8 is not beyond it.
    expect(r['wide']?.slower).toBe(false);
    expect(r['failedSlowly']?.slower).toBe(false);
    expect(r['retrySlow']?.slower).toBe(true);
    expect(r['retrySlow']?.baseline).toBe(1);
  });

  it('median of an even count is the mean of the middle two; MAD is raw', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(isSlower(2.01, [1, 1, 1, 1, 1, 3])).toBe(true);
    expect(isSlower(1.5, [1, 1, 1, 1, 1])).toBe(false);
    expect(isSlower(1.50001, [1, 1, 1, 1, 1])).toBe(true);
  });

  it('lists every name seen in the window in code-point order, with runs oldest first', () => {
    const { runs, tests } = window({
      b: ['success'],
      a: ['fail'],
      '\u{1F600}': ['success'],
      '\uffff': ['success'],
      x: ['exists'],
    });
    const h = analyseWindow('j', 30, runs, tests);
    expect(h.tests.map((t) => t.name)).toEqual(['a', 'b', '\uffff', '\u{1F600}']);
    expect(h.runs).toEqual([{ id: 'r0', start: '1970-01-01T00:00:01.000000Z', tests: 4, failures: 1 }]);
  });

  it('recent: the non-absent outcomes with the last success duration, else the last timed one', () => {
    const r = analyse({
      a: [
        [['success', 2]],
        undefined,
        [
          ['fail', 3],
          ['success', 1],
        ],
        [['fail', 4]],
      ],
    });
    expect(r['a']?.recent).toEqual([
      { run: 0, outcome: 'pass', duration: 2 },
      { run: 2, outcome: 'flaky', duration: 1 },
      { run: 3, outcome: 'fail', duration: 4 },
    ]);
  });
});

describe('the window', () => {
  const run = (id: string, startUs: number | null, seq: number): WindowRun => ({
    id,
    startUs,
    seq,
    meta: {},
  });

  it('orders by start, ties by recording order, and gives untimed runs no place', () => {
    const runs = [run('a', 30, 0), run('b', 10, 1), run('u', null, 2), run('c', 30, 3), run('d', 20, 4)];
    expect(selectWindow(runs, 30).map((r) => r.id)).toEqual(['b', 'd', 'a', 'c']);
    expect(selectWindow(runs, 2).map((r) => r.id)).toEqual(['a', 'c']);
    expect(selectWindow([run('u', null, 0)], 30)).toEqual([]);
  });

  it('is the latest N whatever the recording order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 20 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        (starts, n) => {
          const runs = starts.map((s, i) => run(`r${i}`, s, i));
          const w = selectWindow(runs, n);
          const timed = runs.filter((r) => r.startUs !== null);
          expect(w.length).toBe(Math.min(n, timed.length));
          for (let i = 1; i < w.length; i++) {
            const [p, q] = [w[i - 1] as WindowRun, w[i] as WindowRun];
            expect(
              (p.startUs as number) < (q.startUs as number) || (p.startUs === q.startUs && p.seq < q.seq),
            ).toBe(true);
          }
          const last = w[0];
          if (last !== undefined) {
            const older = timed.filter((r) => !w.includes(r));
            for (const o of older) {
              expect(
                (o.startUs as number) < (last.startUs as number) ||
                  (o.startUs === last.startUs && o.seq < last.seq),
              ).toBe(true);
            }
          }
        },
      ),
    );
  });
});

describe('compare', () => {
  const runOf = (cells: Record<string, [string, number][]>): RunTests => {
    const t = new RunTests();
    for (const [name, attempts] of Object.entries(cells)) for (const [s, d] of attempts) t.add(name, s, d);
    return t;
  };

  it('sorts every name into its list by its outcomes in A and B', () => {
    const a = runOf({
      newFail: [['success', 1]],
      fixed: [['fail', 1]],
      still: [['fail', 1]],
      removed: [['success', 1]],
      flakyA: [
        ['fail', 1],
        ['success', 1],
      ],
      skipped: [['skip', 0]],
      slow: [['success', 2]],
      barely: [['success', 1]],
      big: [['success', 10]],
      listed: [['exists', 0]],
    });
    const b = runOf({
      newFail: [['fail', 1]],
      fixed: [['success', 1]],
      still: [['fail', 2]],
      added: [['fail', 1]],
      flakyA: [['fail', 1]],
      skipped: [['fail', 0]],
      slow: [['success', 3.2]],
      barely: [['success', 1.99]],
      big: [['success', 15]],
      listed: [['success', 1]],
    });
    expect(compareRuns(a, b)).toEqual({
      new_failures: ['newFail'],
      fixed: ['fixed'],
      still_failing: ['still'],
      added: ['added', 'listed'],
      added_failing: ['added'],
      removed: ['removed'],
      slower: [
        { name: 'big', before: 10, after: 15 },
        { name: 'slow', before: 2, after: 3.2 },
      ],
    });
  });
});

describe('timestamps', () => {
  it('reads raw.json isoformat with microseconds and writes ISO UTC back', () => {
    expect(microsOfIso('2024-01-02T03:04:05.000006+00:00')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 6);
    expect(microsOfIso('2024-01-02T03:04:05+01:00')).toBe(Date.UTC(2024, 0, 2, 2, 4, 5) * 1000);
    expect(microsOfIso('nonsense')).toBeNull();
    expect(isoOfMicros(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 6)).toBe('2024-01-02T03:04:05.000006Z');
  });

  it('orders names by code point', () => {
    expect(['\uffff', '\u{10000}', 'a'].sort(byCodePoint)).toEqual(['a', '\uffff', '\u{10000}']);
  });
});
