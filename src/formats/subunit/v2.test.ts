// Unit tests of the v2 decoder on packets built by the encoder: fields, sizes, chunking, damage, UTF-8 tracking.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { SubunitEvent, TestStatus } from './events.js';
import { STATUS_BY_CODE } from './events.js';
import { PARSER_TEST_ID, PyUtf8Tracker, V2Reader, nanosToMicros } from './v2.js';
import type { PacketFields } from './v2-encode.js';
import { MAX_PACKET_LENGTH, encodePacket, encodeVarint, withCrc } from './v2-encode.js';

function decode(chunks: Iterable<Uint8Array>, nonSubunitName?: string): SubunitEvent[] {
  const events: SubunitEvent[] = [];
  const reader = new V2Reader(
    { event: (e) => events.push(e) },
    nonSubunitName === undefined ? {} : { nonSubunitName },
  );
  for (const c of chunks) reader.push(c);
  reader.end();
  return events;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('latin1'));

/** What a decoded event must look like for the fields the encoder was given. */
function expected(f: PacketFields): SubunitEvent {
  return {
    testId: f.testId ?? null,
    routeCode: f.routeCode ?? null,
    status: f.status ?? null,
    timestampUs:
      f.timestamp === undefined ? null : f.timestamp.seconds * 1e6 + nanosToMicros(f.timestamp.nanos),
    tags: f.tags === undefined ? null : [...new Set(f.tags)],
    runnable: f.runnable === true,
    mimeType: f.mimeType ?? null,
    fileName: f.fileName ?? null,
    fileBytes: f.fileName === undefined ? null : (f.fileBytes ?? new Uint8Array(0)),
    eof: f.eof === true,
  };
}

/** Events with byte arrays as latin1 strings, so toEqual compares content whatever the view. */
function plain(e: SubunitEvent): Record<string, unknown> {
  return { ...e, fileBytes: str(e.fileBytes) };
}

function parserError(events: SubunitEvent[], at = 0): { data: Uint8Array; reason: string } {
  const a = events[at] as SubunitEvent;
  const b = events[at + 1] as SubunitEvent;
  expect(a.testId).toBe(PARSER_TEST_ID);
  expect(a.fileName).toBe('Packet data');
  expect(a.mimeType).toBe('application/octet-stream');
  expect(a.status).toBeNull();
  expect(a.eof).toBe(true);
  expect(b.testId).toBe(PARSER_TEST_ID);
  expect(b.fileName).toBe('Parser Error');
  expect(b.mimeType).toBe('text/plain;charset=utf8');
  expect(b.status).toBe('fail');
  return { data: a.fileBytes as Uint8Array, reason: new TextDecoder().decode(b.fileBytes as Uint8Array) };
}

const ALL_STATUSES = STATUS_BY_CODE.filter((s): s is TestStatus => s !== null);

describe('fields and flags', () => {
  test('every status, with and without each boolean flag', () => {
    for (const status of [undefined, ...ALL_STATUSES]) {
      for (const runnable of [false, true]) {
        for (const eof of [false, true]) {
          const f: PacketFields = { testId: 'a.b.c', status, runnable, eof };
          const events = decode([encodePacket(f)]);
          expect(events.map(plain)).toEqual([plain(expected(f))]);
        }
      }
    }
  });

  test('every combination of the optional fields', () => {
    const all: PacketFields = {
      timestamp: { seconds: 1538102795, nanos: 626800123 },
      testId: 'tempest.api.compute.test_x.T.test_y[id-1,smoke]',
      tags: ['worker-0', 'smoke', 'worker-0'],
      mimeType: 'text/plain;charset=utf8',
      fileName: "pythonlogging:''",
      fileBytes: text('line one\nline two ☃\n'),
      routeCode: '0/1',
    };
    const keys = Object.keys(all) as (keyof PacketFields)[];
    let combos = 0;
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      const f: Record<string, unknown> = {};
      keys.forEach((k, bit) => {
        if (mask & (1 << bit)) f[k] = all[k];
      });
      // fileBytes without fileName is not a packet field of its own.
      if (f['fileBytes'] !== undefined && f['fileName'] === undefined) continue;
      const fields = f as PacketFields;
      const events = decode([encodePacket(fields)]);
      expect(events.map(plain)).toEqual([plain(expected(fields))]);
      combos++;
    }
    expect(combos).toBe(96);
  });

  test('an empty tag set is kept as an empty set, not as "no tags"', () => {
    const [e] = decode([encodePacket({ testId: 'x', tags: [] })]);
    expect(e?.tags).toEqual([]);
  });

  test('strings are data: BOM, astral characters and prototype names survive', () => {
    const f: PacketFields = { testId: '\ufeff__proto__ 😀', tags: ['constructor'], routeCode: '<script>' };
    expect(decode([encodePacket(f)]).map(plain)).toEqual([plain(expected(f))]);
  });
});

