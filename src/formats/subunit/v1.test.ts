// V1Reader: differential tests against python-subunit's v1 → v2 transcoding (as stestr does it), chunking, units.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparable, sortTagsLikePython } from '../../../test/reference/oracle.js';
import { assembleV1, runV1Oracle, v1Events } from '../../../test/reference/v1-oracle.js';
import { cleanTestId } from '../../model/names.js';
import { isoFromMicros } from '../../model/time.js';
import type { SubunitEvent } from './events.js';
import { parseV1Time, V1Reader } from './v1.js';

const REPO = join(import.meta.dirname, '../../../examples/stestr-repo/.stestr');
const EXPECTED = join(import.meta.dirname, '../../../test/fixtures/expected');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const T0 = 'time: 2026-11-28 14:36:21.745867Z\n';

/** Hand-written v1 streams covering every directive and the odd corners; none of them crash the reference. */
const CASES: Record<string, string> = {
  'every outcome, no details':
    T0 +
    'test: a\nsuccess: a\ntesting: b\nsuccessful: b\ntest: c\nfailure: c\ntest: d\nerror: d\n' +
    'test: e\nskip: e\ntest: f\nxfail: f\ntest: g\nuxsuccess: g\n',
  'simple details for every outcome':
    T0 +
    'test: a\nsuccess: a [\nall good\n]\ntest: b\nfailure: b [\nTraceback (most recent call last):\n  boom\n ]\n]\n' +
    'test: c\nerror: c [\n]\ntest: d\nskip: d [\nnot today\n]\ntest: e\nxfail: e [\nknown\n]\n' +
    'test: f\nuxsuccess: f [\nsurprise\n]\n',
  'multipart: several parts, chunk sizes, newlines in bodies, mid-line ends':
    T0 +
    'test: m\nfailure: m [ multipart\nContent-Type: text/plain;charset=utf8\nlog\n' +
    '5\r\nab\ncd3\r\nefg0\r\nContent-Type: text/x-traceback;language=python,charset=utf8\ntraceback\n' +
    'A\r\n0123456789b\r\nline\nline\nx0\r\nContent-Type: application/octet-stream\nempty\n0\r\n]\n',
  'multipart: repeated part name keeps first position, later content':
    T0 +
    'test: r\nsuccess: r [ multipart\nContent-Type: text/plain\nx\n1\r\n10\r\n' +
    'Content-Type: text/plain\ny\n1\r\n20\r\nContent-Type: text/html\nx\n1\r\n30\r\n]\n',
  'multipart as stestr writes it (empty)': T0 + 'test: s\nsuccessful: s [ multipart\n]\n',
  'tags inside and outside tests':
    'tags: global worker-0\ntest: a\ntags: -worker-0 mine\nsuccess: a\ntest: b\nsuccess: b\n' +
    'tags: -global\ntest: c\ntags: -worker-0\nsuccess: c\ntags: -worker-0\ntest: d\nsuccess: d\n' +
    'tags: x -x y\ntest: e\nsuccess: e\n',
  'time lines: fractions, zones, inside a test':
    'time: 2026-11-28 14:36:21.746342Z\ntest: a\ntime: 2026-11-28 14:36:22Z\nsuccess: a\n' +
    'time: 2026-11-28T14:36:23.1234567+02:30\ntest: b\ntime: 2026-11-28 14:36:23.9999999-01:00\nsuccess: b\n' +
    'time: 2026-11-28 14:36:24.5 trailing junk\ntest: c\ntime: 2026-02-28 00:00:00.000001Z\nsuccess: c\n',
  'no time lines at all': 'test: a\nsuccess: a\ntest: b\nfailure: b [\nx\n]\n',
  // python-subunit parses a zone offset of a day or more; only an event stamped with it would make it raise.
  'a time with an offset of days, replaced before any event':
    'time: 2026-11-28 10:00:51.58202658+81:00\ntime: 2026-11-28 10:00:49.16840036Z\ntest: a\nsuccess: a\n',
  // python-subunit tests `cmd in b'skip'`: any part of the word (even none, a bare `:`) is a skip.
  'parts of the word skip are skips':
    T0 +
    'test: a\nski: a [\nreason\n]\ntest: b\nk: b\ntest: c\n: c\ntest: d\nt: d\nsuccess: d\n' +
    'test: e\nskipp: e\nsuccess: e\ntest: f\nip:: f\n',
  'truncated inside a test': T0 + 'tags: w\ntest: a\nsuccess: a\ntest: b\n',
  'truncated inside simple details': T0 + 'test: a\nfailure: a [\nhalf a traceback\n',
  'truncated inside a multipart body':
    T0 + 'test: a\nerror: a [ multipart\nContent-Type: text/plain\nlog\nF\r\nshort',
  'truncated mid-line after a test start': T0 + 'test: a\nsucc',
  'last line without newline': T0 + 'test: abc\nsuccess: abc',
  'garbage and plain output':
    'hello world\n  indented: x\ntest:\n' +
    T0 +
    'success: nobody\ntest: a\ntest: b\nfailure: b\nfoo: bar\nsuccess: a\nbinary \xff\xfe line\n\n\ntrailing',
  'CRLF line ends':
    'time: 2026-11-28 14:36:21.5Z\r\ntags: w\r\ntest: a\r\nsuccess: a\r\ntest: b\r\nfailure: b [\r\nline\r\n]\n' +
    'test: c\r\nskip: c [\r\nreason\r\n]\r\n]\n',
  'progress lines': T0 + 'progress: 3\nprogress: +2\nprogress: push\ntest: a\nprogress: pop\nsuccess: a\n',
  'directive variants: no colon, double colon, tabs, extra spaces':
    T0 +
    'test a\nsuccess a\ntest:: b\nsuccess:: b\ntest:\tc\nsuccess:\tc\ntest:  d\nsuccess:  d\nsuccess: d\n',
  'unicode names and tags':
    T0 + 'tags: wörker ☃\ntest: tést[id-1,smoke]\nsuccess: tést[id-1,smoke] [\nÿ\n]\n',
  'hostile names':
    T0 +
    'test: __proto__\nsuccess: __proto__\ntest: constructor\nfailure: constructor [ multipart\nContent-Type: text/plain\n__proto__\n1\r\nx0\r\n]\n',
  'multipart: a bad size line makes the decoder wait, as the reference does':
    T0 + 'test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n3x\r\nzz\n]\ntest: b\nsuccess: b\n',
  'multipart: size collected over several waiting lines':
    T0 + 'test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n1x\nzz\n0\r\nabcdefghijkl0\r\n]\n',
  'lost connection during multipart header':
    T0 + 'test: a\nsuccess: a [ multipart\nContent-Type: text/plain\n',
};

