// Format detection: v1/v2 from the first bytes, and AutoReader giving the same events as the right reader.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoReader, claimedLength, createReader, DETECT_WINDOW, detectVersion } from './detect.js';
import type { StreamReader, SubunitEvent } from './events.js';
import { V1Reader } from './v1.js';
import { V2Reader } from './v2.js';

const ROOT = join(import.meta.dirname, '../../..');
const STREAMS = join(ROOT, 'test/fixtures/streams');
const REPO = join(ROOT, 'examples/stestr-repo/.stestr');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

const v2Samples = readdirSync(STREAMS).map((f) => new Uint8Array(readFileSync(join(STREAMS, f))));
const v1Runs = ['0', '1', '2'].map((f) => new Uint8Array(readFileSync(join(REPO, f))));

function collect(
  make: (sink: { event(e: SubunitEvent): void }) => StreamReader,
  chunks: Uint8Array[],
): unknown[] {
  const events: unknown[] = [];
  const reader = make({
    event: (e) => events.push({ ...e, fileBytes: e.fileBytes && Buffer.from(e.fileBytes).toString('hex') }),
  });
  for (const c of chunks) reader.push(c);
  reader.end();
  return events;
}

describe('detectVersion', () => {
  it('sees v2 in every sample stream and v1 in every stored stestr run', () => {
    expect(v2Samples.length).toBeGreaterThan(3);
    for (const s of v2Samples) expect(detectVersion(s)).toBe('v2');
    for (const s of v1Runs) expect(detectVersion(s)).toBe('v1');
  });

  it('looks past a leading banner for either version', () => {
    const banner = enc('Running tests...\nsome runner output\n');
    expect(detectVersion(cat(banner, v2Samples[0] as Uint8Array))).toBe('v2');
    expect(detectVersion(cat(banner, v1Runs[1] as Uint8Array))).toBe('v1');
  });

  it('does not take a 0xB3 inside a UTF-8 character for a packet', () => {
    // "³ " is C2 B3 20: a 0xB3 followed by a version-2-looking byte, but mid-character.
    expect(detectVersion(enc('x³ y\ntest: a\nsuccess: a\n'))).toBe('v1');
  });

  it('wants a directive word at a line start followed by text', () => {
    expect(detectVersion(enc('time: 2026-01-01 00:00:00Z\n'))).toBe('v1');
    expect(detectVersion(enc('successful\tfoo\n'))).toBe('v1');
    expect(detectVersion(enc('a test: b\n'))).toBeNull();
    expect(detectVersion(enc('test:\n'))).toBeNull();
    expect(detectVersion(enc('testx: a\n'))).toBeNull();
    expect(detectVersion(Uint8Array.of(0xb3))).toBeNull();
    expect(detectVersion(new Uint8Array(0))).toBeNull();
  });

  it('only looks at the first DETECT_WINDOW bytes', () => {
    const filler = enc('.'.repeat(DETECT_WINDOW - 1) + '\n');
    expect(detectVersion(cat(filler, enc('test: a\n')))).toBeNull();
  });
});

describe('createReader and AutoReader', () => {
  it('createReader picks the reader by the first bytes (v2 when nothing shows)', () => {
    const sink = { event: () => undefined };
    expect(createReader(v1Runs[0] as Uint8Array, sink)).toBeInstanceOf(V1Reader);
    expect(createReader(v2Samples[0] as Uint8Array, sink)).toBeInstanceOf(V2Reader);
    expect(createReader(new Uint8Array(0), sink)).toBeInstanceOf(V2Reader);
  });

  it('AutoReader gives exactly the chosen reader’s events, whole or byte by byte', () => {
    const cases: [Uint8Array, 'v1' | 'v2'][] = [
      ...v2Samples.map((s): [Uint8Array, 'v2'] => [s, 'v2']),
      ...v1Runs.slice(1).map((s): [Uint8Array, 'v1'] => [s, 'v1']),
      [cat(enc('banner\n'), v1Runs[2] as Uint8Array), 'v1'],
    ];
    for (const [bytes, v] of cases) {
      const want = collect((sink) => (v === 'v1' ? new V1Reader(sink) : new V2Reader(sink)), [bytes]);
      const auto = new AutoReader({ event: () => undefined });
      auto.push(bytes);
      auto.end();
      expect(auto.version).toBe(v);
      expect(collect((sink) => new AutoReader(sink), [bytes])).toEqual(want);
      const head = Array.from(bytes.subarray(0, 300), (b) => Uint8Array.of(b));
      expect(collect((sink) => new AutoReader(sink), [...head, bytes.subarray(300)])).toEqual(want);
    }
  });

  it('AutoReader decides at the end for short streams and counts bytes', () => {
    const sink = { event: () => undefined };
    const r = new AutoReader(sink);
    r.push(enc('te'));
    expect(r.version).toBeNull();
    r.push(enc('st: a'));
    // A v1 directive waits for the window's end (or the stream's): a valid v2 packet may still follow.
    expect(r.version).toBeNull();
    r.end();
    expect(r.version).toBe('v1');
    expect(r.bytesRead).toBe(7);
    const plain = new AutoReader(sink);
    plain.push(enc('just text'));
    plain.end();
    expect(plain.version).toBe('v2');
  });
});

describe('a v2 stream behind a line that looks like v1', () => {
  const banners = [
    'error: could not load plugin foo\n',
    'tags: worker-0\n',
    'test: not really\nsuccess: x\n',
  ];
  const stream = v2Samples.find((s) => s.length > 100) as Uint8Array;

  it('is v2 when a whole packet with a good CRC follows in the window, whole or a byte at a time', () => {
    for (const banner of banners) {
      const bytes = cat(enc(banner), stream);
      expect(detectVersion(bytes), banner).toBe('v2');
      const r = new AutoReader({ event: () => undefined });
      for (const x of bytes.subarray(0, 4096)) r.push(Uint8Array.of(x));
      expect(r.version, banner).toBe('v2');
    }
  });

  it('stays v1 when what follows only looks like a packet (bad CRC), and for real v1 runs', () => {
    const fake = cat(
      enc('test: a\n'),
      Uint8Array.of(0xb3, 0x29, 0x01, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8),
      enc('\nsuccess: a\n'),
    );
    expect(detectVersion(fake)).toBe('v1');
    for (const run of v1Runs) expect(detectVersion(run)).toBe('v1');
  });
});

describe('claimedLength', () => {
  it('reads the three length forms, and no length a packet with a CRC cannot have', () => {
    expect(claimedLength(0x0c, 0, 0)).toBe(12);
    expect(claimedLength(0x41, 0x02, 0)).toBe(258);
    expect(claimedLength(0x81, 0x00, 0x10)).toBe(65_552);
    expect(claimedLength(0x07, 0, 0)).toBe(-1);
    expect(claimedLength(0x80, 0, 0x09)).toBe(-1);
    expect(claimedLength(0xc0, 0, 0)).toBe(-1);
  });
});
