// config.json: both layouts (the `tempest` list and `datasets` with artifacts), built from the runs written.
import type { Artifact, ConfigFile, Dataset, TempestRun } from '../contract/export-format.js';

/** Zuul metadata for `--env`, from the same variables the original read. */
export function environmentParams(env: NodeJS.ProcessEnv): Partial<Dataset> {
  const r: Partial<Dataset> = {};
  const pick = (v: string | undefined): v is string => v !== undefined;
  if (pick(env['ZUUL_PROJECT'])) r.change_project = env['ZUUL_PROJECT'];
  if (pick(env['ZUUL_CHANGE'])) r.change_id = env['ZUUL_CHANGE'];
  if (pick(env['ZUUL_PATCHSET'])) r.revision = env['ZUUL_PATCHSET'];
  if (pick(env['ZUUL_PIPELINE'])) r.pipeline = env['ZUUL_PIPELINE'];
  if (pick(env['JOB_NAME'])) r.name = env['JOB_NAME'];
  return r;
}

export interface ConfigInput {
  runs: TempestRun[];
  /** Artifacts of every run, in run order. */
  artifacts: Artifact[];
  /** Path of the dstat copy (relative to DEST), or null. */
  dstatPath: string | null;
  /** Path of the pcp-dstat log as recorded when `dstatPath` is its classic copy, else null. */
  dstatRecordedPath?: string | null;
  /** Path of devstack's performance.json copy, or null. */
  performancePath?: string | null;
  gzip: boolean;
  /** Metadata (`--env`, `--zuul-inventory`, `--meta` merged), or null without any. */
  env: Partial<Dataset> | null;
  generator: string;
}

export function buildConfig(c: ConfigInput): ConfigFile {
  const dataset: Dataset = {
    name: null,
    url: null,
    status: null,
    ci_username: null,
    pipeline: null,
    change_id: null,
    revision: null,
    change_project: null,
    change_subject: null,
    ...(c.env ?? {}),
    artifacts: [],
  };
  if (c.dstatPath !== null) {
    dataset.artifacts.push({
      path: c.dstatPath,
      artifact_name: 'dstat_log.csv',
      artifact_type: 'dstat',
      content_type: 'text/csv',
      primary: false,
      ...(c.gzip ? { content_encoding: 'gzip' as const } : {}),
    });
  }
  const extra = (path: string, name: string, type: string, contentType: string): Artifact => ({
    path,
    artifact_name: name,
    artifact_type: type,
    content_type: contentType,
    primary: false,
    ...(c.gzip ? { content_encoding: 'gzip' as const } : {}),
  });
  const recorded = c.dstatRecordedPath ?? null;
  if (recorded !== null)
    dataset.artifacts.push(extra(recorded, 'dstat_pcp.csv', 'dstat-recorded', 'text/csv'));
  const perf = c.performancePath ?? null;
  if (perf !== null)
    dataset.artifacts.push(extra(perf, 'performance.json', 'performance', 'application/json'));
  dataset.artifacts.push(...c.artifacts);
  const tempest = c.runs.map((r) =>
    c.dstatPath === null
      ? r
      : { ...r, dstat: c.dstatPath, ...(recorded === null ? {} : { dstat_recorded: recorded }) },
  );
  return {
    tempest,
    deployer: false,
    datasets: [dataset],
    generator: c.generator,
    ...(perf === null ? {} : { performance: perf }),
  };
}
