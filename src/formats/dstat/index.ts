// The dstat CSV reader's public API: the exporter's `--dstat` check, the single-file writer's packed logs and the
// viewer's load lanes import this.
export { toClassicDstat, type ClassicDstat } from './classic.js';
export { checkDstatHeader, parseDstat, sniffDstat } from './dstat.js';
export { isPackedDstat, packDstatLog, unpackDstatLog } from './packed.js';
export type { DstatSeriesName, SeriesGroup } from './series.js';
export { SERIES_INFO, SERIES_NAMES } from './series.js';
export type { DstatColumn, DstatLog, DstatProducer } from './types.js';
export { DstatFormatError } from './types.js';
