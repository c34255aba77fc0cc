// Failures grouped by signature: the exception line with its variable parts (numbers, UUIDs, addresses, IPs,
// paths) normalised, so 2,000 failures of one cause read as one line with a count.

/** What grouping needs of a failure: its exception line (`Type: message`, maybe a `\n` and `Details` line). */
export interface GroupInput {
  readonly exception?: string | null;
  readonly details: readonly string[] | null;
}

export interface FailureGroup {
  /** The normalised first line of the exception; '' for failures without a traceback. */
  readonly signature: string;
  /** The first member's exception line as it was, to show beside the signature. */
  readonly example: string;
  /** Indices into the input, in input order. */
  readonly members: number[];
}

// Order matters: a UUID holds hex digits and numbers, an IP and a path hold numbers.
const RULES: readonly [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[0-9a-f]{32}\b/gi, '<uuid>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '<ip>'],
  [/\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b/gi, '<ip>'],
  [/(?:[A-Za-z]:)?(?:\/[\w.@%+~-]+){2,}\/?/g, '<path>'],
  [/\b\d+(?:\.\d+)?\b/g, '<n>'],
];

/** The signature of one exception line: its first line, variable parts replaced, spaces collapsed. */
export function failureSignature(exception: string | null | undefined): string {
  if (exception == null) return '';
  let s = (exception.split('\n')[0] ?? '').trim();
  for (const [re, by] of RULES) s = s.replace(re, by);
  return s.replace(/\s+/g, ' ');
}

/** The exception line a failure is known by: `exception` when the stats carry it, else the original's lines. */
export function exceptionOf(f: GroupInput): string {
  if (f.exception !== undefined) return f.exception ?? '';
  return f.details ? f.details.join('\n') : '';
}

/** Groups failures by signature, largest group first (ties: the group seen first). */
export function groupFailures(failures: readonly GroupInput[]): FailureGroup[] {
  const bySig = new Map<string, FailureGroup>();
  failures.forEach((f, i) => {
    const line = exceptionOf(f);
    const sig = failureSignature(line);
    const g = bySig.get(sig);
    if (g) g.members.push(i);
    else bySig.set(sig, { signature: sig, example: line, members: [i] });
  });
  return [...bySig.values()].sort((a, b) => b.members.length - a.members.length);
}
