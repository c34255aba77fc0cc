// `stackviz record`: every run of the inputs into the history store, one transaction per run.
import { openStore, storeName } from '../history/open.js';
import { readRuns, type ReadRun } from '../history/read-runs.js';
import { runIdentity, type HistoryStore } from '../history/store.js';
import { MetaArgumentError } from '../model/metadata.js';
import { EXIT_OK, runCommand, say, UsageError, watchSignals } from './history-common.js';
import { jobName, readMetadata, storedMeta, type DatasetMetadata } from './run-metadata.js';

export interface RecordOptions {
  db?: string;
  job?: string;
  meta: string[];
  env: boolean;
  zuulInventory?: string;
  runId?: string;
  streamFile: string[];
  repository: string[];
  stdin: boolean;
}

const short = (id: string): string => id.slice(0, 12);

async function recordRuns(
  o: RecordOptions,
  interruptedRef: { busy: boolean },
  interrupted: () => string | null,
): Promise<number> {
  if (o.streamFile.length === 0 && o.repository.length === 0 && !o.stdin) {
    throw new UsageError('no input: give at least one of -f FILE, -r DIR, -i');
  }
  if (o.stdin && process.stdin.isTTY === true) {
    throw new UsageError(
      '-i reads a subunit stream from standard input, which is a terminal (redirect a file)',
    );
  }
  let dataset: DatasetMetadata | null;
  try {
    dataset = await readMetadata(o);
  } catch (e) {
    if (e instanceof MetaArgumentError) throw new UsageError(e.message);
    throw e;
  }
  const meta = storedMeta(dataset);
  const runs = readRuns(
    { files: o.streamFile, repositories: o.repository, stdin: o.stdin },
    process.stdin,
    interrupted,
  )[Symbol.asyncIterator]();
  // The first run is read before the store is opened: a bad input leaves no store behind.
  let next = await runs.next();
  const db = storeName(o.db);
  const store: HistoryStore = await openStore(db, 'write');
  const warned = new Set<string>();
  try {
    while (next.done !== true) {
      const run: ReadRun = next.value;
      next = await runs.next();
      if (o.runId !== undefined && next.done !== true) {
        throw new UsageError('--run-id names one run, and the inputs hold more than one');
      }
      let job = jobName(o.job, dataset, process.env) ?? run.job;
      if (job === null) {
        job = run.sourceName;
        if (!warned.has(job)) {
          warned.add(job);
          say('record', `warning: no --job and no CI job name; recording under the input's name '${job}'`);
        }
      }
      if (run.damage !== null) say('record', `warning: ${run.damage}; recording what was read`);
      const id = o.runId ?? runIdentity(job, run.repoRunId, run.contentSha256);
      interruptedRef.busy = true;
      const res = await store.record(
        { id, job, source: run.source, meta: { ...run.meta, ...meta }, results: run.results },
        interrupted,
      );
      interruptedRef.busy = false;
      const r = res.run;
      if (!res.recorded) {
        process.stdout.write(
          `${run.source}: run ${short(id)} of job '${job}' is already recorded; nothing changed\n`,
        );
        continue;
      }
      const untimed = r.startUs === null ? ' (no timestamped test: listed, but no place in the window)' : '';
      process.stdout.write(
        `${run.source}: recorded run ${short(id)} of job '${job}': ${r.tests} tests, ${r.failures} ${r.failures === 1 ? 'failure' : 'failures'}${untimed}\n`,
      );
    }
  } finally {
    await store.close();
  }
  return EXIT_OK;
}

export async function record(o: RecordOptions): Promise<number> {
  const state = { busy: false };
  const interrupted = watchSignals('record', () => state.busy);
  return runCommand('record', () => recordRuns(o, state, interrupted));
}
