// Test helper: seeded damage of real streams, read by us (as the exporter reads) and by python-subunit, compared.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoReader, type SubunitVersion } from '../../src/formats/subunit/detect.js';
import { TestAssembler } from '../../src/model/assemble.js';
import { cleanTestId } from '../../src/model/names.js';
import { rng } from './gen.js';
import { runPythonOver } from './oracle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./fuzz_reference.py', import.meta.url));

export interface Source {
  name: string;
  bytes: Uint8Array;
}

/**
 * The real streams: the fixtures (v2, by producer), the shared samples when that folder is there (its
 * streams that are byte for byte a fixture are left out), and the runs of the example stestr repository
 * (subunit v1, as stestr stores them).
 */
export function realStreams(): Source[] {
  const out: Source[] = [];
  const seen = new Set<string>();
  const add = (name: string, path: string): void => {
    const bytes = new Uint8Array(readFileSync(path));
    const key = Buffer.from(bytes).toString('base64');
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ name, bytes });
  };
  const fromDir = (dir: string, label: string, keep: (n: string) => boolean): void => {
    for (const n of readdirSync(dir).filter(keep).sort()) add(`${label}/${n}`, join(dir, n));
  };
  fromDir(join(ROOT, 'test/fixtures/streams'), 'fixtures', (n) => n.endsWith('.subunit'));
  const shared = join(ROOT, '../shared/samples/streams');
  if (existsSync(shared)) fromDir(shared, 'shared', (n) => n.endsWith('.subunit'));
  fromDir(join(ROOT, 'examples/stestr-repo/.stestr'), 'stestr-repo', (n) => /^\d+$/.test(n));
  return out;
}

/** One damaged stream and how it was made (enough to make it again by hand). */
export interface Case {
  seed: number;
  index: number;
  source: string;
  mutation: string;
  bytes: Uint8Array;
}

const KINDS = ['duplicate', 'insert', 'delete', 'splice', 'truncate', 'flip'] as const;

/** The seed of case `index` of run `seed`: each case can be made again on its own. */
function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(index, 0x85ebca6b) + 0x27d4eb2f) >>> 0;
}

/**
 * Where a mutation starts: anywhere, or (half the time) near where a packet or a line starts, a few bytes
 * before or after it, so that headers, lengths, statuses and directive words are hit often.
 */
function position(bytes: Uint8Array, r: () => number): number {
  const any = Math.floor(r() * (bytes.length + 1));
  if (r() < 0.5 || bytes.length === 0) return any;
  let k = any;
  while (k < bytes.length && bytes[k] !== 0xb3 && bytes[k] !== 0x0a) k++;
  if (bytes[k] === 0x0a) k++;
  return Math.max(0, Math.min(bytes.length, k + Math.floor(r() * 12) - 4));
}

/** Case `index` of run `seed`: one mutation of a real stream, or (one case in four) two in a row. */
export function makeCase(sources: readonly Source[], seed: number, index: number): Case {
  const r = rng(caseSeed(seed, index));
  const int = (n: number): number => Math.floor(r() * n);
  const src = sources[int(sources.length)] as Source;
  let bytes = src.bytes;
  const steps: string[] = [];
  const rounds = r() < 0.25 ? 2 : 1;
  for (let k = 0; k < rounds; k++) {
    const kind = KINDS[int(KINDS.length)] as (typeof KINDS)[number];
    const at = position(bytes, r);
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    switch (kind) {
      case 'duplicate': {
        // A range written twice (a retried write): often whole packets, final statuses among them.
        const n = 1 + int(4096);
        const end = Math.min(bytes.length, at + n);
        bytes = new Uint8Array(Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]));
        steps.push(`duplicate [${at}, ${end})`);
        break;
      }
      case 'insert': {
        const junk = Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)));
        bytes = new Uint8Array(Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]));
        steps.push(`insert ${junk.length} bytes ${junk.toString('hex')} at ${at}`);
        break;
      }
      case 'delete': {
        const end = Math.min(b.length, at + 1 + int(2048));
        bytes = new Uint8Array(Buffer.concat([b.subarray(0, at), b.subarray(end)]));
        steps.push(`delete [${at}, ${end})`);
        break;
      }
      case 'splice': {
        // This stream up to `at`, then another (or the same) from somewhere on: a writer cut short.
        const other = sources[int(sources.length)] as Source;
        const from = int(other.bytes.length);
        bytes = new Uint8Array(Buffer.concat([b.subarray(0, at), other.bytes.subarray(from)]));
        steps.push(`splice [0, ${at}) + ${other.name} [${from}, end)`);
        break;
      }
      case 'truncate':
        bytes = new Uint8Array(b.subarray(0, at));
        steps.push(`truncate at ${at}`);
        break;
      case 'flip': {
        const out = new Uint8Array(bytes);
        const n = 1 + int(3);
        const flips: string[] = [];
        for (let j = 0; j < n && out.length > 0; j++) {
          const p = int(out.length);
          const bit = int(8);
          out[p] = (out[p] as number) ^ (1 << bit);
          flips.push(`${p}.${bit}`);
        }
        bytes = out;
        steps.push(`flip bits ${flips.join(' ')}`);
        break;
      }
    }
  }
  return { seed, index, source: src.name, mutation: steps.join(', then '), bytes };
}

