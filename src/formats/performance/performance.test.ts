// The performance.json reader on fixtures written by devstack's own get-stats.py (both versions) and bad inputs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePerformance, PerformanceFormatError, queriesPerDb } from './index.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/performance/${name}`, import.meta.url), 'utf8');

describe('parsePerformance', () => {
  it('reads version 1 (db: [{queries, db}], plain method keys)', () => {
    const r = parsePerformance(fixture('performance-v1.json'));
    expect(r.version).toBe(1);
    expect(r.hostname).toBe('ubuntu-noble-rax-dfw-0041');
    expect(r.services).toHaveLength(7);
    expect(r.services.find((s) => s.service === 'devstack@q-svc.service')?.memory).toBe(402657280);
    // "[not set]" stays a string in the producer (tryint): no value, not an error.
    expect(r.services.find((s) => s.service === 'devstack@etcd.service')?.memory).toBeNull();
    expect(r.db[0]).toEqual({ db: 'nova_cell1', op: null, count: 48211 });
    expect(r.db.find((q) => q.db === null)?.count).toBe(1410);
    const compute = r.api.find((s) => s.service === 'compute');
    expect(compute?.calls).toEqual([
      { agent: null, method: 'GET', count: 2 },
      { agent: null, method: 'POST', count: 1 },
      { agent: null, method: 'DELETE', count: 1 },
    ]);
    expect(compute?.total).toBe(4);
    expect(compute?.largest).toBe(20480);
    expect(r.processes.map((p) => p.cmd)).toContain('/usr/sbin/mysqld');
  });

  it('reads version 2 (db: [{db, op, count}], agent-METHOD keys)', () => {
    const r = parsePerformance(fixture('performance-v2.json'));
    expect(r.version).toBe(2);
    expect(r.services.find((s) => s.service === 'apache2.service')?.memory).toBe(33951744);
    expect(r.db).toContainEqual({ db: 'nova_cell1', op: 'UPDATE', count: 6204 });
    expect(queriesPerDb(r)[0]).toEqual({ db: 'nova_cell1', count: 40110 + 6204 + 1897 });
    const compute = r.api.find((s) => s.service === 'compute');
    expect(compute?.calls).toContainEqual({ agent: 'tempest', method: 'GET', count: 2 });
    const networking = r.api.find((s) => s.service === 'networking');
    expect(networking?.calls).toEqual([{ agent: 'nova-compute', method: 'GET', count: 1 }]);
    // Version 2 leaves out curl's calls and services whose name is not alphabetic.
    expect(r.api.map((s) => s.service)).not.toContain('healthcheck');
  });

  it.each([
    ['[]', /not a JSON object/],
    ['{"a": 1', /not JSON/],
    ['{"services": []}', /no "db" list/],
    ['  \n', /empty file/],
    ['{"services": {}, "db": [], "api": [], "processes": []}', /"services" is not a list/],
    ['{"services": [1], "db": [], "api": [], "processes": []}', /"services"\[0\] is not an object/],
    ['{"services": [{"MemoryCurrent": 1}], "db": [], "api": [], "processes": []}', /no "service" string/],
    ['{"services": [], "db": [{"db": "x"}], "api": [], "processes": []}', /neither "count" nor "queries"/],
    ['{"services": [], "db": [{"db": 3, "count": 1}], "api": [], "processes": []}', /no "db" name/],
    ['{"services": [], "db": [], "api": [{}], "processes": []}', /"api"\[0\] has no "service"/],
    ['{"services": [], "db": [], "api": [], "processes": [{"pid": 1}]}', /no "cmd" string/],
  ])('refuses %s', (json, problem) => {
    expect(() => parsePerformance(json)).toThrow(PerformanceFormatError);
    expect(() => parsePerformance(json)).toThrow(problem);
  });

  it('reads a report with no data (devstack failed before the stats database existed)', () => {
    const r = parsePerformance('{"services": [], "db": [], "processes": [], "api": [], "report": {}}');
    expect(r).toMatchObject({ version: 1, services: [], db: [], api: [], processes: [] });
  });
});
