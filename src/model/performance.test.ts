// comparePerformance on reports made by devstack's get-stats.py, across and within versions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePerformance, type PerformanceReport } from '../formats/performance/index.js';
import { comparePerformance } from './performance.js';

const fixture = (name: string): PerformanceReport =>
  parsePerformance(readFileSync(new URL(`../../test/fixtures/performance/${name}`, import.meta.url), 'utf8'));

describe('comparePerformance', () => {
  it('gives nothing but zero deltas for a report against itself', () => {
    const a = fixture('performance-v2.json');
    const c = comparePerformance(a, a);
    for (const list of [c.memory, c.db, c.dbOps, c.api, c.processes]) {
      expect(list.length).toBeGreaterThan(0);
      for (const d of list) expect(d.delta === 0 || (d.a === null && d.b === null)).toBe(true);
    }
  });

  it('compares version 1 with version 2: memory, db totals, API per service, no per-op rows', () => {
    const c = comparePerformance(fixture('performance-v1.json'), fixture('performance-v2.json'));
    expect(c.memory.find((d) => d.key === 'apache2.service')).toEqual({
      key: 'apache2.service',
      a: null,
      b: 33951744,
      delta: null,
    });
    expect(c.memory.find((d) => d.key === 'devstack@q-svc.service')?.delta).toBe(0);
    expect(c.db.find((d) => d.key === 'nova_cell1')).toEqual({
      key: 'nova_cell1',
      a: 48211,
      b: 48211,
      delta: 0,
    });
    expect(c.db.find((d) => d.key === '(none)')).toMatchObject({ a: 1410, b: null });
    expect(c.dbOps).toEqual([]);
    // v1 counted curl's health check and keyed by method only; v2 keys by agent.
    expect(c.api.find((d) => d.key === 'compute GET')).toMatchObject({ a: 2, b: null });
    expect(c.api.find((d) => d.key === 'compute tempest-GET')).toMatchObject({ a: null, b: 2 });
    expect(c.api.find((d) => d.key === 'compute')).toMatchObject({ a: 4, b: 4, delta: 0 });
  });

  it('finds what grew, biggest change first', () => {
    const a = fixture('performance-v2.json');
    const b: PerformanceReport = structuredClone(a);
    const qsvc = b.services.find((s) => s.service === 'devstack@q-svc.service');
    if (qsvc) qsvc.memory = (qsvc.memory ?? 0) + 50_000_000;
    b.db.push({ db: 'placement', op: 'SELECT', count: 900 });
    const sel = b.db.find((q) => q.db === 'neutron' && q.op === 'SELECT');
    if (sel) sel.count -= 733;
    b.processes = b.processes.filter((p) => !p.cmd.includes('etcd'));
    const c = comparePerformance(a, b);
    expect(c.memory[0]).toEqual({
      key: 'devstack@q-svc.service',
      a: 402657280,
      b: 452657280,
      delta: 50_000_000,
    });
    expect(c.db.find((d) => d.key === 'placement')).toEqual({
      key: 'placement',
      a: null,
      b: 900,
      delta: null,
    });
    expect(c.db.find((d) => d.key === 'neutron')?.delta).toBe(-733);
    expect(c.dbOps.find((d) => d.key === 'neutron SELECT')).toEqual({
      key: 'neutron SELECT',
      a: 17733,
      b: 17000,
      delta: -733,
    });
    const etcd = c.processes.find((d) => d.key.startsWith('/opt/stack/bin/etcd'));
    expect(etcd).toMatchObject({ a: 48496640, b: null, delta: null });
  });
});
