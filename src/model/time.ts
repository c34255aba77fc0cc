// Timestamps as the original printed them: Python `datetime.isoformat()` in UTC, and timedelta seconds.

let cachedSecond = Number.NaN;
let cachedBase = '';

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Integer µs since the epoch → `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, the form Python's `isoformat()`
 * gives a UTC-aware datetime: the fraction is left out when the microseconds are zero.
 */
export function isoFromMicros(us: number): string {
  // Timestamps come in runs within the same second: the `YYYY-MM-DDTHH:MM:SS` part is cached per second.
  const sec = Math.floor(us / 1e6);
  if (sec === cachedSecond) {
    const frac = us - sec * 1e6;
    return frac === 0 ? `${cachedBase}+00:00` : `${cachedBase}.${String(frac).padStart(6, '0')}+00:00`;
  }
  const ms = Math.floor(us / 1000);
  const micro = us - ms * 1000;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  // Python pads the year to 4 digits; years outside 1..9999 cannot come out of a datetime at all.
  const y = year >= 0 && year < 10000 ? String(year).padStart(4, '0') : String(year);
  const frac = d.getUTCMilliseconds() * 1000 + micro;
  const base =
    `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}` +
    `T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  cachedSecond = sec;
  cachedBase = base;
  return frac === 0 ? `${base}+00:00` : `${base}.${String(frac).padStart(6, '0')}+00:00`;
}

/** `(end - start).total_seconds()`: integer µs divided by 10**6, one correctly rounded division. */
export function durationSeconds(startUs: number | null, endUs: number | null): number | null {
  if (startUs === null || endUs === null) return null;
  return (endUs - startUs) / 1e6;
}
