// dstat's local, yearless time: the `Date:` metadata, time zone names → UTC offsets, and the `time` cell formats.

/** A zone name resolved to one or more candidate offsets (minutes east of UTC). */
export interface ZoneGuess {
  /** Candidate offsets, most likely first; more than one when the abbreviation is used by several zones. */
  offsets: number[];
  /** False when the name was not recognised (then offsets is [0]: UTC assumed). */
  known: boolean;
}

/**
 * Abbreviations `strftime('%Z')` prints on common systems. Ambiguous ones list every reading, most common in CI
 * first; the reader picks among them with the caller's reference instant when it has one.
 */
const ZONES: ReadonlyMap<string, readonly number[]> = new Map<string, readonly number[]>([
  ['UTC', [0]],
  ['GMT', [0]],
  ['UT', [0]],
  ['Z', [0]],
  ['WET', [0]],
  ['WEST', [60]],
  ['BST', [60, 360]],
  ['IST', [330, 60, 120]],
  ['CET', [60]],
  ['CEST', [120]],
  ['MET', [60]],
  ['MEST', [120]],
  ['EET', [120]],
  ['EEST', [180]],
  ['MSK', [180]],
  ['IDT', [180]],
  ['EST', [-300]],
  ['EDT', [-240]],
  ['CST', [-360, 480]],
  ['CDT', [-300]],
  ['MST', [-420]],
  ['MDT', [-360]],
  ['PST', [-480]],
  ['PDT', [-420]],
  ['AKST', [-540]],
  ['AKDT', [-480]],
  ['HST', [-600]],
  ['AST', [-240, 180]],
  ['ADT', [-180]],
  ['NST', [-210]],
  ['NDT', [-150]],
  ['BRT', [-180]],
  ['ART', [-180]],
  ['PKT', [300]],
  ['HKT', [480]],
  ['SGT', [480]],
  ['AWST', [480]],
  ['JST', [540]],
  ['KST', [540]],
  ['ACST', [570]],
  ['ACDT', [630]],
  ['AEST', [600]],
  ['AEDT', [660]],
  ['NZST', [720]],
  ['NZDT', [780]],
  ['SAST', [120]],
  ['CAT', [120]],
  ['EAT', [180]],
  ['WAT', [60]],
  ['WIB', [420]],
]);

const NUMERIC_ZONE = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/** Resolve a zone name (`UTC`, `CET`, `+0530`, `-03`, `UTC+02:00`); unknown names → UTC, known=false. */
export function resolveZone(name: string): ZoneGuess {
  const t = name.trim();
  const named = ZONES.get(t.toUpperCase());
  if (named !== undefined) return { offsets: [...named], known: true };
  const m = NUMERIC_ZONE.exec(t);
  if (m !== null) {
    const hours = Number(m[2]);
    const minutes = m[3] === undefined ? 0 : Number(m[3]);
    if (hours <= 14 && minutes < 60) {
      const sign = m[1] === '-' ? -1 : 1;
      return { offsets: [sign * (hours * 60 + minutes)], known: true };
    }
  }
  return { offsets: [0], known: false };
}

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1],
  ['feb', 2],
  ['mar', 3],
  ['apr', 4],
  ['may', 5],
  ['jun', 6],
  ['jul', 7],
  ['aug', 8],
  ['sep', 9],
  ['oct', 10],
  ['nov', 11],
  ['dec', 12],
]);

/** The `Date:` metadata as written by both producers: `strftime('%d %b %Y %H:%M:%S %Z')`, local time. */
export interface MetadataDate {
  /** The local wall-clock time written as if it were UTC (ms); subtract the offset to get the instant. */
  localMs: number;
  year: number;
  /** The zone text after the time, or null when there was none. */
  zone: string | null;
}

const DATE_LINE = /^(\d{1,2}) ([A-Za-z]{3})[A-Za-z]* (\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:\s+(.+))?$/;

export function parseMetadataDate(text: string): MetadataDate | null {
  const m = DATE_LINE.exec(text.trim());
  if (m === null) return null;
  const month = MONTHS.get((m[2] ?? '').toLowerCase());
  if (month === undefined) return null;
  const year = Number(m[3]);
  const localMs = localToMs(year, month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), 0);
  if (Number.isNaN(localMs)) return null;
  const zone = m[7]?.trim() ?? '';
  return { localMs, year, zone: zone.length > 0 ? zone : null };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Wall-clock fields as UTC ms, or NaN when a field is out of range (29-02 in a common year, 25:00, ...). */
export function localToMs(
  year: number,
  month: number,
  day: number,
  h: number,
  min: number,
  s: number,
  ms: number,
): number {
  if (month < 1 || month > 12 || day < 1 || h > 23 || min > 59 || s > 60) return NaN;
  // Date.UTC rolls 31-04 over into 01-05; check the day exists in that month instead.
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31))) return NaN;
  return Date.UTC(year, month - 1, day, h, min, Math.min(s, 59), ms);
}

