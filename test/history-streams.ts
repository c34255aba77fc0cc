// Subunit v2 streams of a job's runs with planted stories (new failure, flaky, fixed, slower, new failing
// test, a retry), for the --history CLI tests and the browser tests of history in the report and fleet view.
import { encodePacket } from '../src/formats/subunit/v2-encode.js';

export interface PlannedTest {
  name: string;
  /** Attempts in order: status and duration (s). */
  attempts: { status: 'success' | 'fail' | 'skip'; duration: number }[];
}

/** One run of the job: its tests, started at `start` (s since the epoch). */
export interface PlannedRun {
  start: number;
  tests: PlannedTest[];
}

const ts = (s: number): { seconds: number; nanos: number } => ({
  seconds: Math.floor(s),
  nanos: Math.round((s - Math.floor(s)) * 1e9),
});

/** A run as a v2 stream: each attempt inprogress → (traceback) → status, on worker-0, one after another. */
export function runStream(run: PlannedRun): Uint8Array {
  const packets: Uint8Array[] = [];
  let t = run.start;
  const tags = ['worker-0'];
  for (const test of run.tests) {
    for (const a of test.attempts) {
      packets.push(encodePacket({ testId: test.name, status: 'inprogress', timestamp: ts(t), tags }));
      t += a.duration;
      if (a.status === 'fail') {
        const tb =
          'Traceback (most recent call last):\n' +
          `  File "/src/${test.name.split('.')[0] ?? 'x'}.py", line 42, in ${test.name.split('.').pop() ?? 'x'}\n` +
          '    self.assertEqual(1, 2)\n' +
          `AssertionError: planted failure of ${test.name}\n`;
        packets.push(
          encodePacket({
            testId: test.name,
            fileName: 'traceback',
            mimeType: 'text/x-traceback; charset=utf8',
            fileBytes: new TextEncoder().encode(tb),
            eof: true,
            timestamp: ts(t),
          }),
        );
      }
      packets.push(encodePacket({ testId: test.name, status: a.status, timestamp: ts(t), tags }));
      t += 0.01;
    }
  }
  const out = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of packets) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Deterministic 0..1 numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The names of the planted stories (the runs' last one is the run analysed). */
export const STORY = {
  newFailure: 'demo.api.test_servers.ServersTest.test_create_server',
  flaky: 'demo.api.test_volumes.VolumesTest.test_attach_volume',
  fixed: 'demo.api.test_images.ImagesTest.test_list_images',
  slower: 'demo.api.test_networks.NetworksTest.test_create_network',
  newFailing: 'demo.api.test_ports.PortsTest.test_new_port_check',
  retried: 'demo.api.test_keys.KeysTest.test_import_key',
  steady: 'demo.api.test_flavors.FlavorsTest.test_get_flavor',
} as const;

/**
 * `n` runs (n ≥ 7) of one job, a day apart: in the last run, `newFailure` fails for the first time, `fixed`
 * passes after failing in the run before, `slower` takes 5 s against ~1 s, `newFailing` appears failing;
 * `flaky` flips pass/fail across the runs; `retried` fails then passes on a retry in the last run.
 */
export function plannedRuns(n: number, seed = 7): PlannedRun[] {
  const rnd = random(seed);
  const runs: PlannedRun[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const ok = (d: number): PlannedTest['attempts'] => [{ status: 'success', duration: d }];
    const bad = (d: number): PlannedTest['attempts'] => [{ status: 'fail', duration: d }];
    const tests: PlannedTest[] = [
      { name: STORY.newFailure, attempts: last ? bad(0.4) : ok(0.3 + rnd() * 0.1) },
      { name: STORY.flaky, attempts: i % 3 === 1 ? bad(0.8) : ok(0.7 + rnd() * 0.2) },
      { name: STORY.fixed, attempts: i === n - 2 ? bad(0.2) : ok(0.2) },
      { name: STORY.slower, attempts: ok(last ? 5 : 1 + rnd() * 0.05) },
      { name: STORY.retried, attempts: last ? [...bad(0.1), ...ok(0.1)] : ok(0.1) },
      { name: STORY.steady, attempts: ok(0.05 + rnd() * 0.02) },
    ];
    if (last) tests.push({ name: STORY.newFailing, attempts: bad(0.3) });
    for (let k = 0; k < 6; k++)
      tests.push({
        name: `demo.scenario.test_basic.BasicTest.test_case_${k}`,
        attempts: ok(0.02 + rnd() * 0.01),
      });
    runs.push({ start: Date.UTC(2026, 10, 1 + i, 6, 0, 0) / 1000, tests });
  }
  return runs;
}
