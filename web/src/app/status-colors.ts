// Status colours shared by every part of the viewer (home counts, details badges, timeline bars, legend).
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';

/**
 * Fill colours per status, from the Okabe–Ito palette (distinguishable with the common colour-vision
 * deficiencies) plus neutral greys. Fail (vermillion) and success (bluish green) differ in lightness as well
 * as hue, so they stay apart even in greyscale; the rarer statuses take the remaining hues.
 */
export const STATUS_FILL: Readonly<Record<ExportStatus, string>> = {
  success: '#009E73',
  fail: '#D55E00',
  skip: '#56B4E9',
  xfail: '#CC79A7',
  uxsuccess: '#E69F00',
  exists: '#9A9A9A',
  inprogress: '#F0E442',
  unknown: '#3D3D3D',
};

/** Same hues on a dark background: only the two that would vanish there change. */
export const STATUS_FILL_DARK: Readonly<Record<ExportStatus, string>> = {
  ...STATUS_FILL,
  exists: '#8C8C8C',
  unknown: '#D0D0D0',
};

/**
 * Text drawn on top of a status fill (badges): the one of near-black and white with contrast ≥ 4.5:1
 * (white on the green is 3.3:1 and on the vermillion 3.9:1; near-black gives 5.5:1 and 4.9:1).
 */
export const STATUS_ON_FILL: Readonly<Record<ExportStatus, string>> = {
  success: '#111111',
  fail: '#111111',
  skip: '#111111',
  xfail: '#111111',
  uxsuccess: '#111111',
  exists: '#111111',
  inprogress: '#111111',
  unknown: '#FFFFFF',
};

export const STATUS_LABEL: Readonly<Record<ExportStatus, string>> = {
  success: 'success',
  fail: 'fail',
  skip: 'skip',
  xfail: 'expected fail',
  uxsuccess: 'unexpected success',
  exists: 'exists',
  inprogress: 'in progress',
  unknown: 'unknown',
};

/** The status stored at TestTable.status[i] (an index into EXPORT_STATUSES). */
export function statusAt(code: number): ExportStatus {
  return EXPORT_STATUSES[code] ?? 'unknown';
}

/** True when the page is drawn with the dark theme (follows the OS setting, like styles/app.css). */
export function prefersDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Fill colour for a status in the current theme (canvas code calls this once per draw, not per bar). */
export function statusFill(status: ExportStatus, dark: boolean = prefersDark()): string {
  return (dark ? STATUS_FILL_DARK : STATUS_FILL)[status];
}

/** Fill colours indexed like TestTable.status, for hot loops over the column. */
export function statusFillByCode(dark: boolean = prefersDark()): readonly string[] {
  return EXPORT_STATUSES.map((s) => statusFill(s, dark));
}