/** Strings with \xNN written as Latin-1 bytes, everything else as UTF-8. */
function bytesOf(s: string): Uint8Array {
  return [...s].every((c) => c.charCodeAt(0) <= 0xff) && /[\x80-\xff]/.test(s)
    ? Uint8Array.from(s, (c) => c.charCodeAt(0))
    : enc(s);
}

function repoRuns(): { id: string; bytes: Uint8Array }[] {
  return readdirSync(REPO)
    .filter((f) => /^[0-9]+$/.test(f))
    .sort((a, b) => Number(a) - Number(b))
    .map((id) => ({ id, bytes: new Uint8Array(readFileSync(join(REPO, id))) }));
}

describe('V1Reader against the reference transcoding', () => {
  const runs = repoRuns();
  const names = Object.keys(CASES);
  const streams = [...runs.map((r) => r.bytes), ...names.map((n) => bytesOf(CASES[n] as string))];
  const oracle = runV1Oracle(streams);

  it('has the three example repository runs', () => {
    expect(runs.map((r) => r.id)).toEqual(['0', '1', '2']);
  });

  streams.forEach((bytes, k) => {
    const label =
      k < runs.length
        ? `repository run ${(runs[k] as { id: string }).id}`
        : (names[k - runs.length] as string);
    it(`gives the same tests: ${label}`, () => {
      const ref = oracle[k];
      expect(ref?.crashed).toBeNull();
      const ours = comparable(assembleV1([bytes]));
      expect(ours).toEqual({ tests: ref?.tests, output: ref?.output });
    });
  });

  it('counts what the samples README says for the repository runs', () => {
    const counts = runs.map((r) => {
      const t = assembleV1([r.bytes]).tests;
      const count = (s: string): number => t.filter((x) => x.status === s).length;
      return [t.length, count('skip'), count('xfail'), count('fail')];
    });
    expect(counts[0]).toEqual([660, 12, 2, 0]);
    expect([counts[1]?.[0], counts[1]?.[3]]).toEqual([93, 2]);
    expect([counts[2]?.[0], counts[2]?.[3]]).toEqual([188, 1]);
  });
});

