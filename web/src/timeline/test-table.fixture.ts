// Builds small TestTables for the timeline's unit tests (not shipped: only the tests import it).
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import type { TestTable } from '../model/types';

export interface FixtureTest {
  name: string;
  status?: ExportStatus;
  worker?: number;
  /** Seconds from 0 (UTC ms = s × 1000); null = unknown. */
  start: number | null;
  end: number | null;
}

export function makeTable(list: readonly FixtureTest[]): TestTable {
  return {
    count: list.length,
    name: list.map((t) => t.name),
    id: list.map((t) => t.name),
    status: Uint8Array.from(list.map((t) => EXPORT_STATUSES.indexOf(t.status ?? 'success'))),
    worker: Int32Array.from(list.map((t) => t.worker ?? -1)),
    startMs: Float64Array.from(list.map((t) => (t.start === null ? NaN : t.start * 1000))),
    endMs: Float64Array.from(list.map((t) => (t.end === null ? NaN : t.end * 1000))),
    durationS: Float64Array.from(
      list.map((t) => (t.start === null || t.end === null ? NaN : t.end - t.start)),
    ),
    tags: list.map((t) => (t.worker === undefined ? [] : [`worker-${t.worker}`])),
    attributes: list.map(() => []),
    detailsKey: list.map(() => null),
  };
}
