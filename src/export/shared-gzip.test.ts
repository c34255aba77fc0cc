// Tests for the -z shared shard compression: CRC combination and the files it assembles.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { OutputDir } from './output.js';
import { crc32Combine, SharedGzipDetails } from './shared-gzip.js';

describe('crc32Combine', () => {
  it('equals the CRC of the concatenation', () => {
    const a = Buffer.from('{"a":"x\\n"}'.repeat(37));
    for (const len of [0, 1, 2, 3, 7, 64, 1000, 65537]) {
      const b = Buffer.alloc(len, 0);
      for (let i = 0; i < len; i++) b[i] = (i * 131 + 7) & 0xff;
      expect(crc32Combine(crc32(a), crc32(b), len)).toBe(crc32(Buffer.concat([a, b])));
    }
  });
});

describe('SharedGzipDetails', () => {
  const run = async (shards: string[][]): Promise<{ details: string; shards: string[] }> => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-sgz-'));
    const out = await OutputDir.open(join(dir, 'dest'), true);
    const s = new SharedGzipDetails(out, 'd.json');
    const paths: string[] = [];
    shards.forEach((entries, i) => {
      s.endShard();
      paths.push(s.startShard(`d/${i}.json`));
      entries.forEach((e, k) => s.write(k === 0 ? e : `,${e}`));
    });
    await s.finish();
    await out.commit({ deployer: false, datasets: [] }, [s.details.relPath, ...paths]);
    const read = (p: string): string => gunzipSync(readFileSync(join(dir, 'dest', p))).toString('utf8');
    return { details: read(s.details.relPath), shards: paths.map(read) };
  };

  it('makes valid gzip files: each shard, and the details as all entries in one object', async () => {
    const big = `"big":{"log":"${'é line\\n'.repeat(50000)}"}`;
    const r = await run([['"a":{"x":"1"}', '"b":{}'], [big], ['"c":{"y":"→"}']]);
    expect(r.shards).toEqual(['{"a":{"x":"1"},"b":{}}', `{${big}}`, '{"c":{"y":"→"}}']);
    expect(r.details).toBe(`{"a":{"x":"1"},"b":{},${big},"c":{"y":"→"}}`);
    expect(JSON.parse(r.details)).toHaveProperty('c');
  });

  it('compresses a big shard in segments that still make one valid member per file', async () => {
    const entry = (i: number): string => `"t${i}":{"log":"${`${i} line\\n`.repeat(12_000)}"}`;
    const many = Array.from({ length: 40 }, (_, i) => entry(i)); // ~4 MB: three segments and more
    const r = await run([many.slice(0, 30), ['"x":{}'], many.slice(30)]);
    expect(r.shards).toEqual([
      `{${many.slice(0, 30).join(',')}}`,
      '{"x":{}}',
      `{${many.slice(30).join(',')}}`,
    ]);
    expect(r.details).toBe(`{${[...many.slice(0, 30), '"x":{}', ...many.slice(30)].join(',')}}`);
    expect(Object.keys(JSON.parse(r.details) as object)).toHaveLength(41);
  });

  it('writes an empty object when there are no shards', async () => {
    expect(await run([])).toEqual({ details: '{}', shards: [] });
  });
});