describe('numbers and lengths', () => {
  test.each([0, 63, 64, 16383, 16384, 4194303, 4194304, 0x3fffffff])('varint %i round-trips', (v) => {
    const bytes = encodeVarint(v);
    expect(bytes.length).toBe(v < 64 ? 1 : v < 16384 ? 2 : v < 4194304 ? 3 : 4);
    // As timestamp nanoseconds (the one field that may use 4 bytes), with the µs conversion applied.
    const f: PacketFields = { testId: 't', timestamp: { seconds: 7, nanos: v } };
    const [e] = decode([encodePacket(f)]);
    expect(e?.timestampUs).toBe(7e6 + nanosToMicros(v));
  });

  test.each([63, 64, 16383, 16384, 4194200])('string of %i bytes round-trips', (n) => {
    const id = 'x'.repeat(n);
    const [e] = decode([encodePacket({ testId: id })]);
    expect(e?.testId).toBe(id);
  });

  test('packet length field takes 1, 2 or 3 bytes at the boundaries, up to the maximum', () => {
    // Packet length = 1 + 2 + L + 4 + body; a file field with an empty name: 1 + varint(n) + n bytes.
    const sizes = new Set<number>();
    let longest = 0;
    for (const n of [0, 40, 60, 16300, 16360, 16380, 4194200, 4194289]) {
      const p = encodePacket({ fileName: '', fileBytes: new Uint8Array(n).fill(0x61) });
      const lenSize = ((p[3] as number) >> 6) + 1;
      sizes.add(lenSize);
      expect(p.length).toBeLessThanOrEqual(MAX_PACKET_LENGTH);
      expect(lenSize).toBe(p.length < 64 ? 1 : p.length < 16384 ? 2 : 3);
      const [e] = decode([p]);
      expect(e?.fileBytes?.length).toBe(n);
      longest = Math.max(longest, p.length);
    }
    expect([...sizes].sort()).toEqual([1, 2, 3]);
    expect(longest).toBe(MAX_PACKET_LENGTH);
    expect(() => encodePacket({ fileName: '', fileBytes: new Uint8Array(4194290) })).toThrow(RangeError);
  });

  test('timestamps round nanoseconds half to even like Python', () => {
    const cases: [number, number][] = [
      [123456789, 123457],
      [999999999, 1000000],
      [500, 0],
      [1500, 2],
      [2500, 2],
      [499, 0],
      [501, 1],
      [0, 0],
    ];
    for (const [nanos, micros] of cases) {
      const [e] = decode([encodePacket({ testId: 't', timestamp: { seconds: 1000, nanos } })]);
      expect(e?.timestampUs).toBe(1000 * 1e6 + micros);
    }
    const [max] = decode([encodePacket({ testId: 't', timestamp: { seconds: 0xffffffff, nanos: 0 } })]);
    expect(max?.timestampUs).toBe(0xffffffff * 1e6);
  });
});

