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
  return plainDecimalAt(s, 0, s.length);
}

/**
 * One data row's cells without a string per cell: their bounds in the line, numbers parsed in place. A
 * 10,000-row log has a quarter of a million cells, and allocating each one dominated the parse.
 */
export class RowCells {
  private line = '';
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private n = 0;
  /** Set when a cell needs unescaping (a doubled quote): then the split strings are used instead. */
  private cells: string[] | null = null;

  /** Read the bounds of up to maxCells cells of `line`. */
  load(line: string, maxCells: number): void {
    this.line = line;
    this.cells = null;
    if (this.starts.length < maxCells) {
      this.starts = new Int32Array(maxCells);
      this.ends = new Int32Array(maxCells);
    }
    const len = line.length;
    let i = 0;
    let n = 0;
    while (n < maxCells) {
      if (line.charCodeAt(i) === 34) {
        const q = line.indexOf('"', i + 1);
        const comma = q < 0 ? -1 : line.indexOf(',', q);
        // A doubled quote or text after the closing quote: leave it to splitCsvLine's rules.
        if (q < 0 || line.charCodeAt(q + 1) === 34 || (comma < 0 ? q + 1 !== len : comma !== q + 1)) {
          this.cells = splitCsvLine(line, maxCells);
          this.n = this.cells.length;
          return;
        }
        this.starts[n] = i + 1;
        this.ends[n] = q;
        n++;
        if (comma < 0) break;
        i = comma + 1;
      } else {
        const comma = line.indexOf(',', i);
        this.starts[n] = i;
        this.ends[n] = comma < 0 ? len : comma;
        n++;
        if (comma < 0) break;
        i = comma + 1;
      }
    }
    this.n = n;
  }

  get count(): number {
    return this.n;
  }

  str(i: number): string {
    if (this.cells !== null) return this.cells[i] ?? '';
    return i < this.n ? this.line.slice(this.starts[i], this.ends[i]) : '';
  }

  num(i: number): number {
    if (i < 0 || i >= this.n) return NaN;
    if (this.cells !== null) return parseCellNumber(this.cells[i]);
    const s = this.starts[i] ?? 0;
    const e = this.ends[i] ?? 0;
    const v = plainDecimalAt(this.line, s, e);
    return v === v ? v : parseCellNumber(this.line.slice(s, e));
  }
}

/** parsePlainDecimal over line[s, e) without slicing it. */
function plainDecimalAt(line: string, s: number, e: number): number {
  if (e <= s || e - s > 17) return NaN;
  let i = s;
  let neg = false;
  if (line.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = line.charCodeAt(i);
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
