// The export job: every run read once, in chunks, into its RunWriter; then dstat, config.json, commit.
import type { Dataset, TempestRun, Artifact } from '../contract/export-format.js';
import { buildConfig } from './config.js';
import type { ExportListener } from './listener.js';
import { OutputDir } from './output.js';
import type { PlainReader } from '../sources/source.js';
import { InlinePipeline, WorkerPipeline, type PreparePipeline } from './pipeline.js';
import { RunWriter, type RunNaming } from './run-writer.js';

/** One run to export: its names and its bytes. */
export interface ExportRun {
  naming: RunNaming;
  /** Size in bytes when known (files), for progress. */
  sizeBytes: number | null;
  /** The run's bytes in chunks. */
  open(): AsyncIterable<Uint8Array>;
  /** The same bytes as a plain file to read into the pipeline's memory, or null (then `open` is used). */
  openPlain?(): Promise<PlainReader | null>;
  /**
   * After `open`'s bytes have ended: why they ended early, when the input broke off (a corrupt or truncated
   * gzip stream after some bytes), else null. The run keeps what was read, and the reason as a failing
   * `subunit.parser` test.
   */
  damage?(): string | null;
  /** The run's id in its `.stestr` repository (`-r`); absent for a file or stdin. */
  repositoryRunId?: number;
}

export interface ExportOptions {
  dest: string;
  gzip: boolean;
  /** `--env` metadata, or null. */
  env: Partial<Dataset> | null;
  /** The dstat CSV bytes (already validated), or null. */
  dstat: Uint8Array | null;
  /**
   * The classic Dstat copy of a pcp-dstat `dstat` log: written as `dstat_log.csv` (for the original front-end),
   * with the log as recorded beside it as `dstat_pcp.csv`. Null or absent for a classic log (copied as is).
   */
  dstatClassic?: Uint8Array | null;
  /** devstack's performance.json (already validated), copied as `performance.json`; null or absent for none. */
  performance?: Uint8Array | null;
  runs: AsyncIterable<ExportRun> | Iterable<ExportRun>;
  /**
   * The built `prepare-worker.js`: decoding and encoding then run in a worker thread, on the second core.
   * Without it everything runs on this thread (same output).
   */
  worker?: URL;
  generator: string;
  /** Called as bytes are consumed (per chunk) and when a run starts. */
  progress?: (p: ExportProgress) => void;
  /** Called for each run that turned out to be empty. */
  onEmptyRun?: (naming: RunNaming) => void;
  /** Called for each run whose bytes broke off early (`ExportRun.damage`). */
  onDamagedRun?: (naming: RunNaming, damage: string) => void;
  /**
   * Called for each run that had bytes but not one test in them, at most `subunit.parser` entries for
   * damaged packets (the wrong kind of file, most likely: any 0xB3 byte starts a packet).
   */
  onNoTests?: (naming: RunNaming, bytes: number, parserErrors: number) => void;
  /** Told of each run and test (the outputs beside DEST, the gate); committed and aborted with DEST. */
  listeners?: readonly ExportListener[];
  /** Turns a file-system error on DEST into the error to throw (the CLI's one-line message). */
  onDestError?: (e: NodeJS.ErrnoException) => Error;
  /**
   * Called once every run is written, before config.json and the commit: may write more files for the runs
   * (`--history`'s) and name them in their TempestRun; returns their paths. Throwing aborts the export.
   */
  beforeCommit?: (runs: TempestRun[], out: OutputDir) => Promise<string[]>;
}

/** File-system errors carry a code; our readers' and inputs' errors do not. */
const isFsError = (e: unknown): e is NodeJS.ErrnoException =>
  e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e;

export interface ExportProgress {
  run: RunNaming;
  runBytes: number;
  runSize: number | null;
  tests: number;
}

export interface ExportSummary {
  runs: number;
  tests: number;
  failures: number;
  files: string[];
}

/**
 * Read one run into a RunWriter, pausing when an output stream is full (flat memory under -z). `afterBytes`
 * is called once the run's bytes are all prepared, before the run's files are finished.
 */