describe('chunking', () => {
  const packets = [
    encodePacket({ testId: 'a', status: 'inprogress', timestamp: { seconds: 10, nanos: 5 } }),
    encodePacket({ testId: 'a', fileName: 'log', fileBytes: text('x'.repeat(300)), mimeType: 'text/plain' }),
    encodePacket({
      testId: 'a',
      status: 'success',
      tags: ['worker-1'],
      timestamp: { seconds: 11, nanos: 0 },
    }),
  ];
  const stream = concat(text('hello\n'), ...packets, text('bye'));
  const whole = decode([stream]).map(plain);
  // Twice over, so that strings seen before (cached by the decoder) come back.
  const twice = concat(stream, stream);
  const wholeTwice = decode([twice]).map(plain);

  test('many packets in one chunk', () => {
    expect(whole.map((e) => e['testId'])).toEqual([null, 'a', 'a', 'a', null]);
    expect(whole[0]?.['fileBytes']).toBe('hello\n');
    expect(whole[4]?.['fileBytes']).toBe('bye');
  });

  test('split into two chunks at every byte offset', () => {
    for (let k = 0; k <= stream.length; k++) {
      const events = decode([stream.subarray(0, k), stream.subarray(k)]).map(plain);
      // Non-packet text may arrive in two pieces when the split falls inside it; join before comparing.
      expect(mergeText(events)).toEqual(whole);
    }
  });

  test('one byte at a time, and a reader that reuses its chunk buffer', () => {
    const one = Array.from(stream, (b) => Uint8Array.of(b));
    expect(mergeText(decode(one).map(plain))).toEqual(whole);
    // The same scratch buffer for every chunk (a Uint8Array, and a Node Buffer whose slice() is a view):
    // decoded bytes and cached strings must not change under our feet.
    for (const scratch of [new Uint8Array(7), Buffer.alloc(7)]) {
      const events: SubunitEvent[] = [];
      const reader = new V2Reader({ event: (e) => events.push(e) });
      for (let k = 0; k < twice.length; k += 7) {
        const n = Math.min(7, twice.length - k);
        scratch.set(twice.subarray(k, k + n));
        reader.push(scratch.subarray(0, n));
        scratch.fill(0x41);
      }
      reader.end();
      expect(mergeText(events.map(plain))).toEqual(wholeTwice);
    }
    // Whole packets inside one reused Buffer take the in-place path.
    const big = Buffer.alloc(twice.length);
    const events: SubunitEvent[] = [];
    const reader = new V2Reader({ event: (e) => events.push(e) });
    big.set(twice);
    reader.push(big);
    big.fill(0x41);
    reader.end();
    expect(mergeText(events.map(plain))).toEqual(wholeTwice);
  });

  test('bytesRead counts what was pushed', () => {
    const reader = new V2Reader({ event: () => undefined });
    reader.push(stream.subarray(0, 10));
    expect(reader.bytesRead).toBe(10);
    reader.push(stream.subarray(10));
    expect(reader.bytesRead).toBe(stream.length);
  });
});

/** Join consecutive non-packet events (they may be split where chunks split) for comparison. */
function mergeText(events: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e['testId'] === null && last !== undefined && last['testId'] === null) {
      last['fileBytes'] = String(last['fileBytes']) + String(e['fileBytes']);
    } else {
      out.push({ ...e });
    }
  }
  return out;
}

