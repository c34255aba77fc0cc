// Runs to record or compare, read with the exporter's readers: stream files, stdin, stestr repositories (the
// sources layer, damage kept as a failing `subunit.parser` entry) and export folders (config.json + raw files).
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { workerOf } from '../contract/export-format.js';
import type { ConfigFile, RawEntry } from '../contract/export-format.js';
import { AutoReader } from '../formats/subunit/detect.js';
import { parserErrorEvent } from '../formats/subunit/v2.js';
import { TestAssembler } from '../model/assemble.js';
import { exceptionLine } from '../model/failure-line.js';
import { cleanTestId, stripNonWord } from '../model/names.js';
import { attachmentBytes, type TestRecord } from '../model/test-record.js';
import { durationSeconds } from '../model/time.js';
import {
  DamagedInputError,
  describeFsError,
  InputError,
  maybeGunzip,
  validateInputs,
  type InputSpec,
} from '../sources/index.js';
import { guardReads, readFileChunks } from '../sources/file.js';
import { byCodePoint, microsOfIso } from './rules.js';
import { InterruptedError, type RecordedResult } from './store.js';

/** Lines of a failure's traceback kept in the store (its end: where the exception is). */
const TAIL_LINES = 12;
const TAIL_CHARS = 4000;

/** One run read from an input. */
export interface ReadRun {
  /** Where it came from, for people (`run.subunit`, `repo run 3`, `export report/ run 0`). */
  source: string;
  /** The input's name, the job when nothing else names one. */
  sourceName: string;
  /** The repository run id (part of the identity), null for files and export folders. */
  repoRunId: number | null;
  /** SHA-256 of the run's inflated bytes (an export folder: its raw file's). */
  contentSha256: string;
  results: RecordedResult[];
  /** Metadata an export folder carries (its dataset: job name, change, revision, url). */
  meta: Record<string, string>;
  /** The job an export folder names (its dataset's name), else null. */
  job: string | null;
  /** Why the run's bytes broke off early, when they did. */
  damage: string | null;
  bytes: number;
}

export interface RunInputs {
  files: readonly string[];
  repositories: readonly string[];
  stdin: boolean;
}

/** Returns the signal's name once one asked to stop, else null. */
export type Interrupted = () => string | null;

const decoder = new TextDecoder('utf-8');

/** A failure's exception line and last traceback lines. */
export function failureText(traceback: string | null): { exception: string | null; tail: string | null } {
  if (traceback === null || traceback.trim() === '') return { exception: null, tail: null };
  const lines = traceback.replace(/\s+$/, '').split(/\r\n|\r|\n/);
  let tail = lines.slice(-TAIL_LINES).join('\n');
  if (tail.length > TAIL_CHARS) tail = tail.slice(-TAIL_CHARS);
  return { exception: exceptionLine(traceback), tail };
}

const FAILED = new Set(['fail', 'uxsuccess', 'inprogress']);

/** An assembled test as the store keeps it. */
export function resultOf(r: TestRecord): RecordedResult {
  const { name, attributes } = cleanTestId(r.id);
  const tags = r.tags.length <= 1 ? [...r.tags] : [...r.tags].sort(byCodePoint);
  let traceback: string | null = null;
  if (FAILED.has(r.status)) {
    for (const a of r.attachments.values()) {
      const key = stripNonWord(a.name);
      if (key === 'traceback' || (traceback === null && key === 'ParserError')) {
        const parts = [...attachmentBytes(a)].map((c) => Buffer.from(c));
        traceback = decoder.decode(Buffer.concat(parts));
      }
    }
  }
  const f = failureText(traceback);
  return {
    name,
    id: r.id,
    status: r.status,
    startUs: r.startUs,
    duration: durationSeconds(r.startUs, r.endUs),
    worker: workerOf(tags),
    tags,
    attributes,
    exception: f.exception,
    tracebackTail: f.tail,
  };
}

