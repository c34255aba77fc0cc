// Zuul v3's zuul-info/inventory.yaml → run metadata: the job's `all.vars.zuul` mapped onto config.json's dataset.
//
// Zuul's executor writes the inventory with yamlutil.ansible_unsafe_dump, which tags every string `!unsafe`
// (zuul/executor/server.py writeInventory; zuul/lib/yamlutil.py); zuul-jobs' log-inventory role copies it to
// the build's logs as zuul-info/inventory.yaml. Older Zuuls wrote it untagged. Either is read: a tag we do not
// know (`!unsafe`, `!encrypted/...`, anything) keeps its plain value.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { isScalar, parseDocument, parse as parseYaml, visit, Scalar } from 'yaml';
import type { RunMetadata } from '../model/metadata.js';
import { describeFsError, InputError } from './errors.js';
import { isGzip } from './gzip.js';

/** The `zuul` variables we map (the rest are ignored). */
export interface ZuulVars {
  job: string;
  project: { name: string; canonical_name: string | null; short_name: string | null };
  pipeline: string | null;
  change: string | null;
  patchset: string | null;
  change_url: string | null;
  /** The change's commit message, decoded (Zuul writes it base64-encoded). */
  message: string | null;
  branch: string | null;
  ref: string | null;
  tag: string | null;
  newrev: string | null;
  oldrev: string | null;
  build: string | null;
  buildset: string | null;
  tenant: string | null;
  event_id: string | null;
  attempts: string | null;
  voting: string | null;
}

/** A malformed inventory: `problem` is one line. */
export class ZuulInventoryError extends Error {
  override name = 'ZuulInventoryError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Unknown tags dropped, so the node is what it would be untagged (a plain `!x 3` is the number 3). */
function dropUnknownTags(doc: ReturnType<typeof parseDocument>): void {
  visit(doc, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (tag === undefined || tag.startsWith('tag:yaml.org,2002:')) return;
      (node as { tag?: string }).tag = undefined;
      if (isScalar(node) && node.type === Scalar.PLAIN && typeof node.value === 'string') {
        node.value = parseYaml(node.value) as unknown;
      }
      // Collections keep their entries: an unknown tag on a map or a list leaves a map or a list.
    },
  });
}

/** A scalar var as text (numbers and booleans as written); null when absent; a collection is malformed. */
function scalarText(z: Obj, key: string): string | null {
  const v = z[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ZuulInventoryError(
    `all.vars.zuul.${key} is a ${Array.isArray(v) ? 'list' : 'mapping'}, not a value`,
  );
}

/** Zuul base64-encodes the commit message (executor make_inventory_dict); older ones wrote it as is. */
function decodeMessage(m: string | null): string | null {
  if (m === null) return null;
  const compact = m.replace(/\s+/g, '');
  if (compact.length > 0 && compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
      // eslint-disable-next-line no-control-regex
      if (!/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(text)) return text;
    } catch {
      // Not UTF-8: the message was plain text that happened to look like base64.
    }
  }
  return m;
}

/** Parse an inventory's text; throws ZuulInventoryError with the problem. */
export function parseZuulInventory(text: string): ZuulVars {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const err = doc.errors[0];
  if (err !== undefined) throw new ZuulInventoryError(`not YAML (${err.message.split('\n')[0] ?? ''})`);
  dropUnknownTags(doc);
  const root: unknown = doc.toJS({ maxAliasCount: 1000 });
  const all = isObj(root) ? root['all'] : undefined;
  const vars = isObj(all) ? all['vars'] : undefined;
  const zuul = isObj(vars) ? vars['zuul'] : undefined;
  if (!isObj(zuul)) {
    throw new ZuulInventoryError(
      isObj(vars) && vars['zuul'] !== undefined
        ? 'all.vars.zuul is not a mapping'
        : 'no all.vars.zuul (not a Zuul inventory.yaml?)',
    );
  }
  const job = zuul['job'];
  if (typeof job !== 'string') throw new ZuulInventoryError('all.vars.zuul.job is not a string');
  const project = zuul['project'];
  if (!isObj(project)) throw new ZuulInventoryError('all.vars.zuul.project is not a mapping');
  const projectName = project['name'];
  if (typeof projectName !== 'string') {
    throw new ZuulInventoryError('all.vars.zuul.project.name is not a string');
  }
  return {
    job,
    project: {
      name: projectName,
      canonical_name: scalarText(project, 'canonical_name'),
      short_name: scalarText(project, 'short_name'),
    },
    pipeline: scalarText(zuul, 'pipeline'),
    change: scalarText(zuul, 'change'),
    patchset: scalarText(zuul, 'patchset'),
    change_url: scalarText(zuul, 'change_url'),
    message: decodeMessage(scalarText(zuul, 'message')),
    branch: scalarText(zuul, 'branch'),
    ref: scalarText(zuul, 'ref'),
    tag: scalarText(zuul, 'tag'),
    newrev: scalarText(zuul, 'newrev'),
    oldrev: scalarText(zuul, 'oldrev'),
    build: scalarText(zuul, 'build'),
    buildset: scalarText(zuul, 'buildset'),
    tenant: scalarText(zuul, 'tenant'),
    event_id: scalarText(zuul, 'event_id'),
    attempts: scalarText(zuul, 'attempts'),
    voting: scalarText(zuul, 'voting'),
  };
}

/**
 * Zuul's variables onto the dataset: name ← job, url ← change_url, pipeline, change_id ← change,
 * revision ← patchset (newrev for a ref update), change_project ← project.name, change_subject ← the
 * message's first line. The rest go to `metadata` under their Zuul names (project.canonical_name as
 * `project_canonical_name`).
 */
export function zuulMetadata(z: ZuulVars): RunMetadata {
  const subject = z.message?.split('\n', 1)[0]?.trim() ?? '';
  const fields: RunMetadata['fields'] = { name: z.job, change_project: z.project.name };
  if (z.change_url !== null) fields.url = z.change_url;
  if (z.pipeline !== null) fields.pipeline = z.pipeline;
  if (z.change !== null) fields.change_id = z.change;
  const revision = z.patchset ?? z.newrev;
  if (revision !== null) fields.revision = revision;
  if (subject !== '') fields.change_subject = subject;
  const extra: Record<string, string> = {};
  const put = (k: string, v: string | null): void => {
    if (v !== null && v !== '') extra[k] = v;
  };
  put('project_canonical_name', z.project.canonical_name);
  for (const k of [
    'tenant',
    'branch',
    'ref',
    'tag',
    'build',
    'buildset',
    'event_id',
    'attempts',
    'voting',
  ] as const)
    put(k, z[k]);
  if (z.patchset !== null) put('newrev', z.newrev);
  put('oldrev', z.oldrev);
  return { fields, extra };
}

/** Read `--zuul-inventory FILE`: one InputError naming the file and the problem when it cannot be used. */
export async function readZuulInventory(path: string): Promise<{ vars: ZuulVars; metadata: RunMetadata }> {
  let text: string;
  try {
    const bytes = await readFile(path);
    // Log servers may keep it as inventory.yaml.gz.
    text = (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  try {
    const vars = parseZuulInventory(text);
    return { vars, metadata: zuulMetadata(vars) };
  } catch (e) {
    if (e instanceof ZuulInventoryError) {
      throw new InputError(path, e.message, `'${path}': not a usable Zuul inventory: ${e.message}`);
    }
    throw e;
  }
}
