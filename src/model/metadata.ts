// Run metadata for config.json's dataset: `--meta KEY=VALUE` parsed, and layers (env, Zuul inventory, --meta) merged.

/** The dataset fields of config.json that metadata fills (the original's names). */
export const DATASET_FIELDS = [
  'name',
  'url',
  'status',
  'ci_username',
  'pipeline',
  'change_id',
  'revision',
  'change_project',
  'change_subject',
] as const;
export type DatasetField = (typeof DATASET_FIELDS)[number];

const FIELD_SET: ReadonlySet<string> = new Set(DATASET_FIELDS);
export const isDatasetField = (k: string): k is DatasetField => FIELD_SET.has(k);

/** One source of metadata: dataset fields (null clears a field) and any other keys, as text. */
export interface RunMetadata {
  fields: Partial<Record<DatasetField, string | null>>;
  extra: Record<string, string>;
}

export const emptyMetadata = (): RunMetadata => ({ fields: {}, extra: {} });

/** A `--meta` argument that is not KEY=VALUE. */
export class MetaArgumentError extends Error {
  override name = 'MetaArgumentError';
}

/** Keys are names, not text: letters, digits, `_`, `-`, `.`, `/` (e.g. `zuul.tenant`, `job`). */
const KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

/**
 * `--meta KEY=VALUE` arguments, in order (a later KEY wins). A dataset field's name sets that field (an empty
 * VALUE clears it); any other KEY goes to the dataset's `metadata` object.
 */
export function parseMetaArgs(args: readonly string[]): RunMetadata {
  const out = emptyMetadata();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new MetaArgumentError(`--meta ${JSON.stringify(arg)}: expected KEY=VALUE`);
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (!KEY.test(key)) {
      throw new MetaArgumentError(
        `--meta ${JSON.stringify(arg)}: KEY must start with a letter or _ and hold only letters, digits, _ . / -`,
      );
    }
    if (isDatasetField(key)) out.fields[key] = value === '' ? null : value;
    else out.extra[key] = value;
  }
  return out;
}

/** Layers merged, later over earlier (the CLI passes env, then the Zuul inventory, then --meta). */
export function mergeMetadata(...layers: RunMetadata[]): RunMetadata {
  const out = emptyMetadata();
  for (const l of layers) {
    Object.assign(out.fields, l.fields);
    Object.assign(out.extra, l.extra);
  }
  return out;
}

/** The dataset's metadata fields as config.json writes them: fields, plus `metadata` when there are extras. */
export function datasetFields(m: RunMetadata): Partial<Record<DatasetField, string | null>> & {
  metadata?: Record<string, string>;
} {
  const extras = Object.keys(m.extra).sort();
  return {
    ...m.fields,
    ...(extras.length === 0
      ? {}
      : { metadata: Object.fromEntries(extras.map((k) => [k, m.extra[k] ?? ''])) }),
  };
}
