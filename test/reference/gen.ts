// Test helper: seeded generator of realistic and awkward subunit v2 streams, and the damage done to them.
import type { TestStatus } from '../../src/formats/subunit/events.js';
import type { PacketFields } from '../../src/formats/subunit/v2-encode.js';
import { encodePacket } from '../../src/formats/subunit/v2-encode.js';

/** mulberry32: small, fast, seeded; enough for reproducible test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenOptions {
  tests?: number;
  workers?: number;
  /** Leave out every timestamp. */
  noTimestamps?: boolean;
  /** Chance that a test never gets its final status. */
  unfinished?: number;
  /** Chance of runner output (with multi-byte UTF-8 and 0xB3 bytes) between two packets. */
  garbage?: number;
}

const FINAL: TestStatus[] = ['success', 'success', 'success', 'fail', 'skip', 'xfail', 'uxsuccess', 'exists'];
/** Text whose UTF-8 holds 0xB3 continuation bytes (″ = E2 80 B3, ³ = C2 B3) and a stray lead byte. */
const AWKWARD = ['plain output\n', 'x″y', '³', 'über ☃ 😀\n', '\u00b3\u2033', 'π≈3'];

/** A stream of tests from several interleaved workers, with chunked attachments and optional damage-free oddities. */
export function generateStream(seed: number, o: GenOptions = {}): Uint8Array {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const nTests = o.tests ?? 20;
  const workers = o.workers ?? 3;
  const parts: Uint8Array[] = [];
  let clock = 1_600_000_000;
  let nanos = 0;
  const ts = (): PacketFields['timestamp'] => {
    if (o.noTimestamps === true) return undefined;
    nanos += Math.floor(r() * 400_000_000);
    if (nanos >= 1e9) {
      clock += Math.floor(nanos / 1e9);
      nanos %= 1e9;
    }
    // Sometimes land exactly on a half microsecond to exercise the rounding.
    return { seconds: clock, nanos: r() < 0.2 ? nanos - (nanos % 1000) + 500 : nanos };
  };
  const emit = (f: PacketFields): void => {
    const fields: PacketFields = { ...f };
    const t = ts();
    if (t !== undefined && r() < 0.9) fields.timestamp = t;
    parts.push(encodePacket(fields));
    if (o.garbage !== undefined && r() < o.garbage) {
      const g = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(AWKWARD)).join('');
      const bytes = new TextEncoder().encode(g);
      // Now and then cut a character in half, leaving a pending lead byte before the next packet.
      parts.push(r() < 0.2 ? bytes.subarray(0, bytes.length - 1) : bytes);
    }
  };
  // Per worker, a queue of pending steps; the workers' steps interleave at random.
  const queues: PacketFields[][] = Array.from({ length: workers }, () => []);
  for (let k = 0; k < nTests; k++) {
    const w = k % workers;
    const tag = `worker-${w}`;
    const id =
      r() < 0.1
        ? pick(['__proto__', 'constructor', '<script>alert(1)</script>', 'setUpClass (a.B)', ''])
        : `tempest.api.mod${k % 7}.test_x.T.test_${k}[id-${seed}-${k},smoke]`;
    const routeCode = r() < 0.1 ? `${w}` : undefined;
    const q = queues[w] as PacketFields[];
    const base: PacketFields = routeCode === undefined ? { testId: id } : { testId: id, routeCode };
    q.push({ ...base, status: 'inprogress', tags: [tag], runnable: true });
    const nChunks = Math.floor(r() * 4);
    const fileName = pick(["pythonlogging:''", 'traceback', 'reason', '__proto__']);
    for (let c = 0; c < nChunks; c++) {
      const len = r() < 0.2 ? 0 : Math.floor(r() * 300);
      const body =
        len === 0
          ? new Uint8Array(0)
          : new TextEncoder().encode(`chunk ${c} of ${id} ${'é'.repeat(len % 5)}`.padEnd(len, '.'));
      const f: PacketFields = { ...base, fileName, fileBytes: body };
      // Only some packets carry a MIME type, and not always the first: the first one counts.
      if (r() < 0.6) f.mimeType = c === 0 ? 'text/plain;charset=utf8' : 'text/x-other';
      if (c === nChunks - 1) f.eof = true;
      q.push(f);
    }
    if (o.unfinished === undefined || r() >= o.unfinished) {
      const fin: PacketFields = { ...base, status: pick(FINAL) };
      if (r() < 0.5) fin.tags = r() < 0.2 ? [] : [tag, 'smoke', tag];
      q.push(fin);
    }
  }
  // Top-level attachments (no test id) now and then.
  if (r() < 0.5)
    parts.push(encodePacket({ fileName: 'stdout', fileBytes: new TextEncoder().encode('top\n') }));
  for (;;) {
    const live = queues.filter((q) => q.length > 0);
    if (live.length === 0) break;
    emit(pick(live).shift() as PacketFields);
  }
  return new Uint8Array(Buffer.concat(parts));
}

export type Damage = 'truncate' | 'flip' | 'splice' | 'insert' | 'delete';

/** Damage a stream the way disks, killed workers and chatty runners do. */
export function damage(stream: Uint8Array, seed: number, kind: Damage): Uint8Array {
  const r = rng(seed);
  const at = Math.floor(r() * (stream.length + 1));
  const b = Buffer.from(stream);
  switch (kind) {
    case 'truncate':
      return new Uint8Array(b.subarray(0, at));
    case 'flip': {
      const out = Buffer.from(b);
      const n = 1 + Math.floor(r() * 3);
      for (let k = 0; k < n && out.length > 0; k++) {
        const p = Math.floor(r() * out.length);
        out[p] = (out[p] as number) ^ (1 << Math.floor(r() * 8));
      }
      return new Uint8Array(out);
    }
    case 'splice': {
      // The start of the stream, then a piece from somewhere else (a worker's write cut short).
      const from = Math.floor(r() * stream.length);
      return new Uint8Array(Buffer.concat([b.subarray(0, at), b.subarray(from)]));
    }
    case 'insert': {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 20) }, () => Math.floor(r() * 256)));
      return new Uint8Array(Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]));
    }
    case 'delete': {
      const n = 1 + Math.floor(r() * 10);
      return new Uint8Array(Buffer.concat([b.subarray(0, at), b.subarray(at + n)]));
    }
  }
}
