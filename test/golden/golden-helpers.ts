// Shared helpers of the golden tests: export a stream with the library and compare with the original's files.
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ConfigFile, RawEntry, StatsFile, TempestRun } from '../../src/contract/export-format.js';
import { runExport, type ExportRun } from '../../src/export/export.js';

export interface Exported {
  dest: string;
  config: ConfigFile;
  run: TempestRun;
  raw: RawEntry[];
  details: Record<string, Record<string, string>>;
  tree: unknown;
  stats: StatsFile;
}

/** Export one v2 stream file into a fresh temp folder and read back what was written. */
export async function exportStream(file: string, source = 'sample'): Promise<Exported> {
  const dest = await mkdtemp(join(tmpdir(), 'stackviz-golden-'));
  const run: ExportRun = {
    naming: { source, runId: 0, key: source, title: `Subunit File: ${source}` },
    sizeBytes: null,
    open: () => createReadStream(file, { highWaterMark: 4096 }),
  };
  await runExport({
    dest,
    gzip: false,
    env: null,
    dstat: null,
    runs: [run],
    generator: 'test',
  });
  return readExport(dest, 0);
}

export function readExport(dest: string, index: number): Exported {
  const read = (p: string): unknown => JSON.parse(readFileSync(join(dest, p), 'utf8'));
  const config = read('config.json') as ConfigFile;
  const run = (config.tempest ?? [])[index] as TempestRun;
  return {
    dest,
    config,
    run,
    raw: read(run.raw) as RawEntry[],
    details: read(run.details) as Record<string, Record<string, string>>,
    tree: read(run.tree),
    stats: read(run.raw.replace('_raw.json', '_stats.json')) as StatsFile,
  };
}

interface OrigEntry {
  name: string;
  status: string;
  tags: string[];
  timestamps: [string, string];
  duration: number;
}

/** The original's files for one sample folder of test/fixtures/expected. */
export function readExpected(dir: string): {
  raw: OrigEntry[];
  details: Record<string, Record<string, string>>;
  stats: StatsFile;
  tree: unknown;
} {
  const files = readdirSync(dir);
  const pick = (suffix: string): unknown => {
    const f = files.find((n) => n.endsWith(suffix));
    return f === undefined ? undefined : JSON.parse(readFileSync(join(dir, f), 'utf8'));
  };
  return {
    raw: pick('-raw.json') as OrigEntry[],
    details: pick('-details.json') as Record<string, Record<string, string>>,
    stats: pick('-stats.json') as StatsFile,
    tree: pick('-tree.json'),
  };
}

const closeTo = (a: number | null, b: number | null): boolean =>
  a !== null && b !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** Compare field by field; the original's deliberate differences are allowed (see samples README). */
export function compareWithOriginal(ours: Exported, expDir: string): void {
  const exp = readExpected(expDir);
  expect(ours.raw.length).toBe(exp.raw.length);
  exp.raw.forEach((e, i) => {
    const o = ours.raw[i] as RawEntry;
    expect(o.name).toBe(e.name);
    expect(o.status).toBe(e.status);
    expect(new Set(o.tags)).toEqual(new Set(e.tags));
    expect(o.timestamps).toEqual(e.timestamps);
    expect(closeTo(o.duration, e.duration), `${e.name}: ${o.duration} vs ${e.duration}`).toBe(true);
    expect(o.details).toEqual({});
  });
  compareDetails(ours, exp.details);
  const s = ours.stats;
  expect(s.count).toBe(exp.stats.count);
  expect(s.start).toBe(exp.stats.start);
  expect(s.end).toBe(exp.stats.end);
  expect(closeTo(s.total_duration, exp.stats.total_duration)).toBe(true);
  // The original computed stats from detail-less entries, so its skip reasons are null; ours are the
  // `reason` attachment, as the spec describes.
  expect(s.skips.map((k) => [k.name, k.duration])).toEqual(exp.stats.skips.map((k) => [k.name, k.duration]));
  for (const k of s.skips) expect(k.details).toBe(ours.details[k.details_key ?? '']?.['reason'] ?? null);
  expect(s.failures.map((f) => [f.name, f.duration])).toEqual(
    exp.stats.failures.map((f) => [f.name, f.duration]),
  );
  for (const f of s.failures) {
    // Ours carries the traceback's last line(s) where the original wrote null.
    const tb = ours.details[f.details_key ?? '']?.['traceback'];
    if (tb !== undefined) expect(f.details).toEqual(expect.arrayContaining([expect.any(String)]));
    if (tb !== undefined) expect(tb.trim().endsWith((f.details as string[]).at(-1) as string)).toBe(true);
  }
  if (exp.tree !== undefined) compareTreeLeaves(ours.tree, exp.tree);
}

/**
 * `_details.json` compared whole: ours read as the original's would be (keyed by name, a later occurrence of a
 * name replacing the earlier, our run output left out) equals the original's; every key of ours is an entry's
 * details_key (or the run output's), and each range holds its entry's value.
 */
function compareDetails(ours: Exported, theirs: Record<string, Record<string, string>>): void {
  const byName: Record<string, Record<string, string>> = {};
  const keys = new Set<string>();
  for (const o of ours.raw) {
    const key = o.details_key as string;
    keys.add(key);
    byName[o.name] = ours.details[key] as Record<string, string>;
  }
  expect(byName).toEqual(theirs);
  const output = ours.stats.stream_output_key;
  if (output !== null && output !== undefined) keys.add(output);
  expect(Object.keys(ours.details).sort()).toEqual([...keys].sort());
  const text = readFileSync(join(ours.dest, ours.run.details));
  for (const o of ours.raw) {
    const value = ours.details[o.details_key as string] as Record<string, string>;
    if (o.details_range === null) expect(value).toEqual({});
    else expect(JSON.parse(text.subarray(...o.details_range).toString('utf8'))).toEqual(value);
  }
}

interface Node {
  name: string;
  name_full?: string;
  children?: Node[];
  [k: string]: unknown;
}

function leaves(n: Node, out: Map<string, Node>): Map<string, Node> {
  if (typeof n.name_full === 'string') out.set(n.name_full, n);
  for (const c of n.children ?? []) leaves(c, out);
  return out;
}

export function compareTreeLeaves(ours: unknown, theirs: unknown): void {
  const a = leaves(ours as Node, new Map());
  const b = leaves(theirs as Node, new Map());
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, e] of b) {
    const o = a.get(k) as Node;
    expect(o.name).toBe(e.name);
    expect(o.status).toBe(e.status);
    expect(o.timestamps).toEqual(e.timestamps);
    expect(new Set(o.tags as string[])).toEqual(new Set(e.tags as string[]));
    expect(closeTo(o.duration as number, e.duration as number)).toBe(true);
  }
  expect((ours as Node).name).toBe((theirs as Node).name);
}
