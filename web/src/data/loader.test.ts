// The loader against a fake fetch: config in either place, .gz with or without server decompression, details by range.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { packDstatLog, parseDstat } from '../../../src/formats/dstat/index';
import {
  loadBytes,
  loadDetails,
  loadDstat,
  loadReport,
  loadRunOutput,
  loadTests,
  LoadError,
  resetLoaderCaches,
} from './loader';

let files: Map<string, Uint8Array<ArrayBuffer>>;
let requested: string[];
/** Bytes of the bodies sent, by path. */
let sent: Map<string, number>;
/** Whether the fake server answers Range requests (else it sends the whole file, as python's http.server). */
let ranges: boolean;

function put(path: string, value: unknown, gzip = false): void {
  const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  files.set(path, new Uint8Array(gzip ? gzipSync(bytes) : bytes));
}

beforeEach(() => {
  resetLoaderCaches();
  files = new Map();
  requested = [];
  sent = new Map();
  ranges = true;
  vi.stubGlobal('fetch', (path: string, init?: { headers?: Record<string, string> }) => {
    requested.push(path);
    const body = files.get(path);
    if (!body) return Promise.resolve(new Response('not found', { status: 404, statusText: 'Not Found' }));
    const m = /^bytes=(\d+)-(\d+)$/.exec(init?.headers?.['Range'] ?? '');
    const [start, end] = m && ranges ? [Number(m[1]), Number(m[2]) + 1] : [0, body.length];
    sent.set(path, (sent.get(path) ?? 0) + end - start);
    if (!m || !ranges) return Promise.resolve(new Response(body));
    const headers = { 'Content-Range': `bytes ${start}-${end - 1}/${body.length}` };
    return Promise.resolve(new Response(body.slice(start, end), { status: 206, headers }));
  });
});
afterEach(() => vi.unstubAllGlobals());

const entry = (name: string, status: string, extra: object = {}): object => ({
  name,
  status,
  tags: ['worker-0'],
  timestamps: ['2020-01-01T00:00:00+00:00', '2020-01-01T00:00:01+00:00'],
  duration: 1,
  details: {},
  ...extra,
});

