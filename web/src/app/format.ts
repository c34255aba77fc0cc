// Human formats for times and durations; UTC everywhere so two people see the same numbers.

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const neg = seconds < 0 ? '−' : '';
  const s = Math.abs(seconds);
  if (s < 1) return `${neg}${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`;
  if (s < 60) return `${neg}${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${neg}${m} min ${Math.round(s - m * 60)} s`;
  const hr = Math.floor(m / 60);
  return `${neg}${hr} h ${m - hr * 60} min`;
}

/** `2018-09-28 02:46:35.626 UTC` from UTC ms (NaN → –). */
export function formatUtc(ms: number, withMs = true): string {
  if (!Number.isFinite(ms)) return '–';
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withMs ? 23 : 19)} UTC`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
