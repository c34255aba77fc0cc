// Name search (substring, regex, invalid regex) combined with the status toggles.
import { describe, expect, it } from 'vitest';
import { EXPORT_STATUSES, type ExportStatus } from '../../../src/contract/export-format';
import { compileQuery, filterTests } from './search';
import { makeTable } from './test-table.fixture';

const table = makeTable([
  { name: 'tempest.api.compute.test_servers.ServersTest.test_create', status: 'success', start: 0, end: 1 },
  { name: 'tempest.api.compute.test_servers.ServersTest.test_delete', status: 'fail', start: 0, end: 1 },
  { name: 'tempest.api.network.test_ports.PortsTest.test_list', status: 'skip', start: 0, end: 1 },
  { name: '<script>alert(1)</script>', status: 'success', start: 0, end: 1 },
]);
const all = new Set<ExportStatus>(EXPORT_STATUSES);

describe('search', () => {
  it('matches substrings case-insensitively', () => {
    const r = filterTests(table, 'SERVERS', false, all);
    expect(Array.from(r.matches)).toEqual([0, 1]);
    expect(Array.from(r.mask)).toEqual([1, 1, 0, 0]);
    expect(r.all).toBe(false);
    expect(r.nameMatchesByStatus.success).toBe(1);
    expect(r.nameMatchesByStatus.fail).toBe(1);
  });

  it('treats regex metacharacters literally in substring mode', () => {
    expect(Array.from(filterTests(table, '(1)', false, all).matches)).toEqual([3]);
    expect(Array.from(filterTests(table, 'test_(create|list)$', true, all).matches)).toEqual([0, 2]);
  });

  it('reports an invalid regular expression and filters nothing by name', () => {
    const m = compileQuery('test_(', true);
    expect(m.error).not.toBeNull();
    const r = filterTests(table, 'test_(', true, all);
    expect(r.error).toBe(m.error);
    expect(r.matches.length).toBe(4);
  });

  it('combines the query with the status toggles', () => {
    const r = filterTests(table, 'servers', false, new Set<ExportStatus>(['fail']));
    expect(Array.from(r.matches)).toEqual([1]);
    const none = filterTests(table, '', false, new Set<ExportStatus>());
    expect(none.matches.length).toBe(0);
    expect(none.all).toBe(false);
    expect(filterTests(table, '', false, all).all).toBe(true);
  });
});
