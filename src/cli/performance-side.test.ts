// performanceOfSide: a compare side's performance report, from an export folder or a performance.json.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { comparePerformance, comparePerformanceText } from '../model/performance.js';
import { performanceOfSide } from './performance-side.js';

const V1 = 'test/fixtures/performance/performance-v1.json';
const V2 = 'test/fixtures/performance/performance-v2.json';

describe('performanceOfSide', () => {
  it('reads an export folder through config.json (gzipped or not), a performance.json, or nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-perf-side-'));
    const exp = join(dir, 'export');
    mkdirSync(exp);
    writeFileSync(
      join(exp, 'config.json'),
      JSON.stringify({ datasets: [], performance: 'performance.json.gz' }),
    );
    writeFileSync(join(exp, 'performance.json.gz'), gzipSync(readFileSync(V2)));
    expect((await performanceOfSide(exp))?.version).toBe(2);
    expect((await performanceOfSide(V1))?.version).toBe(1);
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'config.json'), '{"datasets": []}');
    expect(await performanceOfSide(plain)).toBeNull();
    expect(await performanceOfSide('test/fixtures/streams/stestr-failure.subunit')).toBeNull();
    expect(await performanceOfSide(join(dir, 'missing'))).toBeNull();
  });

  it('gives compare a text of what changed', async () => {
    const a = await performanceOfSide(V1);
    const b = await performanceOfSide(V2);
    if (a === null || b === null) throw new Error('both fixtures read');
    const text = comparePerformanceText(comparePerformance(a, b));
    expect(text).toContain('apache2.service: new: 32.4 MiB');
    expect(text).toContain('(none): gone (was 1,410)');
    expect(text).not.toContain('devstack@q-svc.service');
    expect(comparePerformanceText(comparePerformance(b, b))).toBe('performance: no change');
  });
});
