// devstack's performance.json reader: the exporter's --performance check and the viewer's tables import this.
export { parsePerformance, PerformanceFormatError, queriesPerDb, readPerformance } from './performance.js';
export type {
  ApiCall,
  ApiService,
  DbQueries,
  PerformanceReport,
  ProcessMemory,
  ServiceMemory,
} from './performance.js';