describe('non-subunit bytes', () => {
  test('text between packets becomes file events named by nonSubunitName, no MIME type', () => {
    const p = encodePacket({ testId: 't', status: 'success' });
    const events = decode([concat(text('before\n'), p, text('after'))], 'runner-output');
    expect(events.map(plain)).toEqual([
      {
        testId: null,
        routeCode: null,
        status: null,
        timestampUs: null,
        tags: null,
        runnable: true,
        mimeType: null,
        fileName: 'runner-output',
        fileBytes: 'before\n',
        eof: false,
      },
      plain(expected({ testId: 't', status: 'success' })),
      expect.objectContaining({ fileName: 'runner-output', fileBytes: 'after' }),
    ]);
    expect(events[0]?.fileName).toBe('runner-output');
  });

  test('0xB3 inside a UTF-8 character is text, not a packet start', () => {
    // U+2033 is E2 80 B3 and U+00B3 is C2 B3: their 0xB3 continuation bytes must not start packets.
    const p = encodePacket({ testId: 't', status: 'success' });
    const events = decode([concat(text('x″y³'), p)]);
    expect(events.map((e) => e.testId)).toEqual([null, 't']);
    expect(new TextDecoder().decode(events[0]?.fileBytes as Uint8Array)).toBe('x″y³');
  });

  test('an invalid byte does not reset the pending character (CPython keeps its buffer)', () => {
    // E2 then 'A' raises but E2 stays pending; 80 then makes E2 80 pending, so the B3 completes U+2033.
    const events = decode([Uint8Array.of(0xe2, 0x41, 0x80, 0xb3, 0x42)]);
    expect(events.length).toBe(1);
    expect(events[0]?.testId).toBeNull();
    // Without the pending 80, the B3 after an error starts a packet (here a short read).
    const events2 = decode([Uint8Array.of(0xe2, 0x41, 0xb3, 0x42)]);
    expect(events2.map((e) => e.testId)).toEqual([null, PARSER_TEST_ID, PARSER_TEST_ID]);
  });

  test('long runs are handed on in pieces of 1 MiB', () => {
    const big = new Uint8Array(2 * 1048576 + 10).fill(0x2e);
    const events = decode([big.subarray(0, 100_000), big.subarray(100_000)]);
    expect(events.map((e) => e.fileBytes?.length)).toEqual([1048576, 1048576, 10]);
  });

  test('the tracker agrees with CPython on every reachable pending state (2 bytes; UTF8_TABLE_DEPTH=3 for all)', () => {
    const script = fileURLToPath(new URL('../../../test/reference/utf8_table.py', import.meta.url));
    const r = spawnSync('/usr/bin/python3', [script, process.env['UTF8_TABLE_DEPTH'] ?? '2'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(r.status).toBe(0);
    const table = JSON.parse(r.stdout) as Record<string, string>;
    let checked = 0;
    const mismatches: string[] = [];
    for (const [hex, row] of Object.entries(table)) {
      const state = Buffer.from(hex, 'hex');
      for (let b = 0; b < 256; b++) {
        const t = new PyUtf8Tracker();
        let reached = true;
        for (const s of state) reached = t.step(s) === 1 && reached;
        const got = reached ? 'cpe'[t.step(b)] : 'unreachable';
        // Per byte expect() calls would take seconds here; collect and compare once.
        if (got !== row[b]) mismatches.push(`${hex}+${b.toString(16)}: ${String(got)} vs ${String(row[b])}`);
        checked++;
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(200_000);
  });
});

describe('damage', () => {
  const good = encodePacket({ testId: 'next', status: 'success' });

  test('bad CRC: two parser events with the packet and the reason, then reading goes on', () => {
    const p = encodePacket({ testId: 'x', status: 'fail' });
    const bad = p.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    const events = decode([concat(good, bad, good)]);
    expect(events.length).toBe(4);
    const { data, reason } = parserError(events, 1);
    expect(str(data)).toBe(str(bad));
    const stored = Buffer.from(bad).readUInt32BE(bad.length - 4);
    const calc = Buffer.from(p).readUInt32BE(p.length - 4);
    expect(reason).toBe(
      `Bad checksum - calculated (0x${calc.toString(16)}), stored (0x${stored.toString(16)}) at byte ${good.length}`,
    );
    expect(events[3]?.testId).toBe('next');
  });

  test('a 4-byte length field is refused after the 6 header bytes', () => {
    const p = Uint8Array.of(0xb3, 0x20, 0x00, 0xc0, 0x00, 0x00, 0x10);
    const events = decode([concat(p, good)]);
    const { data, reason } = parserError(events);
    expect(reason).toBe('3 byte maximum given but 4 byte value found. at byte 0');
    expect(data.length).toBe(6);
    // The byte after the 6 header bytes is text, then the good packet decodes.
    expect(events.slice(2).map((e) => e.testId)).toEqual([null, 'next']);
  });

  test('a length below the minimum is reported and skipped', () => {
    const events = decode([concat(Uint8Array.of(0xb3, 0x20, 0x00, 0x03, 0x00, 0x00), good)]);
    expect(parserError(events).reason).toBe('Packet length 3 is less than the minimum of 6 bytes at byte 0');
    expect(events[2]?.testId).toBe('next');
  });

  test('a length of 5: a short read at the very end (as the reference), else below the minimum', () => {
    const five = Uint8Array.of(0xb3, 0x20, 0x00, 0x05, 0x00, 0x00);
    expect(parserError(decode([concat(good, five)]), 1).reason).toBe(
      `Short read - got 0 bytes, wanted -1 bytes at byte ${good.length}`,
    );
    const events = decode([five, new Uint8Array(0), good]);
    expect(parserError(events).reason).toBe('Packet length 5 is less than the minimum of 6 bytes at byte 0');
    expect(events[2]?.testId).toBe('next');
  });

  test('a length that is too long swallows what follows (bad checksum)', () => {
    const p = encodePacket({ testId: 'x', status: 'fail' }).slice();
    p[3] = (p[3] as number) + 4;
    // The rest of the swallowed packet is text; a newline ends any character it left pending.
    const events = decode([concat(p, good, text('\n'), good)]);
    expect(parserError(events).reason).toMatch(/^Bad checksum .* at byte 0$/);
    expect(events.slice(2).map((e) => e.testId)).toEqual([null, 'next']);
  });

  test('short reads: inside the header and inside the body', () => {
    const p = encodePacket({ testId: 'abcdef', status: 'fail' });
    let e = decode([concat(good, p.subarray(0, 4))]);
    let r = parserError(e, 1);
    expect(r.reason).toBe(`Short read - got 3 bytes, wanted 5 bytes at byte ${good.length}`);
    expect(str(r.data)).toBe('\xb3');
    e = decode([p.subarray(0, 10)]);
    r = parserError(e);
    expect(r.reason).toBe(`Short read - got 4 bytes, wanted ${p.length - 6} bytes at byte 0`);
    expect(str(r.data)).toBe(str(p.subarray(0, 6)));
  });

  const field = (bytes: number[]): Uint8Array =>
    // flags: version 2 + test id; 1-byte length; the string field as given; correct CRC.
    withCrc(Uint8Array.of(0xb3, 0x28, 0x00, 4 + bytes.length + 4, ...bytes));

  test.each([
    [[3, 0x61, 0xff, 0x62], 'UTF8 string at offset 2 is not UTF8'],
    [[3, 0x61, 0xed, 0xa0], 'Invalid (partially decodable) string at offset 2, 2 undecoded bytes'],
    [[2, 0x61, 0xe2], 'Invalid (partially decodable) string at offset 2, 1 undecoded bytes'],
    [[3, 0xed, 0xa0, 0x80], 'UTF8 string at offset 2 is not UTF8'],
    [[2, 0x61, 0x00], 'UTF8 string at offset 2 contains NUL byte'],
    [[9, 0x61], 'UTF8 string at offset 2 extends past end of packet: claimed 9 bytes, 1 available'],
  ])('string field %j → %s', (bytes, reason) => {
    const events = decode([field(bytes)]);
    expect(events.length).toBe(2);
    expect(parserError(events).reason).toBe(`${reason} at byte 0`);
  });

  test('file content and numbers past the packet end', () => {
    // file flag: name '' then a length of 50 with 2 bytes present.
    const file = withCrc(Uint8Array.of(0xb3, 0x20, 0x40, 4 + 4 + 4, 0, 50, 0x61, 0x62));
    expect(parserError(decode([file])).reason).toBe(
      'File content extends past end of packet: claimed 50 bytes, 2 available at byte 0',
    );
    // test id flag with no bytes left for its length: python-subunit crashes here, we report it.
    const num = withCrc(Uint8Array.of(0xb3, 0x28, 0x00, 8));
    expect(parserError(decode([num])).reason).toBe('Number at offset 3 extends past end of packet at byte 0');
  });

  test('random bytes never throw', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let k = 0; k < 200; k++) {
      const bytes = Uint8Array.from({ length: 1 + (rnd() << 2) }, () => (rnd() < 60 ? 0xb3 : rnd()));
      expect(() => decode([bytes])).not.toThrow();
    }
  });
});

describe('reuseEvents', () => {
  test('one object filled in per packet, with the values a new object would have had', () => {
    const stream = concat(
      encodePacket({
        testId: 'a',
        status: 'inprogress',
        tags: ['worker-0'],
        timestamp: { seconds: 5, nanos: 0 },
      }),
      encodePacket({ testId: 'a', fileName: 'log', mimeType: 'text/plain', fileBytes: Uint8Array.of(65) }),
      new TextEncoder().encode('not a packet\n'),
      Uint8Array.of(0xb3, 0x20, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8),
      encodePacket({ testId: 'a', status: 'success', routeCode: '0', eof: true }),
    );
    const copies: SubunitEvent[] = [];
    const objects = new Set<SubunitEvent>();
    const reader = new V2Reader(
      {
        event: (e) => {
          objects.add(e);
          copies.push({ ...e });
        },
      },
      { reuseEvents: true },
    );
    reader.push(stream);
    reader.end();
    expect(copies).toEqual(decode([stream]));
    // The three packets share one object; the text and the damage are events of their own.
    expect(copies.length).toBe(6);
    expect(objects.size).toBe(4);
  });
});

describe('the decoded-string cache', () => {
  test('tells apart ids that share a slot (they differ only in bytes the slot does not look at)', () => {
    const ids = Array.from(
      { length: 60 },
      (_, i) => `${'abcde'[i % 5] as string}${'vw'[i % 2] as string}.same.middle.part.test_x`,
    );
    const packets = ids.map((testId, i) =>
      encodePacket({ testId, status: i % 3 === 0 ? 'inprogress' : 'success' }),
    );
    const seen: (string | null)[] = [];
    const r = new V2Reader({ event: (e: SubunitEvent) => void seen.push(e.testId) });
    for (const p of packets) r.push(p);
    r.end();
    expect(seen).toEqual(ids);
  });
});