/** Reads a run's bytes through the subunit readers; a DamagedInputError ends the bytes and is recorded. */
async function parseRun(
  chunks: AsyncIterable<Uint8Array>,
  interrupted: Interrupted,
): Promise<{ results: RecordedResult[]; sha: string; bytes: number; damage: string | null }> {
  const results: RecordedResult[] = [];
  const assembler = new TestAssembler({ onTest: (t) => results.push(resultOf(t)) });
  const reader = new AutoReader(assembler);
  const hash = createHash('sha256');
  let bytes = 0;
  let damage: string | null = null;
  try {
    for await (const chunk of chunks) {
      const sig = interrupted();
      if (sig !== null) throw new InterruptedError(sig);
      hash.update(chunk);
      bytes += chunk.length;
      reader.push(chunk);
    }
  } catch (e) {
    if (!(e instanceof DamagedInputError)) throw e;
    damage = e.message;
  }
  reader.end();
  if (damage !== null) assembler.event(parserErrorEvent(damage));
  assembler.finish();
  return { results, sha: hash.digest('hex'), bytes, damage };
}

async function isExportFolder(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isDirectory()) return false;
    return (await stat(join(path, 'config.json'))).isFile();
  } catch {
    return false;
  }
}

/** A file's bytes, gunzipped when they are gzip. */
async function readBytes(path: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of maybeGunzip(guardReads(readFileChunks(path), path), path)) parts.push(c);
  return Buffer.concat(parts);
}

async function readJson<T>(path: string, bytes?: Buffer): Promise<T> {
  let b: Buffer;
  try {
    b = bytes ?? (await readBytes(path));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(path, describeFsError(e));
  }
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch {
    throw new InputError(path, 'not valid JSON', `'${path}' is not an export's JSON file (not valid JSON)`);
  }
}

/** The runs of an export folder (ours or the original exporter's). */
async function* exportFolderRuns(dir: string, interrupted: Interrupted): AsyncIterable<ReadRun> {
  const config = await readJson<ConfigFile>(join(dir, 'config.json'));
  const dataset = (config.datasets ?? [])[0];
  const meta: Record<string, string> = {};
  for (const key of ['change_id', 'change_project', 'revision', 'pipeline', 'url'] as const) {
    const v = dataset?.[key];
    if (typeof v === 'string') meta[key] = v;
  }
  const job = typeof dataset?.name === 'string' && dataset.name !== '' ? dataset.name : null;
  type RunRef = { name: string; raw: string; details?: string };
  const refs: RunRef[] = [];
  if (Array.isArray(config.tempest)) {
    for (const t of config.tempest) {
      refs.push({ name: t.name, raw: t.raw, details: t.details });
    }
  } else {
    // The original exporter's layout: a run's raw and details artifacts share its artifact name.
    const artifacts = dataset?.artifacts ?? [];
    for (const a of artifacts) {
      if (a.artifact_type !== 'subunit') continue;
      const details = artifacts.find(
        (d) => d.artifact_type === 'subunit-details' && d.artifact_name === a.artifact_name,
      );
      refs.push({ name: a.artifact_name, raw: a.path, ...(details ? { details: details.path } : {}) });
    }
  }
  const label = basename(dir.replace(/\/+$/, '')) || dir;
  for (const ref of refs) {
    const sig = interrupted();
    if (sig !== null) throw new InterruptedError(sig);
    const rawPath = join(dir, ref.raw);
    const bytes = await readBytes(rawPath).catch((e: unknown) => {
      if (e instanceof InputError) throw e;
      throw new InputError(rawPath, describeFsError(e));
    });
    const entries = await readJson<RawEntry[]>(rawPath, bytes);
    if (!Array.isArray(entries)) throw new InputError(rawPath, 'not a raw.json list of tests');
    const tracebacks = await failureTracebacks(dir, ref, entries);
    const results = entries.map((e, i) => resultOfEntry(e, tracebacks.get(i) ?? null));
    yield {
      source: `${label} (${ref.name})`,
      sourceName: label,
      repoRunId: null,
      contentSha256: createHash('sha256').update(bytes).digest('hex'),
      results,
      meta: { ...meta },
      job,
      damage: null,
      bytes: bytes.length,
    };
  }
}

