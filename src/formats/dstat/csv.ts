// CSV cell splitting for dstat logs: one physical line at a time, quoted cells, lenient about damage.

/**
 * Split one CSV line into cells. Quoted cells may hold commas and doubled quotes (`""`). A quote left open
 * ends at the end of the line: dstat never writes a cell that spans lines, and a damaged log must not let one
 * stray quote swallow the rest of the file. Text after a closing quote (`"a"b`) is kept, as most readers do.
 */
export function splitCsvLine(line: string, maxCells = Infinity): string[] {
  const cells: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    // Data rows only need the columns the reader maps: the long `--top-*-adv` text cells at the end are left.
    if (cells.length >= maxCells) return cells;
    if (i < n && line.charCodeAt(i) === 34 /* " */) {
      let cell = '';
      let start = i + 1;
      i = start;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          cell += line.slice(start);
          i = n;
          break;
        }
        if (line.charCodeAt(q + 1) === 34) {
          cell += line.slice(start, q + 1);
          i = q + 2;
          start = i;
          continue;
        }
        cell += line.slice(start, q);
        i = q + 1;
        break;
      }
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(cell + line.slice(i));
        return cells;
      }
      cells.push(cell + line.slice(i, comma));
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** A number from a cell, or NaN for an empty, non-numeric or non-finite cell (`Number('')` would say 0). */
export function parseCellNumber(cell: string | undefined): number {
  if (cell === undefined) return NaN;
  const fast = parsePlainDecimal(cell);
  if (fast === fast) return fast; // not NaN
  const t = cell.trim();
  if (t.length === 0) return NaN;
  const c = t.charCodeAt(0);
  // Only decimal notation: text such as `Top: bash` or `Infinity` is rejected on its first character, and
  // Number's `0x`/`0b`/`0o` prefixes on their second.
  if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return NaN;
  if (c === 48 && t.length > 1 && 'xXbBoO'.includes(t.charAt(1))) return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The fast path for what dstat writes (`123`, `-0.5`, `896675.716`): digits, an optional dot and digits, at most
 * 15 significant digits, so the integer and the power of ten are exact and one IEEE division rounds exactly as
 * Number() would. Anything else (exponents, spaces, long digit runs) returns NaN for the slow path.
 */
function parsePlainDecimal(s: string): number {
  const n = s.length;
  if (n === 0 || n > 17) return NaN;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) {
      frac = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = frac > 0 ? m / (POW10[frac] ?? NaN) : m;
  return neg ? -v : v;
}
