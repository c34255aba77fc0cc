// Differential fuzzer: seeded damage of real streams, each test's (name, status) multiset against python-subunit.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  compareCases,
  makeCase,
  realStreams,
  reportFailure,
  runCases,
  type Outcome,
  type Source,
} from './damage-fuzz.js';

/** 300 cases in the normal run; `npm run fuzz` asks for more through FUZZ_RUNS. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
/** The same cases every run by default; FUZZ_SEED=n explores others (a failure prints its seed and case). */
const SEED = Number(process.env['FUZZ_SEED'] ?? 1);
/** FUZZ_CASE=k runs only case k of the seed; FUZZ_REPLAY=file compares a saved stream instead (replay). */
const ONLY = process.env['FUZZ_CASE'];
const REPLAY = process.env['FUZZ_REPLAY'];
/** Room for long runs on a loaded machine (a case takes 15-120 ms): a timeout, not a timing. */
const TIMEOUT = Math.max(60_000, RUNS * 1000);

/** The cases this run compares. */
function outcomes(sources: Source[]): Outcome[] {
  if (REPLAY !== undefined) {
    const bytes = new Uint8Array(readFileSync(REPLAY));
    return compareCases([{ seed: SEED, index: 0, source: basename(REPLAY), mutation: 'replayed', bytes }]);
  }
  if (ONLY !== undefined) return compareCases([makeCase(sources, SEED, Number(ONLY))]);
  return runCases(sources, SEED, 0, RUNS);
}

describe('damaged real streams against python-subunit + StreamToDict', () => {
  const sources = realStreams();

  test('the sources: v2 streams of several producers and v1 stestr runs', () => {
    expect(sources.filter((s) => s.name.startsWith('fixtures/')).length).toBeGreaterThanOrEqual(5);
    expect(sources.filter((s) => s.name.startsWith('stestr-repo/')).length).toBe(3);
  });

  const whole = ONLY === undefined && REPLAY === undefined;
  test(`${whole ? RUNS : 1} seeded cases of seed ${SEED} agree test by test`, { timeout: TIMEOUT }, () => {
    const all = outcomes(sources);
    const raised = all.filter((o) => o.diff === null);
    const compared = all.length - raised.length;
    const failures = all.filter((o) => o.diff !== null && o.diff.length > 0);
    const agreed = all.filter((o) => o.diff !== null && o.diff.length === 0).length;
    const v1 = all.filter((o) => o.version === 'v1').length;
    console.log(
      `damage fuzz, seed ${SEED}: ${all.length} cases (${v1} read as v1), ${agreed} agree, ` +
        `${raised.length} left out (python-subunit raised), ${compared - agreed} disagree`,
    );
    expect(failures.map(reportFailure).join('\n\n'), 'cases that disagree with the reference').toBe('');
    if (whole) {
      // The cases are worth their name: most are compared, and both readers are exercised.
      expect(compared).toBeGreaterThan(all.length * 0.8);
      expect(v1).toBeGreaterThan(all.length * 0.1);
    }
  });
});
