// Dev harness: mounts the timeline on generated data (`?n=20000&workers=8&rows=10000`), without the app shell.
import '../../styles/app.css';
import { EXPORT_STATUSES } from '../../../../src/contract/export-format';
import type { TestTable } from '../../model/types';
import { defaultViewState } from '../../state/url';
import { mountTimeline } from '../index';

const params = new URLSearchParams(location.search);
const n = Number(params.get('n') ?? 2000);
const workers = Number(params.get('workers') ?? 8);
const rows = Number(params.get('rows') ?? 2000);
let seed = 42;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const start0 = Date.UTC(2026, 10, 28, 14, 0, 0);
const clock = new Float64Array(workers).fill(start0);
const startMs = new Float64Array(n);
const endMs = new Float64Array(n);
const worker = new Int32Array(n);
const status = new Uint8Array(n);
for (let i = 0; i < n; i++) {
  const w = i % workers;
  const d = rnd() < 0.3 ? rnd() * 5 : rnd() * 2000;
  startMs[i] = (clock[w] ?? 0) + rnd() * 50;
  endMs[i] = (startMs[i] ?? 0) + d;
  clock[w] = (startMs[i] ?? 0) + d;
  worker[i] = w;
  const r = rnd();
  status[i] = r < 0.9 ? 0 : r < 0.95 ? 2 : r < 0.98 ? 1 : Math.floor(rnd() * EXPORT_STATUSES.length);
  // The last test of some workers never ended (a crashed worker): in progress, no end.
  if (i >= n - workers && w % 3 === 0) {
    status[i] = EXPORT_STATUSES.indexOf('inprogress');
    endMs[i] = NaN;
  }
}
const tests: TestTable = {
  count: n,
  name: Array.from(
    { length: n },
    (_, i) => `tempest.api.compute.servers.test_${i % 97}.ServersTest.test_case_${i}`,
  ),
  id: Array.from(
    { length: n },
    (_, i) => `tempest.api.compute.servers.test_${i % 97}.ServersTest.test_case_${i}[smoke]`,
  ),
  status,
  worker,
  startMs,
  endMs,
  durationS: Float64Array.from({ length: n }, (_, i) => ((endMs[i] ?? 0) - (startMs[i] ?? 0)) / 1000),
  tags: Array.from({ length: n }, (_, i) => [`worker-${worker[i] ?? 0}`]),
  attributes: Array.from({ length: n }, () => ['smoke']),
  detailsKey: Array.from({ length: n }, () => null),
};
const end = Math.max(...clock);
const timeMs = Float64Array.from({ length: rows }, (_, i) => start0 + (i * (end - start0)) / rows);
const wave = (k: number): Float64Array =>
  Float64Array.from({ length: rows }, (_, i) => Math.max(0, Math.sin(i / k) + rnd()));
const dstat = {
  timeMs,
  timeBasis: { certain: params.get('certain') !== '0', source: 'metadata' },
  series: {
    cpu_user: Float64Array.from(wave(50), (v) => v * 30),
    cpu_system: Float64Array.from(wave(70), (v) => v * 10),
    cpu_wait: Float64Array.from(wave(30), (v) => v * 5),
    mem_used: Float64Array.from({ length: rows }, (_, i) => 2e9 + i * 1e5),
    net_recv: Float64Array.from(wave(20), (v) => v * 1e6),
    net_send: Float64Array.from(wave(25), (v) => v * 5e5),
    disk_read: Float64Array.from(wave(40), (v) => v * 2e6),
    disk_write: Float64Array.from(wave(45), (v) => v * 3e6),
    load_1m: Float64Array.from(wave(100), (v) => v * 4),
  },
};
const host = document.getElementById('tl');
if (host) {
  const t0 = performance.now();
  mountTimeline(host, {
    run: {
      key: 'dev',
      index: 0,
      name: 'generated',
      stats: { count: n, start: null, end: null, total_duration: 0, failures: [], skips: [] },
      files: { raw: '', details: '', stats: null, tree: null, timeline: null, dstat: null },
      tests,
      config: null,
    },
    tests,
    testFacts: (i) =>
      Promise.resolve({
        id: tests.id[i] ?? '',
        tags: tests.tags[i] ?? [],
        attributes: [],
        detailsKey: null,
        detailsRange: null,
      }),
    dstat,
    state: defaultViewState(),
    onStateChange(patch) {
      console.log(
        'state',
        JSON.stringify(patch, (_k, v: unknown) => (v instanceof Set ? [...(v as Set<string>)] : v)),
      );
    },
    onOpenTest(i) {
      console.log('open', i);
    },
  });
  document.body.dataset['mountMs'] = String(performance.now() - t0);
}