async function exportRun(
  out: OutputDir,
  r: ExportRun,
  o: ExportOptions,
  pipe: PreparePipeline,
  afterBytes: () => Promise<void>,
): Promise<Awaited<ReturnType<RunWriter['finish']>>> {
  const listeners = o.listeners ?? [];
  for (const l of listeners) await l.beginRun(r.naming);
  const w = RunWriter.create(out, r.naming, listeners);
  pipe.begin(
    (batch) => {
      w.onBatch(batch);
      return w.full ? w.drained() : null;
    },
    out.scratchPath(`.spill-${r.naming.source}-${r.naming.runId}`),
  );
  let bytes = 0;
  const progress = (n: number): void =>
    o.progress?.({ run: r.naming, runBytes: n, runSize: r.sizeBytes, tests: w.testCount });
  const plain = pipe.pushFrom !== undefined && r.openPlain !== undefined ? await r.openPlain() : null;
  if (plain !== null) {
    try {
      bytes = await (pipe as Required<PreparePipeline>).pushFrom(plain, progress);
    } finally {
      await plain.close();
    }
  } else {
    for await (const chunk of r.open()) {
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      await pipe.push(chunk);
      progress(bytes);
    }
  }
  const damage = r.damage?.() ?? null;
  await pipe.end(damage);
  if (damage !== null) o.onDamagedRun?.(r.naming, damage);
  else if (bytes === 0) o.onEmptyRun?.(r.naming);
  else if (w.testCount === w.parserErrorCount) o.onNoTests?.(r.naming, bytes, w.parserErrorCount);
  await afterBytes();
  // The tree phase may use the pipeline's idle memory instead of its own.
  const res = await w.finish(pipe.idleMemory?.() ?? null);
  for (const l of listeners) await l.endRun(res.run.stats);
  return res;
}

/**
 * Write a whole export into a temporary folder in DEST and commit it; on any error the folder is
 * removed and DEST keeps what it had.
 */
export async function runExport(o: ExportOptions): Promise<ExportSummary> {
  const destError = (e: unknown): unknown => (isFsError(e) && o.onDestError ? o.onDestError(e) : e);
  let out: OutputDir;
  try {
    out = await OutputDir.open(o.dest, o.gzip);
  } catch (e) {
    throw destError(e);
  }
  const pipe: PreparePipeline = o.worker === undefined ? new InlinePipeline() : new WorkerPipeline(o.worker);
  try {
    const runs: TempestRun[] = [];
    const artifacts: Artifact[] = [];
    const files: string[] = [];
    let tests = 0;
    let failures = 0;
    // Each run's failure and skip lists, read from the temporary folder as its stats file read them.
    const statsJson = new Map<object, Iterable<Uint8Array>>();
    const input = Symbol.asyncIterator in o.runs ? o.runs[Symbol.asyncIterator]() : o.runs[Symbol.iterator]();
    let next = await input.next();
    while (next.done !== true) {
      const r = next.value;
      const res = await exportRun(out, r, o, pipe, async () => {
        next = await input.next();
        // After the last run's bytes the worker is done: stopping it before the run's tree phase returns its
        // heap (~20 MB on a 1 GB stream) before the end of the export, where memory peaked.
        if (next.done === true) await pipe.close();
      });
      runs.push(res.run);
      for (const [list, json] of res.statsLists) statsJson.set(list, json);
      artifacts.push(...res.artifacts);
      files.push(...res.files);
      tests += res.tests;
      failures += res.failures;
    }
    let dstatPath: string | null = null;
    let dstatRecordedPath: string | null = null;
    if (o.dstat !== null) {
      const classic = o.dstatClassic ?? null;
      if (classic !== null) {
        dstatRecordedPath = await out.writeWhole('dstat_pcp.csv', o.dstat);
        files.push(dstatRecordedPath);
      }
      dstatPath = await out.writeWhole('dstat_log.csv', classic ?? o.dstat);
      files.push(dstatPath);
    }
    let performancePath: string | null = null;
    const performance = o.performance ?? null;
    if (performance !== null) {
      performancePath = await out.writeWhole('performance.json', performance);
      files.push(performancePath);
    }
    if (o.beforeCommit !== undefined) files.push(...(await o.beforeCommit(runs, out)));
    const config = buildConfig({
      runs,
      artifacts,
      dstatPath,
      dstatRecordedPath,
      performancePath,
      gzip: o.gzip,
      env: o.env,
      generator: o.generator,
    });
    const listeners = o.listeners ?? [];
    for (const l of listeners) await l.finish?.();
    await out.commit(config, files, statsJson, async () => {
      for (const l of listeners) await l.commit?.();
    });
    return { runs: runs.length, tests, failures, files };
  } catch (e) {
    await out.abort();
    await Promise.allSettled((o.listeners ?? []).map((l) => l.abort?.()));
    throw destError(e);
  } finally {
    await pipe.close();
  }
}