describe('V1Reader against the original exporter output for the repository', () => {
  for (const id of ['0', '1', '2']) {
    it(`run ${id}: names, statuses, tags and timestamps follow raw.json`, () => {
      const dir = join(EXPECTED, `stestr-repo-run-${id}`);
      const rawFile = readdirSync(dir).find((f) => f.endsWith('-raw.json')) as string;
      const raw = JSON.parse(readFileSync(join(dir, rawFile), 'utf8')) as {
        name: string;
        status: string;
        tags: string[];
        timestamps: [string | null, string | null];
      }[];
      const tests = assembleV1([new Uint8Array(readFileSync(join(REPO, id)))]).tests;
      expect(tests.map((t) => cleanTestId(t.id).name)).toEqual(raw.map((r) => r.name));
      expect(tests.map((t) => t.status)).toEqual(raw.map((r) => r.status));
      expect(tests.map((t) => sortTagsLikePython([...t.tags]))).toEqual(
        raw.map((r) => sortTagsLikePython([...r.tags])),
      );
      expect(
        tests.map((t) => [
          t.startUs === null ? null : isoFromMicros(t.startUs),
          t.endUs === null ? null : isoFromMicros(t.endUs),
        ]),
      ).toEqual(raw.map((r) => r.timestamps));
    });
  }
});

describe('V1Reader streaming', () => {
  it('gives the same events however the input is split', () => {
    for (const text of Object.values(CASES)) {
      const bytes = bytesOf(text);
      const whole = v1Events([bytes]);
      const ones = v1Events(Array.from(bytes, (b) => Uint8Array.of(b)));
      expect(comparableEvents(ones)).toEqual(comparableEvents(whole));
      for (let cut = 0; cut <= bytes.length; cut++) {
        const split = v1Events([bytes.subarray(0, cut), bytes.subarray(cut)]);
        expect(comparableEvents(split)).toEqual(comparableEvents(whole));
      }
    }
  });

  it('counts the bytes it was given', () => {
    const events: SubunitEvent[] = [];
    const bytes = enc(CASES['every outcome, no details'] as string);
    const reader = new V1Reader({ event: (e) => events.push(e) });
    reader.push(bytes.subarray(0, 10));
    expect(reader.bytesRead).toBe(10);
    reader.push(bytes.subarray(10));
    reader.end();
    expect(reader.bytesRead).toBe(bytes.length);
    expect(events.length).toBe(14);
  });

  it('keeps attachment bytes as bytes (no text decoding), including CR, NUL and invalid UTF-8', () => {
    const body = Uint8Array.of(0, 0xff, 0x0d, 0x0a, 0xc3, 0x28, 0x5d, 0x0a);
    const head = enc(
      `${T0}test: a\nfailure: a [ multipart\nContent-Type: application/octet-stream\nbin\n8\r\n`,
    );
    const tail = enc('0\r\n]\n');
    const stream = new Uint8Array(head.length + body.length + tail.length);
    stream.set(head);
    stream.set(body, head.length);
    stream.set(tail, head.length + body.length);
    const t = assembleV1([stream]).tests[0];
    expect(t?.status).toBe('fail');
    expect(Buffer.concat(t?.attachments.get('bin')?.chunks ?? [])).toEqual(Buffer.from(body));
  });

  it('marks plain output lines as stdout with no test id, in order', () => {
    const out = assembleV1([enc('noise 1\ntest: a\nnoise 2\nsuccess: a\nnoise 3\n')]).output;
    expect(out.map((o) => [o.name, Buffer.concat(o.chunks).toString()])).toEqual([
      ['stdout', 'noise 1\nnoise 2\nnoise 3\n'],
    ]);
  });
});

