// `stackviz-export --history DB`: records each exported run into the history store and writes the run's
// history file (its window as of that run) beside its other files, named in config.json (`history`).
// Runs from runExport's hook, before the commit: a store that fails leaves DEST as it was.
import { createHash, type Hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { RawEntry, TempestRun } from '../contract/export-format.js';
import type { HistoryFile } from '../contract/history-format.js';
import { recordExportedRun } from '../history/for-export.js';
import type { HistoryStore } from '../history/store.js';
import type { ExportRun } from './export.js';
import type { OutputDir } from './output.js';

/** The content of one exported run, seen as its bytes went by: what its identity is made of. */
export interface RunDigest {
  /** Hex SHA-256 of the run's inflated subunit bytes. */
  sha256: string;
  /** The repository's run id for a `-r` run, else null. */
  repositoryRunId: number | null;
}

const FAILED = new Set(['fail', 'uxsuccess', 'inprogress']);

/**
 * The same runs, each hashing its inflated bytes as the export reads them (both ways the pipeline reads: the
 * chunks of `open`, or a plain file's `openPlain` reads). `digests` gets each run's once its bytes are read.
 */
export async function* hashingRuns(
  runs: AsyncIterable<ExportRun>,
  digests: Map<string, RunDigest>,
): AsyncIterable<ExportRun> {
  for await (const r of runs) {
    const hash: Hash = createHash('sha256');
    const key = r.naming.key;
    const done = (): void => {
      if (!digests.has(key))
        digests.set(key, { sha256: hash.digest('hex'), repositoryRunId: r.repositoryRunId ?? null });
    };
    const openPlain = r.openPlain?.bind(r);
    yield {
      ...r,
      open: () =>
        (async function* () {
          for await (const chunk of r.open()) {
            hash.update(chunk);
            yield chunk;
          }
          done();
        })(),
      ...(openPlain === undefined
        ? {}
        : {
            openPlain: async () => {
              const plain = await openPlain();
              if (plain === null) return null;
              return {
                read: async (buf: Uint8Array, offset: number, length: number) => {
                  const n = await plain.read(buf, offset, length);
                  if (n > 0) hash.update(buf.subarray(offset, offset + n));
                  else done();
                  return n;
                },
                close: async () => {
                  done();
                  await plain.close();
                },
              };
            },
          }),
    };
  }
}

async function readBytes(out: OutputDir, rel: string): Promise<Buffer> {
  const bytes = await readFile(out.scratchPath(rel));
  return rel.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** An exported run read back from its raw file, with the tracebacks of its failing entries. */
export async function readExportedRun(
  out: OutputDir,
  run: TempestRun,
): Promise<{ entries: RawEntry[]; tracebacks: Map<number, string> }> {
  const entries = JSON.parse((await readBytes(out, run.raw)).toString('utf8')) as RawEntry[];
  const tracebacks = new Map<number, string>();
  // The details file is read only when a test failed, and only the failing tests' entries are parsed (each
  // entry's value lies at its details_range of the uncompressed text).
  let details: Buffer | null = null;
  for (const [i, e] of entries.entries()) {
    if (!FAILED.has(e.status) || e.details_range === null) continue;
    details ??= await readBytes(out, run.details);
    const [start, end] = e.details_range;
    const att = JSON.parse(details.subarray(start, end).toString('utf8')) as Record<string, unknown>;
    const tb = att['traceback'] ?? att['ParserError'];
    if (typeof tb === 'string') tracebacks.set(i, tb);
  }
  return { entries, tracebacks };
}

export interface HistoryOptions {
  store: HistoryStore;
  /** The job of every run of this export. */
  job: string;
  meta: Readonly<Record<string, string>>;
  /** Each run's digest, by its key. */
  digests: ReadonlyMap<string, RunDigest>;
  window?: number;
  /** Told once per run, in order. */
  onRun?(run: TempestRun, recorded: boolean): void;
}

/** What recording gave: the history files written, and the last run's history (for `--fail-on`). */
export interface HistoryResult {
  files: string[];
  latest: HistoryFile | null;
}

/**
 * Record every run (in export order, each in its own transaction) and write its history file into the
 * export's temporary folder, naming it in `run.history`. Each run's file is its window as of that run.
 */
export async function recordHistory(
  out: OutputDir,
  runs: readonly TempestRun[],
  o: HistoryOptions,
): Promise<HistoryResult> {
  const files: string[] = [];
  let latest: HistoryFile | null = null;
  for (const run of runs) {
    const digest = o.digests.get(run.key ?? '');
    if (digest === undefined) throw new Error(`no digest for run ${run.key ?? run.name}`);
    const res = await recordExportedRun(
      o.store,
      {
        job: o.job,
        meta: o.meta,
        source: run.name,
        repoRunId: digest.repositoryRunId,
        contentSha256: digest.sha256,
        ...(await readExportedRun(out, run)),
      },
      o.window,
    );
    o.onRun?.(run, res.recorded);
    latest = res.history;
    const base = run.raw.replace(/_raw\.json(\.gz)?$/, '');
    const path = await out.writeWhole(`${base}_history.json`, Buffer.from(JSON.stringify(latest)));
    run.history = path;
    files.push(path);
  }
  return { files, latest };
}

/** `--fail-on new-failures`: new failures and new tests that fail in the latest run; "" when none. */
export function newFailuresReason(h: HistoryFile | null): string {
  if (h === null) return '';
  const newFail = h.tests.filter((t) => t.new_failure).length;
  const newFailing = h.tests.filter((t) => t.new_test && t.outcome === 'fail').length;
  if (newFail + newFailing === 0) return '';
  const parts: string[] = [];
  if (newFail > 0) parts.push(`${newFail} new failure${newFail === 1 ? '' : 's'}`);
  if (newFailing > 0) parts.push(`${newFailing} new test${newFailing === 1 ? '' : 's'} failing`);
  return `${parts.join(' and ')} in the latest run of job ${h.job}`;
}
