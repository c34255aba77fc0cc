// The field names of the records written as bytes (raw entries, tree nodes and leaves), each from one table the
// compiler checks against the contract's types: a field renamed, added or dropped there fails to compile here.
import { Buffer } from 'node:buffer';
import type { RawEntry, TreeLeaf, TreeNode } from '../contract/export-format.js';

/** `K` when it lists every key of `T` (a table that misses one is `never`, and assigning it fails). */
type Complete<T, K extends readonly (keyof T)[]> = [Exclude<keyof T, K[number]>] extends [never] ? K : never;

/** A raw entry's fields in the order they are written (prepare.ts up to `route_code`, then run-writer's tail). */
const RAW_ENTRY_FIELDS = [
  'name',
  'status',
  'tags',
  'timestamps',
  'duration',
  'details',
  'id',
  'attributes',
  'worker',
  'route_code',
  'details_key',
  'details_range',
] as const satisfies readonly (keyof RawEntry)[];
const rawEntryFields: Complete<RawEntry, typeof RAW_ENTRY_FIELDS> = RAW_ENTRY_FIELDS;

/** What a tree leaf has beyond its entry's fields. */
const LEAF_FIELDS = ['name_full'] as const satisfies readonly (keyof TreeLeaf)[];
const leafFields: Complete<Omit<TreeLeaf, keyof RawEntry>, typeof LEAF_FIELDS> = LEAF_FIELDS;

/** An inner node of the tree. */
const NODE_FIELDS = ['name', 'children'] as const satisfies readonly (keyof TreeNode)[];
const nodeFields: Complete<TreeNode, typeof NODE_FIELDS> = NODE_FIELDS;

type Field = (typeof RAW_ENTRY_FIELDS)[number] | (typeof LEAF_FIELDS)[number] | (typeof NODE_FIELDS)[number];

/** `"<field>":` as UTF-8, for every field of the tables above. */
export const KEY = Object.fromEntries(
  [...rawEntryFields, ...leafFields, ...nodeFields].map((f) => [f, Buffer.from(`${JSON.stringify(f)}:`)]),
) as Record<Field, Buffer>;

/** Bytes joined into one buffer (constant pieces built from KEY). */
export const bytes = (...parts: (string | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
