// Text as the store keeps it: NUL (which PostgreSQL's text type refuses) and lone surrogates (which UTF-8
// cannot carry) escaped, so that every name comes back exactly as it was recorded, on both engines.

/** The escape character; itself escaped when it occurs in the text. */
/* eslint-disable no-control-regex -- NUL and the escape character are what this module is about */
const ESC = '\u0001';
const NEEDS = /[\0\u0001\ud800-\udfff]/;
const ESCAPABLE = /[\0\u0001]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPED = /\u0001(0|1|u[0-9a-f]{4})/g;

/** The text to store: `\0` → ESC '0', ESC → ESC '1', a lone surrogate → ESC 'u' and its four hex digits. */
export function encodeText(s: string): string {
  if (!NEEDS.test(s)) return s;
  return s.replace(ESCAPABLE, (c) => {
    if (c === '\0') return `${ESC}0`;
    if (c === ESC) return `${ESC}1`;
    return `${ESC}u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The text as recorded, from what the store holds. */
export function decodeText(s: string): string {
  if (!s.includes(ESC)) return s;
  return s.replace(ESCAPED, (_, code: string) => {
    if (code === '0') return '\0';
    if (code === '1') return ESC;
    return String.fromCharCode(parseInt(code.slice(1), 16));
  });
}
