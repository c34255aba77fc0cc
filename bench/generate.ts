// Seeded generator of tempest-like subunit v2 streams and a matching classic dstat CSV, for the benchmark.
// Long on purpose: one generator keeps the stream's and the dstat log's shared clock and seed in one place.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { encodePacket, MAX_PACKET_LENGTH } from '../src/formats/subunit/v2-encode.js';
import type { PacketFields } from '../src/formats/subunit/v2-encode.js';

export interface GenerateOptions {
  /** Test ids to emit (setUpClass fixture failures count as tests, as they do in the exporter's output). */
  tests: number;
  /** Approximate stream size in bytes: attachment sizes are steered so the total lands near it. */
  bytes: number;
  seed: number;
  /** Parallel workers (`worker-N` tags); 8 by default, as tempest's CI runs. */
  workers?: number;
  /** Largest packet to write (attachments are cut to fit); at most 4 MiB - 1, the format's limit. */
  maxPacketBytes?: number;
  /** Give a few tests logs of 8-24 MiB (about a fifth of `bytes` in all), in packets near maxPacketBytes. */
  hugeAttachments?: boolean;
  /** UTC ms of the first test's start; fixed by default so output depends only on the options. */
  startUtcMs?: number;
  /**
   * Give every test a name of its own (a serial number in the method name). By default names come from a
   * tempest-like vocabulary and repeat across classes (400,000 tests have ~147,000 distinct names).
   */
  distinctNames?: boolean;
}

export interface GenerateSummary {
  bytes: number;
  packets: number;
  tests: number;
  failures: number;
  skips: number;
  fixtureFailures: number;
  largestPacket: number;
  startUtcMs: number;
  endUtcMs: number;
}

