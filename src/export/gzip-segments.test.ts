// Tests for the segmented gzip of -z details: CRC combination, one valid member, segments that inflate alone.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Combine, FINAL_BLOCK, SEGMENT_BYTES, SegmentedGzip } from './gzip-segments.js';
import { OutputDir } from './output.js';

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

describe('SegmentedGzip', () => {
  it('writes one gzip member whose every run of segments inflates on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-seg-'));
    const out = await OutputDir.open(dir, true);
    const g = new SegmentedGzip(out, 'd.json');
    // Writes of every size, one of them larger than two segments, with bytes that do not repeat much.
    const parts: Buffer[] = [];
    let seed = 7;
    for (const n of [1, 100, SEGMENT_BYTES - 50, 3, 2 * SEGMENT_BYTES + 17, 4096, 0, 9]) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = 32 + ((seed = (seed * 1103515245 + 12345) >>> 0) % 90);
      parts.push(b);
      g.writeBuffer(b);
    }
    const text = Buffer.concat(parts);
    expect(g.bytes).toBe(text.length);
    const index = await g.finish();
    const file = readFileSync(out.scratchPath('d.json.gz'));
    expect(gunzipSync(file).equals(text)).toBe(true);
    expect(index.plain).toEqual([0, 1, 2, 3].map((k) => k * SEGMENT_BYTES).concat(text.length));
    expect(index.packed[0]).toBe(10);
    expect(file.length).toBe((index.packed.at(-1) as number) + FINAL_BLOCK.length + 8);
    const n = index.plain.length - 1;
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const seg = file.subarray(index.packed[i], index.packed[j + 1]);
        const plain = inflateRawSync(Buffer.concat([seg, FINAL_BLOCK]));
        expect(plain.equals(text.subarray(index.plain[i], index.plain[j + 1]))).toBe(true);
      }
    }
    await out.abort();
  });

  it('writes an empty member when given nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-seg-'));
    const out = await OutputDir.open(dir, true);
    const index = await new SegmentedGzip(out, 'e.json').finish();
    expect(gunzipSync(readFileSync(out.scratchPath('e.json.gz'))).length).toBe(0);
    expect(index).toEqual({ plain: [0], packed: [10] });
    await out.abort();
  });
});
