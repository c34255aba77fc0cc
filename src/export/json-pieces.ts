// JSON text in pieces: what JSON.stringify gives, without one string of the whole. config.json and the stats
// file inline every failure and skip of a run (8.5 MB for 400,000 tests): as one string, then one buffer,
// they were the export's peak memory.

/** Values this many levels deep are stringified whole (config → tempest → run → stats → failures → one). */
const WHOLE_BELOW = 5;
/** Characters of whole elements gathered into one piece. */
const PIECE_CHARS = 64 * 1024;

/**
 * Objects whose JSON is already encoded (UTF-8 pieces, which may be read from a file each time they are
 * iterated): a run's failure and skip lists.
 */
export type EncodedJson = ReadonlyMap<object, Iterable<Uint8Array>>;

/**
 * The JSON text of a plain data value (objects, arrays, strings, numbers, booleans, null; no `toJSON`), in
 * pieces whose concatenation is exactly `JSON.stringify(value)`: keys whose value is undefined are left
 * out, undefined in an array is `null`. An object in `encoded` is given as its encoded pieces.
 */
export function* jsonPieces(
  value: unknown,
  depth = 0,
  encoded: EncodedJson | null = null,
): Generator<string | Uint8Array> {
  if (encoded !== null && value !== null && typeof value === 'object') {
    const bytes = encoded.get(value);
    if (bytes !== undefined) {
      yield* bytes;
      return;
    }
  }
  if (depth >= WHOLE_BELOW || value === null || typeof value !== 'object') {
    yield JSON.stringify(value) ?? 'null';
    return;
  }
  if (Array.isArray(value)) {
    if (depth + 1 >= WHOLE_BELOW) {
      // Elements stringified whole, joined into pieces of ~64K characters: no generator per element (a
      // run's thousands of failures and skips).
      let text = '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) text += ',';
        text += JSON.stringify(value[i]) ?? 'null';
        if (text.length >= PIECE_CHARS) {
          yield text;
          text = '';
        }
      }
      yield `${text}]`;
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      yield* jsonPieces(value[i] === undefined ? null : value[i], depth + 1, encoded);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    yield `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    yield* jsonPieces(v, depth + 1, encoded);
  }
  yield '}';
}