/** sfc32: a small, fast, seedable PRNG (no Math.random: the same seed must give the same bytes). */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.next() * items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'.charAt(Math.floor(this.next() * 16));
    return s;
  }

  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${this.pick(['8', '9', 'a', 'b'])}${this.hex(3)}-${this.hex(12)}`;
  }
}

// Tempest's layout: service → module → class stem → resource nouns (what the rest-client lines talk about).
const SERVICES: readonly {
  svc: string;
  modules: readonly string[];
  api: string;
  port: string;
  nouns: readonly string[];
}[] = [
  {
    svc: 'compute',
    modules: [
      'servers.test_servers',
      'servers.test_server_actions',
      'servers.test_list_server_filters',
      'flavors.test_flavors',
      'keypairs.test_keypairs',
      'volumes.test_attach_volume',
      'admin.test_aggregates',
      'images.test_images_oneserver',
    ],
    api: 'compute/v2.1',
    port: 'compute',
    nouns: ['servers', 'flavors', 'os-keypairs', 'os-aggregates', 'images', 'os-volume_attachments'],
  },
  {
    svc: 'network',
    modules: [
      'test_networks',
      'test_ports',
      'test_routers',
      'test_security_groups',
      'test_floating_ips',
      'admin.test_quotas',
    ],
    api: 'networking/v2.0',
    port: 'network',
    nouns: ['networks', 'ports', 'routers', 'security-groups', 'floatingips', 'subnets'],
  },
  {
    svc: 'volume',
    modules: [
      'test_volumes_get',
      'test_volumes_list',
      'test_volumes_snapshots',
      'admin.test_volume_types',
      'test_volumes_extend',
    ],
    api: 'volume/v3',
    port: 'volume',
    nouns: ['volumes', 'snapshots', 'types', 'backups'],
  },
  {
    svc: 'image',
    modules: ['v2.test_images', 'v2.test_images_tags', 'v2.admin.test_images'],
    api: 'image/v2',
    port: 'image',
    nouns: ['images', 'schemas/image', 'tasks'],
  },
  {
    svc: 'identity',
    modules: ['admin.v3.test_users', 'admin.v3.test_projects', 'admin.v3.test_roles', 'v3.test_tokens'],
    api: 'identity/v3',
    port: 'identity',
    nouns: ['users', 'projects', 'roles', 'auth/tokens', 'domains'],
  },
  {
    svc: 'object_storage',
    modules: ['test_container_services', 'test_object_services', 'test_account_quotas'],
    api: 'object-store/v1/AUTH_8d2b',
    port: 'swift',
    nouns: ['container', 'object', ''],
  },
];
const VERBS = [
  'list',
  'get',
  'create',
  'update',
  'delete',
  'show',
  'rebuild',
  'resize',
  'attach',
  'detach',
  'filter_by',
  'reboot',
];
const OBJECTS = [
  'server',
  'servers',
  'flavor',
  'port',
  'network',
  'volume',
  'snapshot',
  'image',
  'user',
  'project',
  'role',
  'router',
  'keypair',
  'metadata',
  'tags',
  'quota',
];
const QUALIFIERS = [
  '',
  '',
  '',
  '_with_details',
  '_by_name',
  '_with_invalid_id',
  '_when_active',
  '_negative',
  '_pagination',
  '_as_admin',
];
const SKIP_REASONS = [
  'Cinder volume feature is not enabled.',
  'Resize is not available.',
  'Feature not implemented in this release',
  'Skipped until Bug: 1918241 is resolved.',
  'Only one compute host is available; live migration needs two.',
  'API microversion 2.95 is not supported by the configured API range',
];
const ERRORS = [
  [
    'tempest.lib.exceptions.TimeoutException',
    'Request timed out\nDetails: (ServersTestJSON:test_create_server) Server 8d3f failed to reach ACTIVE status and task state "None" within the required time (196 s). Current status: BUILD. Current task state: spawning.',
  ],
  [
    'tempest.lib.exceptions.NotFound',
    "Object not found\nDetails: {'code': 404, 'message': 'Volume could not be found.'}",
  ],
  ['testtools.matchers._impl.MismatchError', "'ACTIVE' != 'ERROR'"],
  [
    'tempest.lib.exceptions.ServerFault',
    "Got server fault\nDetails: Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'oslo_db.exceptions.DBConnectionError'>",
  ],
] as const;

interface ClassPlan {
  module: string;
  cls: string;
  svc: (typeof SERVICES)[number];
  tests: string[];
}

/** One test's packets: written at their own timestamps, interleaved with other workers' packets. */
interface Pending {
  atUs: number;
  fields: PacketFields;
}

const TEXT = 'text/plain;charset=utf8';
const TRACEBACK = 'text/x-traceback;charset=utf8,language=python';

function tsOf(us: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(us / 1e6), nanos: (us % 1e6) * 1000 };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `2026-11-28 14:36:28,123` as tempest's logging formats it (UTC on CI nodes). */
function logTime(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function httpDate(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return `${DAYS[d.getUTCDay()] ?? 'Sat'}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()] ?? 'Nov'} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}

