// Timestamps as the original printed them: Python `datetime.isoformat()` in UTC, and timedelta seconds.

/** `00`..`59`: two-digit fields without padding calls. */
const TWO = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
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

/**
 * Integer µs since the epoch → `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, the form Python's `isoformat()`
 * gives a UTC-aware datetime: the fraction is left out when the microseconds are zero.
 */
export function isoFromMicros(us: number): string {
  // Called twice per test: the date is cached per day, the time of day is plain arithmetic.
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  const day = Math.floor(sec / 86_400);
  let rest = sec - day * 86_400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const base = `${datePart(day)}${TWO[h] as string}:${TWO[m] as string}:${TWO[rest - m * 60] as string}`;
  return frac === 0 ? `${base}+00:00` : `${base}.${String(1_000_000 + frac).slice(1)}+00:00`;
}

/** `(end - start).total_seconds()`: integer µs divided by 10**6, one correctly rounded division. */
export function durationSeconds(startUs: number | null, endUs: number | null): number | null {
  if (startUs === null || endUs === null) return null;
  return (endUs - startUs) / 1e6;
}
