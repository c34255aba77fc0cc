// `<source>` names for inputs: from base names, safe in a file name and URL fragment, distinct between inputs.

/** Characters kept as they are; anything else becomes `_`. */
const UNSAFE = /[^A-Za-z0-9_-]+/g;

/** A safe name from an input's base name: the extension of a stream file is dropped (`run.subunit` → `run`). */
export function baseSourceName(base: string, dropExtension: boolean): string {
  let b = base;
  if (dropExtension) {
    b = b.replace(/\.gz$/i, '');
    b = b.replace(/\.(subunit2?|stream|v[12])$/i, '');
  }
  const safe = b.replace(UNSAFE, '_').replace(/^_+|_+$/g, '');
  return safe === '' ? 'input' : safe.slice(0, 80);
}

/** Hands out names no other input has (compared without case, for case-insensitive file systems). */
export class NameAllocator {
  private readonly taken = new Set<string>();

  take(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.taken.has(name.toLowerCase()); n++) name = `${wanted}-${n}`;
    this.taken.add(name.toLowerCase());
    return name;
  }
}