/** One rest-client request as tempest logs it: an INFO line, then a DEBUG record with continuation lines. */
function restClientRecord(rng: Prng, us: number, pid: number, caller: string, svc: ClassPlan['svc']): string {
  const method = rng.pick(['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE']);
  const status = method === 'POST' ? rng.pick(['200', '201', '202']) : method === 'DELETE' ? '204' : '200';
  const noun = rng.pick(svc.nouns);
  const url = `https://10.0.17.${rng.int(2, 250)}/${svc.api}/${noun}${rng.chance(0.5) ? `/${rng.uuid()}` : ''}`;
  const req = `req-${rng.uuid()}`;
  const t = logTime(us);
  const body =
    method === 'GET' || method === 'DELETE'
      ? 'None'
      : `{"${noun.replace(/s$/, '') || 'item'}": {"name": "tempest-${caller.split(':')[0] ?? 'T'}-${rng.int(100000000, 999999999)}", "description": null}}`;
  const respBody =
    status === '204'
      ? "b''"
      : `b'{"${noun || 'items'}": [{"id": "${rng.uuid()}", "name": "tempest-${rng.int(1000, 9999)}", "status": "${rng.pick(['ACTIVE', 'BUILD', 'available', 'in-use'])}", "links": [{"rel": "self", "href": "${url}"}]}]}'`;
  return (
    `${t} ${pid} INFO     [tempest.lib.common.rest_client] Request (${caller}): ${status} ${method} ${url} ${(rng.next() * 0.8 + 0.01).toFixed(3)}s\n` +
    `${t} ${pid} DEBUG    [tempest.lib.common.rest_client] Request - Headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-Auth-Token': '<omitted>'}\n` +
    `        Body: ${body}\n` +
    `    Response - Headers: {'date': '${httpDate(us)}', 'server': 'Apache/2.4.58 (Ubuntu)', 'content-type': 'application/json', 'content-length': '${respBody.length - 3}', 'x-openstack-request-id': '${req}', 'connection': 'close', 'status': '${status}', 'content-location': '${url}'}\n` +
    `        Body: ${respBody}\n`
  );
}

/** A python traceback for a failing test (or a class fixture). */
function traceback(rng: Prng, module: string, test: string): string {
  const [exc, msg] = rng.pick(ERRORS);
  const file = `tempest/api/${module.replace(/\./g, '/')}.py`;
  return (
    'Traceback (most recent call last):\n' +
    `  File "/opt/stack/tempest/${file}", line ${rng.int(40, 900)}, in ${test}\n` +
    `    self.client.wait_for_resource(${rng.pick(['server', 'volume', 'port'])}['id'], 'ACTIVE')\n` +
    `  File "/opt/stack/tempest/tempest/common/waiters.py", line ${rng.int(80, 400)}, in wait_for_server_status\n` +
    '    raise lib_exc.TimeoutException(message)\n' +
    `${exc}: ${msg}\n`
  );
}

/**
 * Generate a stream, handing packets to `write` in stream order. Memory stays flat: one test per worker is
 * planned at a time, and its attachment is produced packet by packet.
 */
