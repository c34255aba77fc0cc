// A run's metadata from the command line, for `stackviz-export` and `stackviz record` alike: `--meta` over
// `--zuul-inventory` over `--env`, field by field, as config.json's dataset; and the same flattened into the
// key/value pairs the history store keeps with each run.
import type { Dataset } from '../contract/export-format.js';
import { environmentParams } from '../export/config.js';
import {
  datasetFields,
  emptyMetadata,
  isDatasetField,
  mergeMetadata,
  parseMetaArgs,
  type RunMetadata,
} from '../model/metadata.js';

/** `--env`'s fields as a metadata layer. */
function environmentLayer(env: NodeJS.ProcessEnv): RunMetadata {
  const out = emptyMetadata();
  for (const [k, v] of Object.entries(environmentParams(env))) {
    if (isDatasetField(k) && typeof v === 'string') out.fields[k] = v;
  }
  return out;
}

/** The dataset's fields with the free-form `metadata` object beside them. */
export type DatasetMetadata = Partial<Dataset> & { metadata?: Record<string, string> };

/**
 * The dataset's metadata: `--meta` over `--zuul-inventory` over `--env` (field by field); null when none of
 * them was given (the dataset's fields stay null, as the original writes them). `--meta` errors are thrown as
 * MetaArgumentError (a usage error), a bad inventory as an InputError. The inventory's reader (and its YAML
 * parser) is loaded only when one is given.
 */
export async function readMetadata(o: {
  env: boolean;
  zuulInventory?: string;
  meta: readonly string[];
}): Promise<DatasetMetadata | null> {
  const meta = parseMetaArgs(o.meta);
  if (!o.env && o.zuulInventory === undefined && o.meta.length === 0) return null;
  const layers = [o.env ? environmentLayer(process.env) : emptyMetadata()];
  if (o.zuulInventory !== undefined) {
    const { readZuulInventory } = await import('../sources/zuul-inventory.js');
    layers.push((await readZuulInventory(o.zuulInventory)).metadata);
  }
  layers.push(meta);
  return datasetFields(mergeMetadata(...layers)) as DatasetMetadata;
}

/**
 * What the history store keeps with a run: the dataset's fields but `name` (the job, kept as the run's job),
 * and the free-form metadata, under their own names.
 */
export function storedMeta(d: DatasetMetadata | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d ?? {})) if (typeof v === 'string' && k !== 'name') out[k] = v;
  return Object.assign(out, d?.metadata ?? {});
}

/**
 * The job runs are recorded under: `--job`, else the metadata's name (`--meta name=`, the inventory's job,
 * `--env`'s JOB_NAME), else the job CI names in the environment (ZUUL_JOB, JOB_NAME: read with or without
 * `--env`); null when none is set. An empty value counts as none.
 */
export function jobName(
  job: string | undefined,
  d: DatasetMetadata | null,
  env: NodeJS.ProcessEnv,
): string | null {
  for (const v of [job, d?.name, env['ZUUL_JOB'], env['JOB_NAME']]) {
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}