/** A test as `_raw.json` lists it: its cleaned name and status. */
export type NameStatus = readonly [name: string, status: string];

export interface OurReading {
  version: SubunitVersion;
  tests: NameStatus[];
}

/**
 * Read a stream as the exporter does (AutoReader's detection, the v1 or v2 reader with the exporter's
 * options, TestAssembler), fed in pieces of `piece` bytes; each test as its raw entry names it.
 */
export function readOurs(bytes: Uint8Array, piece = 4096): OurReading {
  const tests: NameStatus[] = [];
  const assembler = new TestAssembler({ onTest: (t) => tests.push([cleanTestId(t.id).name, t.status]) });
  const reader = new AutoReader(assembler, { reuseEvents: true });
  for (let k = 0; k < bytes.length; k += piece) reader.push(bytes.subarray(k, k + piece));
  reader.end();
  assembler.finish();
  return { version: reader.version ?? 'v2', tests };
}

export interface ReferenceReading {
  tests: NameStatus[];
  /** python-subunit raised on the input: nothing to compare. */
  crashed: string | null;
}

/** Read each stream with python-subunit + StreamToDict as the version says (one Python process for all). */
export function readReference(
  streams: readonly { version: SubunitVersion; bytes: Uint8Array }[],
): ReferenceReading[] {
  const raw = runPythonOver<{ tests: [string, string][]; crashed: string | null }>(
    SCRIPT,
    streams.map((s) => s.bytes),
    (path, k) => `${(streams[k] as { version: SubunitVersion }).version}:${path}`,
  );
  return raw.map((o) => ({
    tests: o.tests.map(([id, st]) => [cleanTestId(id).name, st] as const),
    crashed: o.crashed,
  }));
}

/** The (name, status) pairs whose counts differ: [pair, ours, reference]. Empty when the multisets agree. */
export function multisetDiff(
  ours: readonly NameStatus[],
  ref: readonly NameStatus[],
): [NameStatus, number, number][] {
  const counts = new Map<string, [NameStatus, number, number]>();
  const count = (list: readonly NameStatus[], side: 1 | 2): void => {
    for (const p of list) {
      const key = JSON.stringify(p);
      let c = counts.get(key);
      if (c === undefined) counts.set(key, (c = [p, 0, 0]));
      c[side]++;
    }
  };
  count(ours, 1);
  count(ref, 2);
  return Array.from(counts.values()).filter(([, a, b]) => a !== b);
}

export interface Outcome {
  c: Case;
  version: SubunitVersion;
  /** null: the reference raised (`crashed`); else the differing pairs (empty: agreement). */
  diff: [NameStatus, number, number][] | null;
  crashed: string | null;
}

/** Make cases [from, to) of run `seed`, read each both ways, and compare (in batches of `batch`). */
export function runCases(
  sources: readonly Source[],
  seed: number,
  from: number,
  to: number,
  batch = 250,
): Outcome[] {
  const out: Outcome[] = [];
  for (let start = from; start < to; start += batch) {
    const cases: Case[] = [];
    for (let i = start; i < Math.min(to, start + batch); i++) cases.push(makeCase(sources, seed, i));
    for (const o of compareCases(cases)) {
      // Only a disagreeing case's stream is kept (to be written out): a long run holds no more.
      if (o.diff === null || o.diff.length === 0) o.c.bytes = new Uint8Array(0);
      out.push(o);
    }
  }
  return out;
}

/** Read given cases both ways and compare. */
export function compareCases(cases: readonly Case[]): Outcome[] {
  const ours = cases.map((c) => readOurs(c.bytes, 1 + (c.index % 7) * 1500));
  const ref = readReference(
    cases.map((c, k) => ({ version: (ours[k] as OurReading).version, bytes: c.bytes })),
  );
  return cases.map((c, k) => {
    const o = ours[k] as OurReading;
    const r = ref[k] as ReferenceReading;
    return {
      c,
      version: o.version,
      crashed: r.crashed,
      diff: r.crashed === null ? multisetDiff(o.tests, r.tests) : null,
    };
  });
}

/** Where failing streams are kept for replay (inside the repository: the test run's temp folder is removed). */
export const FAILURES_DIR = join(ROOT, '.tmp/fuzz-failures');

/** Write a failing case's stream for replay and describe the case; returns the description. */
export function reportFailure(o: Outcome): string {
  mkdirSync(FAILURES_DIR, { recursive: true });
  const file = join(FAILURES_DIR, `seed-${o.c.seed}-case-${o.c.index}.${o.version}.subunit`);
  writeFileSync(file, o.c.bytes);
  const pairs = (o.diff ?? [])
    .slice(0, 20)
    .map(([[name, status], a, b]) => `    ${status} ${name}: ours ${a}, reference ${b}`)
    .join('\n');
  return [
    `seed ${o.c.seed} case ${o.c.index} (${o.version}): ${o.c.source}, ${o.c.mutation}`,
    `  replay: FUZZ_SEED=${o.c.seed} FUZZ_CASE=${o.c.index} npx vitest run test/reference/damage-fuzz.test.ts`,
    `  stream: ${file} (FUZZ_REPLAY=<that file> compares it alone)`,
    pairs,
  ].join('\n');
}
