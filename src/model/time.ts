// Timestamps as the original printed them: Python `datetime.isoformat()` in UTC, and timedelta seconds.

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

let cachedDay = Number.NaN;
let cachedDate = '';

/** `YYYY-MM-DDT` of a day number (days since 1970-01-01), the same for every instant of that day. */
function datePart(day: number): string {
  if (day !== cachedDay) {
    const d = new Date(day * 86_400_000);
    const year = d.getUTCFullYear();
    // Python pads the year to 4 digits; years outside 1..9999 cannot come out of a datetime at all.
    const y = year >= 0 && year < 10000 ? String(year).padStart(4, '0') : String(year);
    cachedDate = `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T`;
    cachedDay = day;
  }
  return cachedDate;
}

/** Bytes `putIsoFromMicros` may write: the longest date part Date can give, and the rest. */
export const ISO_MAX_BYTES = 48;

/**
 * Integer µs since the epoch → `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` as ASCII bytes into `out` at `at` (room:
 * ISO_MAX_BYTES); returns the position after it. The form Python's `isoformat()` gives a UTC-aware datetime:
 * the fraction is left out when the microseconds are zero. Called twice per test: the date is cached per
 * day, the time of day is plain arithmetic, and no string is made.
 */
export function putIsoFromMicros(out: Uint8Array, at: number, us: number): number {
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  const day = Math.floor(sec / 86_400);
  let rest = sec - day * 86_400;
  const date = datePart(day);
  let p = at;
  for (let i = 0; i < date.length; i++) out[p++] = date.charCodeAt(i);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  out[p++] = 0x30 + Math.floor(h / 10);
  out[p++] = 0x30 + (h % 10);
  out[p++] = 0x3a;
  out[p++] = 0x30 + Math.floor(m / 10);
  out[p++] = 0x30 + (m % 10);
  out[p++] = 0x3a;
  out[p++] = 0x30 + Math.floor(s / 10);
  out[p++] = 0x30 + (s % 10);
  if (frac !== 0) {
    out[p++] = 0x2e;
    for (let d = 100_000, f = frac; d >= 1; d /= 10) {
      const digit = Math.floor(f / d);
      out[p++] = 0x30 + digit;
      f -= digit * d;
    }
  }
  for (let i = 0; i < UTC.length; i++) out[p++] = UTC.charCodeAt(i);
  return p;
}

const UTC = '+00:00';
const ISO_SCRATCH = new Uint8Array(ISO_MAX_BYTES);

/** `putIsoFromMicros` as a string. */
export function isoFromMicros(us: number): string {
  const n = putIsoFromMicros(ISO_SCRATCH, 0, us);
  return String.fromCharCode(...ISO_SCRATCH.subarray(0, n));
}

/** `(end - start).total_seconds()`: integer µs divided by 10**6, one correctly rounded division. */
export function durationSeconds(startUs: number | null, endUs: number | null): number | null {
  if (startUs === null || endUs === null) return null;
  return (endUs - startUs) / 1e6;
}