describe('V1Reader on pathological input', () => {
  it('stays linear while the chunked decoder waits on a huge number of lines', () => {
    const lines = 'ffz\n'.repeat(300_000);
    const text = `${T0}test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n3x\r\n${lines}0\r\n${'y'.repeat(100)}\n]\n`;
    const started = performance.now();
    const { tests } = assembleV1([enc(text)]);
    // Generous bound: quadratic behaviour would take minutes here.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(tests.map((t) => [t.id, t.status])).toEqual([['a', 'fail']]);
  });
});

describe('parseV1Time', () => {
  const t = (s: string): number | null => parseV1Time(enc(s));
  it('truncates the fraction through a double as python does', () => {
    // float("0.746342") * 1e6 = 746341.9999999999 → 746341 in python.
    expect((t('2026-11-28 14:36:21.746342Z') as number) % 1e6).toBe(Math.trunc(0.746342 * 1e6));
    expect((t('2026-11-28 14:36:21.1234567Z') as number) % 1e6).toBe(123456);
  });
  it('applies zone offsets and defaults to UTC', () => {
    expect(t('1970-01-01 01:00:00+01:00')).toBe(0);
    expect(t('1970-01-01 00:00:01')).toBe(1e6);
    expect(t('1970-01-01T00:00:00-00:30')).toBe(1800e6);
    // A day or more: python parses it (and raises only when it stamps an event); the instant it names.
    expect(t('1970-01-04 09:00:00+81:00')).toBe(0);
    expect(t('1970-01-01 00:00:00-99:99')).toBe((99 * 60 + 99) * 60e6);
  });
  it('refuses what python-subunit cannot parse', () => {
    for (const bad of [
      '',
      'garbage',
      '2026-11-28',
      '2026-11-28 14:36',
      '2026-13-01 00:00:00Z',
      '2026-02-29 00:00:00Z',
      ' 2026-01-01 00:00:00Z',
      '0000-01-01 00:00:00Z',
      '2026-01-01 24:00:00Z',
    ]) {
      expect(t(bad), bad).toBeNull();
    }
  });
  it('handles years before 100 without the Date two-digit quirk', () => {
    expect(isoFromMicros(t('0099-03-04 05:06:07Z') as number)).toBe('0099-03-04T05:06:07+00:00');
  });
});

/** Events with hex bytes; adjacent plain-output events merged (how lines are grouped into events depends on chunks). */
function comparableEvents(events: readonly SubunitEvent[]): unknown[] {
  const out: (Omit<SubunitEvent, 'fileBytes'> & { fileBytes: string | null })[] = [];
  for (const e of events) {
    const hex = e.fileBytes === null ? null : Buffer.from(e.fileBytes).toString('hex');
    const prev = out[out.length - 1];
    if (e.testId === null && prev !== undefined && prev.testId === null && prev.fileName === e.fileName) {
      prev.fileBytes = `${prev.fileBytes ?? ''}${hex ?? ''}`;
    } else {
      out.push({ ...e, fileBytes: hex });
    }
  }
  return out;
}