/** The layouts of the `time` column this reader understands (DSTAT_TIMEFMT can change it; these cover the
 *  default, `--time-adv`/debug milliseconds, pcp-dstat's `--times`, and an ISO layout with the year). */
export type TimeCell =
  | { kind: 'day-month'; day: number; month: number; h: number; min: number; s: number; ms: number }
  | { kind: 'clock'; h: number; min: number; s: number; ms: number }
  | { kind: 'full'; year: number; month: number; day: number; h: number; min: number; s: number; ms: number };

const DAY_MONTH = /^(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const CLOCK = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const FULL = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

function fraction(digits: string | undefined): number {
  if (digits === undefined) return 0;
  return Math.round(Number(`0.${digits}`) * 1000);
}

/** Two ASCII digits at i as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

export function parseTimeCell(cell: string): TimeCell | null {
  // Fast path for the default `dd-mm HH:MM:SS` (one per row, so it matters for 10,000-row logs).
  if (cell.length === 14 && cell.charCodeAt(2) === 45 && cell.charCodeAt(5) === 32) {
    const day = two(cell, 0);
    const month = two(cell, 3);
    const h = two(cell, 6);
    const min = two(cell, 9);
    const sec = two(cell, 12);
    if (
      day >= 0 &&
      month >= 0 &&
      h >= 0 &&
      min >= 0 &&
      sec >= 0 &&
      cell.charCodeAt(8) === 58 &&
      cell.charCodeAt(11) === 58
    ) {
      return { kind: 'day-month', day, month, h, min, s: sec, ms: 0 };
    }
  }
  const t = cell.trim();
  let m = DAY_MONTH.exec(t);
  if (m !== null) {
    return {
      kind: 'day-month',
      day: Number(m[1]),
      month: Number(m[2]),
      h: Number(m[3]),
      min: Number(m[4]),
      s: Number(m[5]),
      ms: fraction(m[6]),
    };
  }
  m = FULL.exec(t);
  if (m !== null) {
    return {
      kind: 'full',
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      h: Number(m[4]),
      min: Number(m[5]),
      s: Number(m[6]),
      ms: fraction(m[7]),
    };
  }
  m = CLOCK.exec(t);
  if (m !== null)
    return { kind: 'clock', h: Number(m[1]), min: Number(m[2]), s: Number(m[3]), ms: fraction(m[4]) };
  return null;
}

const DAY_MS = 86_400_000;
const HALF_YEAR_MS = 183 * DAY_MS;

/**
 * Turns successive time cells into local wall-clock ms (as if UTC). The year (and for `clock` cells the day)
 * comes from an anchor — the metadata date, or the reference instant — and then from the previous row, so a
 * log that crosses 31-12 → 01-01 (or midnight, for clock cells) keeps counting forward.
 */
export class LocalClock {
  private prevMs: number;

  constructor(anchorLocalMs: number) {
    this.prevMs = anchorLocalMs;
  }

  /** The last time returned (or the anchor before the first). */
  get lastMs(): number {
    return this.prevMs;
  }

  /** Local ms for a cell, or NaN when its fields are impossible. */
  next(cell: TimeCell): number {
    let v: number;
    if (cell.kind === 'full') {
      v = localToMs(cell.year, cell.month, cell.day, cell.h, cell.min, cell.s, cell.ms);
    } else if (cell.kind === 'day-month') {
      const year = new Date(this.prevMs).getUTCFullYear();
      v = localToMs(year, cell.month, cell.day, cell.h, cell.min, cell.s, cell.ms);
      // Half a year away from the previous row means the year changed in between (either way: the first row
      // may sit a second before a metadata date of 01 Jan).
      if (v - this.prevMs < -HALF_YEAR_MS)
        v = localToMs(year + 1, cell.month, cell.day, cell.h, cell.min, cell.s, cell.ms);
      else if (v - this.prevMs > HALF_YEAR_MS) {
        v = localToMs(year - 1, cell.month, cell.day, cell.h, cell.min, cell.s, cell.ms);
      }
    } else {
      if (cell.h > 23 || cell.min > 59 || cell.s > 60) return NaN;
      const dayStart = Math.floor(this.prevMs / DAY_MS) * DAY_MS;
      v = dayStart + ((cell.h * 60 + cell.min) * 60 + Math.min(cell.s, 59)) * 1000 + cell.ms;
      if (v - this.prevMs < -DAY_MS / 2) v += DAY_MS;
      else if (v - this.prevMs > DAY_MS / 2) v -= DAY_MS;
    }
    if (!Number.isNaN(v)) this.prevMs = v;
    return v;
  }
}