export function generateStream(opts: GenerateOptions, write: (packet: Uint8Array) => void): GenerateSummary {
  const rng = new Prng(opts.seed);
  const workers = Math.max(1, opts.workers ?? 8);
  const maxPacket = Math.min(opts.maxPacketBytes ?? 65536, MAX_PACKET_LENGTH);
  const startUs = (opts.startUtcMs ?? Date.UTC(2026, 10, 28, 14, 36, 28)) * 1000;
  const summary: GenerateSummary = {
    bytes: 0,
    packets: 0,
    tests: 0,
    failures: 0,
    skips: 0,
    fixtureFailures: 0,
    largestPacket: 0,
    startUtcMs: startUs / 1000,
    endUtcMs: startUs / 1000,
  };
  let testsLeft = opts.tests;
  const hugeCount =
    opts.hugeAttachments === true ? Math.max(1, Math.round((0.2 * opts.bytes) / (16 * 1024 * 1024))) : 0;
  const hugeEvery = hugeCount > 0 ? Math.max(1, Math.floor(opts.tests / hugeCount)) : 0;
  const queues: Pending[][] = Array.from({ length: workers }, () => []);
  const clocks: number[] = Array.from({ length: workers }, (_, w) => startUs + w * rng.int(1000, 200000));
  const classes: (ClassPlan | null)[] = Array.from({ length: workers }, () => null);
  const pids: number[] = Array.from({ length: workers }, () => rng.int(20000, 32000));
  let names = 0;

  const emit = (fields: PacketFields): void => {
    const p = encodePacket(fields);
    summary.bytes += p.length;
    summary.packets++;
    if (p.length > summary.largestPacket) summary.largestPacket = p.length;
    write(p);
  };

  const newClass = (): ClassPlan => {
    const svc = rng.pick(SERVICES);
    const module = `${svc.svc}.${rng.pick(svc.modules)}`;
    const stem = (module.split('.').pop() ?? 'test_x').replace(/^test_/, '');
    const cls = `${stem.replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase())}${rng.pick(['TestJSON', 'Test', 'AdminTest', 'NegativeTestJSON'])}`;
    const n = rng.int(1, 14);
    const tests: string[] = [];
    for (let i = 0; i < n; i++) {
      const serial = opts.distinctNames === true ? `_${++names}` : '';
      const name = `test_${rng.pick(VERBS)}_${rng.pick(OBJECTS)}${rng.pick(QUALIFIERS)}${serial}`;
      const attrs = `id-${rng.uuid()}${rng.chance(0.15) ? ',smoke' : ''}`;
      tests.push(`${name}[${attrs}]`);
    }
    return { module, cls, svc, tests };
  };

  /** Plan the next test (or class fixture failure) of worker w into its queue. */
  const planNext = (w: number): void => {
    let plan = classes[w] ?? null;
    if (plan === null || plan.tests.length === 0) {
      plan = newClass();
      classes[w] = plan;
      // A class whose setUpClass fails reports one `setUpClass (module.Class)` failure instead of its tests.
      if (rng.chance(0.004)) {
        const id = `setUpClass (tempest.api.${plan.module}.${plan.cls})`;
        const t0 = clocks[w] ?? startUs;
        const t1 = t0 + rng.int(200_000, 30_000_000);
        const tag = [`worker-${w}`];
        const q = queues[w] ?? [];
        q.push({ atUs: t0, fields: { testId: id, status: 'inprogress', timestamp: tsOf(t0) } });
        q.push({
          atUs: t1,
          fields: {
            testId: id,
            fileName: 'traceback',
            mimeType: TRACEBACK,
            fileBytes: utf8(traceback(rng, plan.module, 'setUpClass')),
            eof: true,
            timestamp: tsOf(t1),
          },
        });
        q.push({ atUs: t1, fields: { testId: id, status: 'fail', tags: tag, timestamp: tsOf(t1) } });
        clocks[w] = t1 + rng.int(1000, 50_000);
        summary.fixtureFailures++;
        summary.tests++;
        testsLeft--;
        plan.tests = [];
        return;
      }
    }
    const testPart = plan.tests.shift() ?? 'test_x[id-0]';
    const id = `tempest.api.${plan.module}.${plan.cls}.${testPart}`;
    const shortName = testPart.slice(0, testPart.indexOf('['));
    const t0 = clocks[w] ?? startUs;
    // Durations: mostly short API calls, a long tail of server builds and migrations (log-uniform 20 ms - 200 s).
    const durUs = Math.round(Math.exp(Math.log(20_000) + rng.next() * Math.log(10_000)));
    const t1 = t0 + durUs;
    const roll = rng.next();
    const status = roll < 0.02 ? 'fail' : roll < 0.07 ? 'skip' : 'success';
    const tag = [`worker-${w}`];
    const q = queues[w] ?? [];
    q.push({ atUs: t0, fields: { testId: id, status: 'inprogress', timestamp: tsOf(t0) } });

    // The log's share of the remaining byte budget, varied per test, less the test's own packet overhead.
    const remaining = Math.max(0, opts.bytes - summary.bytes - queuedBytes());
    const overhead = 3 * (id.length + 24);
    let logBudget =
      status === 'skip'
        ? 0
        : Math.max(0, (remaining / Math.max(1, testsLeft)) * (0.3 + rng.next() * 1.4) - overhead);
    // Huge logs: about a fifth of the byte target between them (at least one), at evenly spaced tests, each
    // at most half of what is left so the total still lands near the target.
    if (hugeEvery > 0 && (opts.tests - testsLeft) % hugeEvery === Math.floor(hugeEvery / 2)) {
      logBudget = Math.max(logBudget, Math.min(rng.int(8, 24) * 1024 * 1024, remaining / 2));
    }
    if (logBudget > 0) pushLog(q, id, `${plan.cls}:${shortName}`, plan, w, t0, t1, logBudget);
    if (status === 'fail') {
      q.push({
        atUs: t1,
        fields: {
          testId: id,
          fileName: 'traceback',
          mimeType: TRACEBACK,
          fileBytes: utf8(traceback(rng, plan.module, shortName)),
          eof: true,
          timestamp: tsOf(t1),
        },
      });
      summary.failures++;
    } else if (status === 'skip') {
      q.push({
        atUs: t1,
        fields: {
          testId: id,
          fileName: 'reason',
          mimeType: TEXT,
          fileBytes: utf8(rng.pick(SKIP_REASONS)),
          eof: true,
          timestamp: tsOf(t1),
        },
      });
      summary.skips++;
    }
    q.push({ atUs: t1, fields: { testId: id, status, tags: tag, timestamp: tsOf(t1) } });
    clocks[w] = t1 + rng.int(500, 20_000);
    summary.tests++;
    testsLeft--;
  };

  /** Rough bytes of packets planned but not yet written (so the budget does not count them twice). */
  let queued = 0;
  const queuedBytes = (): number => queued;

  /**
   * The `pythonlogging:''` attachment, cut into packets: most logs go in one packet, some in several (as a
   * worker flushing its buffer does), spread over the test's last moments so other workers' packets fall between.
   */
  const pushLog = (
    q: Pending[],
    id: string,
    caller: string,
    plan: ClassPlan,
    w: number,
    t0: number,
    t1: number,
    budget: number,
  ): void => {
    let text = '';
    let us = t0;
    const step = Math.max(1, Math.floor((t1 - t0) / Math.max(1, budget / 1400)));
    while (text.length < budget) {
      text += restClientRecord(rng, us, pids[w] ?? 1, caller, plan.svc);
      us = Math.min(t1, us + step);
    }
    const bytes = utf8(text);
    // Room for content once the packet's other fields are counted (id, name, MIME type, numbers, CRC).
    const room = maxPacket - Buffer.byteLength(id) - 96;
    let piece = bytes.length <= room ? bytes.length : room;
    if (bytes.length > 4096 && bytes.length <= room && rng.chance(0.3))
      piece = Math.max(1024, Math.ceil(bytes.length / rng.int(2, 6)));
    const pieces = Math.ceil(bytes.length / piece);
    for (let i = 0; i < pieces; i++) {
      const part = bytes.subarray(i * piece, Math.min(bytes.length, (i + 1) * piece));
      const at = t1 - (pieces - 1 - i) * 1000;
      q.push({
        atUs: Math.max(t0, at),
        fields: {
          testId: id,
          fileName: "pythonlogging:''",
          mimeType: TEXT,
          fileBytes: part,
          eof: i === pieces - 1,
          timestamp: tsOf(Math.max(t0, at)),
        },
      });
      queued += part.length;
    }
  };

  // Merge the workers' packets by time: the stream interleaves them as stestr's parallel workers do.
  for (;;) {
    for (let w = 0; w < workers; w++) if ((queues[w]?.length ?? 0) === 0 && testsLeft > 0) planNext(w);
    let best = -1;
    let bestAt = Infinity;
    for (let w = 0; w < workers; w++) {
      const head = queues[w]?.[0];
      if (head !== undefined && head.atUs < bestAt) {
        best = w;
        bestAt = head.atUs;
      }
    }
    if (best < 0) break;
    const next = queues[best]?.shift();
    if (next === undefined) break;
    if (next.fields.fileBytes !== undefined) queued -= next.fields.fileBytes.length;
    emit(next.fields);
    if (next.atUs / 1000 > summary.endUtcMs) summary.endUtcMs = next.atUs / 1000;
  }
  return summary;
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/** Write a stream to a file through a 1 MiB buffer: memory stays flat however large the stream is. */
export function writeStreamFile(path: string, opts: GenerateOptions): GenerateSummary {
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(1 << 20);
  let fill = 0;
  const flush = (): void => {
    let off = 0;
    while (off < fill) off += writeSync(fd, buf, off, fill - off);
    fill = 0;
  };
  try {
    const summary = generateStream(opts, (p) => {
      if (fill + p.length > buf.length) flush();
      if (p.length > buf.length) {
        let off = 0;
        while (off < p.length) off += writeSync(fd, p, off, p.length - off);
        return;
      }
      buf.set(p, fill);
      fill += p.length;
    });
    flush();
    return summary;
  } finally {
    closeSync(fd);
  }
}

export interface DstatOptions {
  startUtcMs: number;
  /** Rows wanted: spread over [startUtcMs, endUtcMs] at a whole number of seconds apart (dstat's delay).
   *  By default one row a second over that span, with a few seconds either side. */
  rows?: number;
  endUtcMs?: number;
  seed: number;
  host?: string;
}

const DSTAT_GROUPS =
  '"system","total cpu usage",,,,,"memory usage",,,,"net/total",,"dsk/total",,"io/total",,"system",,"load avg",,,"procs",,,"paging",,"most expensive cpu process","most expensive i/o process"';
const DSTAT_NAMES =
  '"time","usr","sys","idl","wai","stl","used","free","buff","cach","recv","send","read","writ","read","writ","int","csw","1m","5m","15m","run","blk","new","in","out","process              pid  cpu read write","process              pid  read write cpu"';

/** A classic dstat CSV (the layout of `dstat -tcmndrylpg --top-cpu-adv --top-io-adv`), time in UTC, 1 row/s. */
export function dstatCsv(opts: DstatOptions): string {
  const rng = new Prng(opts.seed ^ 0x5f3759df);
  const start = Math.floor(opts.startUtcMs / 1000) * 1000 - 5000;
  const spanS = Math.ceil(((opts.endUtcMs ?? opts.startUtcMs) - start) / 1000) + 10;
  const rows = opts.rows ?? Math.max(2, spanS);
  const delayMs = Math.max(1, Math.ceil(spanS / rows)) * 1000;
  const d0 = new Date(start);
  const lines: string[] = [
    '"Dstat 0.8.0 CSV output"',
    '"Author:","Dag Wieers <dag@wieers.com>",,,,"URL:","http://dag.wieers.com/home-made/dstat/"',
    `"Host:","${opts.host ?? 'bench-node'}",,,,"User:","stack"`,
    `"Cmdline:","dstat -tcmndrylpg --top-cpu-adv --top-io-adv --nocolor --output dstat-csv.log 1",,,,"Date:","${pad(d0.getUTCDate())} ${MONTHS[d0.getUTCMonth()] ?? 'Nov'} ${d0.getUTCFullYear()} ${pad(d0.getUTCHours())}:${pad(d0.getUTCMinutes())}:${pad(d0.getUTCSeconds())} UTC"`,
    DSTAT_GROUPS,
    DSTAT_NAMES,
  ];
  let used = 2.1e9;
  let load = 0.4;
  const f = (v: number): string => (v === Math.round(v) ? String(v) : v.toFixed(3));
  for (let i = 0; i < rows; i++) {
    const d = new Date(start + i * delayMs);
    const time = `${pad(d.getUTCDate())}-${pad(d.getUTCMonth() + 1)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const busy = 0.5 + 0.5 * Math.sin(i / 97) * Math.sin(i / 13);
    const usr = Math.min(99, Math.max(0, busy * 70 + rng.next() * 10));
    const sys = Math.min(100 - usr, busy * 12 + rng.next() * 3);
    const wai = Math.min(100 - usr - sys, rng.next() * 4 * busy);
    const idl = Math.max(0, 100 - usr - sys - wai);
    used = Math.max(1.5e9, Math.min(7.5e9, used + (rng.next() - 0.45) * 6e7));
    load = Math.max(0, load * 0.98 + busy * 0.16 + rng.next() * 0.02);
    const cells = [
      time,
      f(usr),
      f(sys),
      f(idl),
      f(wai),
      '0',
      f(Math.round(used)),
      f(Math.round(8.2e9 - used)),
      '3014656',
      f(Math.round(1.1e9 + (used - 2.1e9) / 4)),
      f(Math.round(busy * rng.next() * 4e6)),
      f(Math.round(busy * rng.next() * 2e6)),
      f(Math.round(busy * rng.next() * 8e6)),
      f(Math.round(busy * rng.next() * 2e7)),
      f(rng.int(0, 80)),
      f(rng.int(0, 300)),
      f(rng.int(200, 4000)),
      f(rng.int(400, 9000)),
      load.toFixed(3),
      (load * 0.8).toFixed(3),
      (load * 0.6).toFixed(3),
      f(rng.int(0, 8)),
      f(rng.int(0, 2)),
      f(rng.int(0, 40)),
      '0',
      '0',
      `Top: python3\t${f(usr * 0.6)}\t${rng.int(1e5, 9e6)}.0\t0.0`,
      `Top: qemu-system-x86\t${rng.int(1e5, 9e7)}.0\t${rng.int(0, 9e5)}.0\t${f(usr * 0.2)}`,
    ];
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** `2M`, `206MB`, `1G`, `4MiB`, or plain bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) throw new Error(`not a size: ${text}`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mult);
}

const USAGE = `usage: node dist/bench/generate.js --tests N --bytes SIZE --seed S --out FILE.subunit
         [--dstat FILE.csv] [--dstat-rows N] [--max-packet SIZE] [--huge] [--distinct-names] [--workers N]
  SIZE: bytes, or with a suffix: 2M, 206M, 1G (binary units)`;

function main(argv: string[]): number {
  const args = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--huge' || a === '--distinct-names' || a === '--help' || a === '-h') flags.add(a);
    else if (a.startsWith('--') && i + 1 < argv.length) args.set(a, argv[++i] ?? '');
    else {
      process.stderr.write(`generate: unexpected argument ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  if (flags.has('--help') || flags.has('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = args.get('--out');
  const tests = Number(args.get('--tests') ?? NaN);
  if (out === undefined || !Number.isInteger(tests) || tests < 1 || !args.has('--bytes')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const opts: GenerateOptions = {
    tests,
    bytes: parseSize(args.get('--bytes') ?? '0'),
    seed: Number(args.get('--seed') ?? 1),
    workers: Number(args.get('--workers') ?? 8),
    hugeAttachments: flags.has('--huge'),
    distinctNames: flags.has('--distinct-names'),
  };
  const maxPacket = args.get('--max-packet');
  if (maxPacket !== undefined) opts.maxPacketBytes = parseSize(maxPacket);
  const s = writeStreamFile(out, opts);
  process.stdout.write(
    `${out}: ${s.bytes} bytes, ${s.packets} packets (largest ${s.largestPacket}), ${s.tests} tests ` +
      `(${s.failures} failures, ${s.skips} skips, ${s.fixtureFailures} setUpClass failures)\n`,
  );
  const dstat = args.get('--dstat');
  if (dstat !== undefined) {
    const rowsArg = args.get('--dstat-rows');
    const csv = dstatCsv({
      startUtcMs: s.startUtcMs,
      endUtcMs: s.endUtcMs,
      seed: opts.seed,
      ...(rowsArg === undefined ? {} : { rows: Number(rowsArg) }),
    });
    const fd = openSync(dstat, 'w');
    try {
      writeSync(fd, csv);
    } finally {
      closeSync(fd);
    }
    process.stdout.write(`${dstat}: ${csv.length} bytes\n`);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
