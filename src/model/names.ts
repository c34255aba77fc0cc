// Test id → display name, as the original exporter's `_clean_name` does, keeping the `[...]` attributes.

/**
 * Python's `re` differs from JS in two ways that matter here: `.` matches everything but `\n`
 * (JS also excludes `\r`, U+2028, U+2029), and `$` also matches just before a final `\n`.
 * These patterns spell that out so odd ids are cleaned exactly as the original cleaned them.
 */
const NAME_TAGS_PATTERN = /^([^\n]+)\[([^\n]+)\](?=\n?$)/;
const NAME_SCENARIO_PATTERN = /^([^\n]+) \(([^\n]+)\)(?=\n?$)/;

export interface CleanName {
  /** The cleaned name written as `name`. */
  name: string;
  /** The `[...]` contents split on `,`; empty when the id had none. */
  attributes: string[];
}

/**
 * Clean a subunit test id: `a.b.test_x[id-1,smoke]` → `a.b.test_x` (attributes `id-1`, `smoke`);
 * otherwise `method (some.Class)` → `some.Class.method`. Only one rule applies, the tags rule first,
 * as in the original (so `m (C)[x]` becomes `m (C)`).
 */
export function cleanTestId(id: string): CleanName {
  const tags = NAME_TAGS_PATTERN.exec(id);
  if (tags) return { name: tags[1] as string, attributes: (tags[2] as string).split(',') };
  const scenario = NAME_SCENARIO_PATTERN.exec(id);
  if (scenario) return { name: `${scenario[2] as string}.${scenario[1] as string}`, attributes: [] };
  return { name: id, attributes: [] };
}

/** Python's `re.sub(r'\W', '', s)` on str: keeps letters, digits/numerics and `_` of any script. */
export function stripNonWord(s: string): string {
  return s.replace(/[^\p{L}\p{N}_]/gu, '');
}