describe('loader', () => {
  it('inflates gzip bytes whatever the server did', async () => {
    put('a.json.gz', { a: 1 }, true);
    put('b.json.gz', { b: 2 }); // a server that already decompressed it
    expect(new TextDecoder().decode(await loadBytes('a.json.gz'))).toBe('{"a":1}');
    expect(new TextDecoder().decode(await loadBytes('b.json.gz'))).toBe('{"b":2}');
    await expect(loadBytes('missing.json')).rejects.toThrow(LoadError);
  });

  it('finds data/config.json (the original layout) and reads stats files', async () => {
    const raw = [entry('t.a', 'success'), entry('t.b', 'fail')];
    put('data/config.json', {
      deployer: false,
      datasets: [
        {
          artifacts: [
            { path: 'x-raw.json', artifact_name: 'x', artifact_type: 'subunit' },
            { path: 'x-details.json', artifact_name: 'x', artifact_type: 'subunit-details' },
            { path: 'x-stats.json', artifact_name: 'x', artifact_type: 'subunit-stats' },
          ],
        },
      ],
    });
    put('data/x-raw.json', raw);
    put('data/x-stats.json', {
      count: 2,
      start: null,
      end: null,
      total_duration: 1,
      failures: [],
      skips: [],
    });
    put('data/x-details.json', { 't.b': { traceback: 'boom' } });
    const report = await loadReport();
    expect(report.runs).toHaveLength(1);
    const run = report.runs[0];
    if (!run) throw new Error('no run');
    expect(run.stats.count).toBe(2);
    expect(run.files.raw).toBe('data/x-raw.json');
    const tests = await loadTests(run);
    expect(tests.count).toBe(2);
    expect(await loadDetails(run, 1)).toEqual(new Map([['traceback', 'boom']]));
    expect(await loadDetails(run, 0)).toBeNull();
  });

  /**
   * A run's details as our exporter writes them: `_details.json` (gzipped in segments of `segment` bytes with
   * their index under -z) and the raw entries with their ranges.
   */
  function details(entries: [string, string, object][], gzip: boolean, segment = 40): object {
    let text = '{';
    const raw = entries.map(([name, key, value], i) => {
      text += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:`;
      const start = Buffer.byteLength(text);
      text += JSON.stringify(value);
      const range = Object.keys(value).length === 0 ? null : [start, Buffer.byteLength(text)];
      return entry(name, 'fail', { details_key: key, details_range: range });
    });
    const plain = Buffer.from(`${text}}`);
    put('r_raw.json', raw);
    if (!gzip) {
      files.set('r_details.json', new Uint8Array(plain));
      return {};
    }
    const index = { plain: [0], packed: [10] };
    const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])];
    for (let at = 0; at < plain.length; at += segment) {
      const seg = plain.subarray(at, at + segment);
      parts.push(deflateRawSync(seg, { level: 1, finishFlush: constants.Z_FULL_FLUSH }));
      index.plain.push(at + seg.length);
      index.packed.push((index.packed.at(-1) as number) + (parts.at(-1) as Buffer).length);
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(plain), 0);
    trailer.writeUInt32LE(plain.length, 4);
    files.set('r_details.json.gz', new Uint8Array(Buffer.concat([...parts, Buffer.from([3, 0]), trailer])));
    return { details_index: index };
  }

  function config(gzip: boolean, extra: object, streamOutput: object = {}): void {
    const stats = {
      count: 3,
      start: null,
      end: null,
      total_duration: 3,
      failures: [],
      skips: [],
      ...streamOutput,
    };
    put('config.json', {
      deployer: false,
      datasets: [],
      tempest: [
        {
          id: 0,
          name: 'r',
          source: 's',
          raw: 'r_raw.json',
          details: gzip ? 'r_details.json.gz' : 'r_details.json',
          tree: 'r_tree.json',
          stats,
          key: 's_0',
          ...extra,
        },
      ],
    });
  }

  const tests: [string, string, object][] = [
    ['a', 'a', { stdout: 'first '.repeat(40) }],
    ['constructor', 'constructor', {}],
    ['a', 'a#2', { stdout: 'second', traceback: 'boom' }],
    ['z', 'z', { stdout: 'last '.repeat(40) }],
  ];

  for (const gzip of [false, true]) {
    it(`reads only the opened test’s bytes from a server that answers ranges${gzip ? ' (-z)' : ''}`, async () => {
      config(gzip, details(tests, gzip));
      const run = (await loadReport()).runs[0];
      if (!run) throw new Error('no run');
      expect(await loadDetails(run, 2)).toEqual(
        new Map([
          ['stdout', 'second'],
          ['traceback', 'boom'],
        ]),
      );
      expect(await loadDetails(run, 3)).toEqual(new Map([['stdout', 'last '.repeat(40)]]));
      // `constructor` has no attachment: nothing is fetched, nothing inherited answers.
      expect(await loadDetails(run, 1)).toBeNull();
      const path = gzip ? 'r_details.json.gz' : 'r_details.json';
      expect(requested.filter((p) => p === path)).toHaveLength(2);
      const whole = (files.get(path) as Uint8Array).length;
      expect(sent.get(path)).toBeLessThan(whole * (gzip ? 0.9 : 0.6));
    });

    it(`falls back to the whole file from a server that ignores ranges, read once${gzip ? ' (-z)' : ''}`, async () => {
      ranges = false;
      config(gzip, details(tests, gzip));
      const run = (await loadReport()).runs[0];
      if (!run) throw new Error('no run');
      expect(await loadDetails(run, 0)).toEqual(new Map([['stdout', 'first '.repeat(40)]]));
      expect(await loadDetails(run, 2)).toEqual(
        new Map([
          ['stdout', 'second'],
          ['traceback', 'boom'],
        ]),
      );
      const path = gzip ? 'r_details.json.gz' : 'r_details.json';
      expect(requested.filter((p) => p === path)).toHaveLength(1);
    });
  }

  it('says clearly when there is no config, or a broken one', async () => {
    await expect(loadReport()).rejects.toThrow(/neither config\.json nor data\/config\.json/);
    put('config.json', '{"tempest": [');
    await expect(loadReport()).rejects.toMatchObject({ kind: 'malformed' });
    put('config.json', { deployer: false, datasets: [] });
    await expect(loadReport()).rejects.toThrow(/no runs/);
  });

  it('derives stats from the tests when the config has none', async () => {
    put('config.json', {
      datasets: [{ artifacts: [{ path: 'r.json', artifact_name: 'r', artifact_type: 'subunit' }] }],
    });
    put('r.json', [entry('a', 'success'), entry('b', 'skip'), entry('c', 'fail')]);
    const report = await loadReport();
    const stats = report.runs[0]?.stats;
    expect(stats?.count).toBe(3);
    expect(stats?.status_counts).toEqual({ success: 1, fail: 1, skip: 1 });
    expect(stats?.failures.map((f) => f.name)).toEqual(['c']);
  });

  it("parses the run's dstat log with the run start as reference, and reports a broken one", async () => {
    const csv = readFileSync('examples/dstat.csv', 'utf8');
    const stats = {
      count: 1,
      start: '2026-01-01T00:00:00+00:00',
      end: null,
      total_duration: 0,
      failures: [],
      skips: [],
    };
    const run = (raw: string, dstat: string): object => ({
      id: 0,
      name: raw,
      source: 's',
      raw,
      details: '',
      tree: '',
      stats,
      dstat,
    });
    put('config.json', {
      deployer: false,
      datasets: [],
      tempest: [run('a.json', 'dstat_log.csv.gz'), run('b.json', 'nope.csv')],
    });
    put('dstat_log.csv.gz', csv, true);
    put('nope.csv', 'this is not,a dstat log\n1,2\n');
    const report = await loadReport();
    const [a, b] = report.runs;
    if (!a || !b) throw new Error('two runs expected');
    const log = await loadDstat(a);
    expect(log?.rows).toBeGreaterThan(10);
    expect(log?.timeMs.length).toBe(log?.rows);
    expect(Object.keys(log?.series ?? {})).toContain('cpu_user');
    await expect(loadDstat(b)).rejects.toThrow(LoadError);

    // The single file's packed log (the magic bytes tell it from CSV): unpacked as it is, or a clear error.
    resetLoaderCaches();
    const packed = packDstatLog(parseDstat(csv, { referenceUtcMs: Date.UTC(2026, 0, 1) }));
    files.set('dstat_log.csv.gz', new Uint8Array(gzipSync(packed)));
    files.set('nope.csv', packed.slice(0, packed.length - 9));
    const [pa, pb] = (await loadReport()).runs;
    if (!pa || !pb) throw new Error('two runs expected');
    expect(await loadDstat(pa)).toEqual(log);
    await expect(loadDstat(pb)).rejects.toThrow(/nope\.csv: truncated packed dstat log/);
  });

  it('decodes only the embedded pieces that hold the opened test (the single file)', async () => {
    config(false, details(tests, false));
    const text = Buffer.from(files.get('r_details.json') as Uint8Array);
    files.delete('r_details.json');
    // Pieces of 50 bytes, as single-file.ts writes them (of 1 MiB there); each counts its decodings.
    const decoded: number[] = [];
    const pieces: { dataset: Record<string, string>; textContent: string }[] = [];
    for (let at = 0, k = 0; at < text.length; at += 50, k++) {
      const body = gzipSync(text.subarray(at, at + 50)).toString('base64');
      const piece = k;
      pieces.push({
        dataset: { path: 'r_details.json', offset: String(at), encoding: 'base64-gzip' },
        get textContent(): string {
          decoded.push(piece);
          return body;
        },
      });
    }
    vi.stubGlobal('document', { querySelectorAll: () => pieces });
    resetLoaderCaches();
    const run = (await loadReport()).runs[0];
    if (!run) throw new Error('no run');
    expect(decoded).toEqual([]);
    expect(await loadDetails(run, 2)).toEqual(
      new Map([
        ['stdout', 'second'],
        ['traceback', 'boom'],
      ]),
    );
    const start = text.indexOf('"a#2":') + 6;
    const end = text.indexOf(',"z"');
    const holding = pieces.flatMap((_, k) => (k * 50 < end && (k + 1) * 50 > start ? [k] : []));
    expect(decoded).toEqual(holding);
    expect(holding.length).toBeLessThan(pieces.length / 2);
    expect(requested.filter((p) => p.startsWith('r_details'))).toEqual([]);
  });

  it("reads the run's own output by its range, or says there is none", async () => {
    const extra = details([...tests, ['x', '<stream output>', { stdout: 'not subunit' }]], false);
    const raw = JSON.parse(Buffer.from(files.get('r_raw.json') as Uint8Array).toString()) as {
      details_range: [number, number];
    }[];
    config(false, extra, {
      stream_output_key: '<stream output>',
      stream_output_range: raw[4]?.details_range,
    });
    const [a] = (await loadReport()).runs;
    if (!a) throw new Error('a run expected');
    expect(await loadRunOutput(a)).toEqual(new Map([['stdout', 'not subunit']]));
    config(false, extra, { stream_output_key: null, stream_output_range: null });
    resetLoaderCaches();
    const [b] = (await loadReport()).runs;
    if (!b) throw new Error('a run expected');
    expect(await loadRunOutput(b)).toBeNull();
  });
});
