// `stackviz compare` of two export folders made with --performance: the run changes plus devstack's
// performance.json changes (service memory, queries, API calls), as JSON and as text; a side without one adds none.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PerformanceComparison } from '../../src/model/performance.js';
import { FAILURE, STREAMS, sv, tmp } from '../history/cli.js';

const EXPORT_BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const PERF = join(process.cwd(), 'test', 'fixtures', 'performance');

function exportWith(stream: string, performance: string | null): string {
  const dest = join(tmp(), 'out');
  const args = [
    EXPORT_BIN,
    '-q',
    '-f',
    stream,
    ...(performance === null ? [] : ['--performance', performance]),
    dest,
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return dest;
}

describe('stackviz compare with performance.json on both sides', () => {
  it('adds the performance changes to the JSON and the text', () => {
    const a = exportWith(join(STREAMS, 'stestr-successful.subunit'), join(PERF, 'performance-v1.json'));
    const b = exportWith(FAILURE, join(PERF, 'performance-v2.json'));
    const r = sv(['compare', a, b, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(r.stdout) as { new_failures: string[]; performance?: PerformanceComparison };
    expect(Array.isArray(got.new_failures)).toBe(true);
    expect(got.performance).toBeDefined();
    expect(JSON.stringify(got.performance)).toMatch(/MemoryCurrent|memory|queries|api/i);

    const text = sv(['compare', a, b]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/new failures/);
    expect(text.stdout.toLowerCase()).toMatch(/memory|queries|api/);
  });

  it('adds nothing when one side has no performance.json', () => {
    const a = exportWith(join(STREAMS, 'stestr-successful.subunit'), join(PERF, 'performance-v1.json'));
    const b = exportWith(FAILURE, null);
    const got = JSON.parse(sv(['compare', a, b, '--json']).stdout) as Record<string, unknown>;
    expect(got['performance']).toBeUndefined();
  });
});