/** A raw.json entry as the store keeps it. */
export function resultOfEntry(e: RawEntry, traceback: string | null): RecordedResult {
  const startUs = e.timestamps?.[0] == null ? null : microsOfIso(e.timestamps[0]);
  const id = typeof e.id === 'string' ? e.id : e.name;
  const attributes = Array.isArray(e.attributes) ? e.attributes : cleanTestId(id).attributes;
  const tags = Array.isArray(e.tags) ? e.tags : [];
  const f = failureText(traceback);
  return {
    name: e.name,
    id,
    status: e.status,
    startUs,
    duration: typeof e.duration === 'number' ? e.duration : null,
    worker: typeof e.worker === 'number' ? e.worker : workerOf(tags),
    tags,
    attributes,
    exception: f.exception,
    tracebackTail: f.tail,
  };
}

/** Tracebacks of the failing entries, from the run's details file or shards (keyed by details key or name). */
async function failureTracebacks(
  dir: string,
  ref: { details?: string },
  entries: RawEntry[],
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const failing = entries.flatMap((e, i) => (FAILED.has(e.status) ? [i] : []));
  if (failing.length === 0) return out;
  const files = new Map<string, Record<string, Record<string, string>> | null>();
  const load = async (rel: string | undefined): Promise<Record<string, Record<string, string>> | null> => {
    if (rel === undefined) return null;
    if (!files.has(rel)) {
      files.set(
        rel,
        await readJson<Record<string, Record<string, string>>>(join(dir, rel)).catch(() => null),
      );
    }
    return files.get(rel) ?? null;
  };
  for (const i of failing) {
    const e = entries[i] as RawEntry;
    const key = e.details_key ?? e.name;
    // Every export, older ones with shards included, holds all details in `_details.json`.
    const details = (await load(ref.details))?.[key];
    const tb = details?.['traceback'] ?? details?.['ParserError'];
    if (typeof tb === 'string') out.set(i, tb);
  }
  return out;
}

/** Every run of the inputs, in the order files, repositories (ascending run id), stdin. */
export async function* readRuns(
  inputs: RunInputs,
  stdin: AsyncIterable<Uint8Array>,
  interrupted: Interrupted,
): AsyncIterable<ReadRun> {
  // Export folders are told apart first; the rest is checked up front by the sources layer.
  const specs: (InputSpec | { kind: 'export'; path: string })[] = [];
  for (const path of inputs.files) {
    specs.push((await isExportFolder(path)) ? { kind: 'export', path } : { kind: 'file', path });
  }
  for (const path of inputs.repositories) {
    const hasRepo = (await stat(join(path, '.stestr')).catch(() => null)) !== null;
    specs.push(
      !hasRepo && (await isExportFolder(path)) ? { kind: 'export', path } : { kind: 'repository', path },
    );
  }
  if (inputs.stdin) specs.push({ kind: 'stdin', stream: stdin });
  const streamSpecs = specs.filter((s): s is InputSpec => s.kind !== 'export');
  const sources = await validateInputs(streamSpecs);
  for (const s of specs) if (s.kind === 'export') await readJson(join(s.path, 'config.json'));
  let k = 0;
  for (const spec of specs) {
    if (spec.kind === 'export') {
      yield* exportFolderRuns(spec.path, interrupted);
      continue;
    }
    const source = sources[k++];
    if (source === undefined) continue;
    const repo = source.kind === 'repository';
    const sourceName =
      source.kind === 'file'
        ? source.label.replace(/\.gz$/i, '').replace(/\.[^.]*$/, '') || source.label
        : source.label;
    for await (const run of source.runs()) {
      const p = await parseRun(run.open(), interrupted);
      yield {
        source: repo ? `${source.label} run ${run.runId}` : source.label,
        sourceName,
        repoRunId: repo ? run.runId : null,
        contentSha256: p.sha,
        results: p.results,
        meta: {},
        job: null,
        damage: p.damage,
        bytes: p.bytes,
      };
    }
  }
}
