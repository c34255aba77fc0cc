// jsonPieces against JSON.stringify on any JSON value (and the undefined that plain objects may carry).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPieces } from './json-pieces.js';
import { writeJsonPieces } from './out-file.js';
import { StatsSpill } from './stats-spill.js';

const text = (pieces: Iterable<string | Uint8Array>): string =>
  [...pieces].map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');

describe('jsonPieces', () => {
  it('joins to exactly JSON.stringify, however deep', () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 2 }),
        fc.array(tie('any'), { maxLength: 5 }),
        fc.dictionary(fc.string(), fc.oneof(tie('any'), fc.constant(undefined)), { maxKeys: 5 }),
      ),
    })).any;
    fc.assert(
      fc.property(value, fc.nat({ max: 6 }), (v, depth) => {
        // From any depth: below the whole-value depth, arrays join their elements into pieces.
        expect([...jsonPieces(v, depth)].join('')).toBe(JSON.stringify(v));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps pieces small for a config with a big stats object', () => {
    const failures = Array.from({ length: 50_000 }, (_, i) => ({ name: `t.T.test_${i}`, details: ['x'] }));
    const config = { tempest: [{ stats: { count: 50_000, failures, skips: [] } }], datasets: [] };
    const pieces = [...jsonPieces(config)];
    expect(pieces.join('')).toBe(JSON.stringify(config));
    // About 64K characters at most (whole failures gathered), never the 2.4 MB list as one string.
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(66_000);
    expect(pieces.length).toBeGreaterThan(30);
  });

  it('gives an object already encoded as its bytes: the failures spilled to a file, read twice', () => {
    const failures = Array.from({ length: 3000 }, (_, i) => ({
      name: `t.T.test_${i} é`,
      duration: i / 7,
      details: ['x\n"'],
      details_key: null,
    }));
    const dir = mkdtempSync(join(tmpdir(), 'json-pieces-'));
    try {
      const spill = new StatsSpill(join(dir, 'stats'));
      for (const f of failures) spill.failure(f);
      spill.close();
      const stats = { count: 3000, failures: [], skips: [], stream_output_key: null };
      const lists = new Map<object, Iterable<Uint8Array>>([
        [stats.failures, spill.failures],
        [stats.skips, spill.skips],
      ]);
      const whole = { ...stats, failures };
      const written: Buffer[] = [];
      writeJsonPieces({ writeBuffer: (b) => void written.push(Buffer.from(b)) }, jsonPieces(stats, 3, lists));
      expect(Buffer.concat(written).toString('utf8')).toBe(JSON.stringify(whole));
      const config = {
        tempest: [
          { id: 0, stats },
          { id: 1, stats: { count: 0 } },
        ],
        deployer: false,
      };
      // A spilled list's chunks share one buffer: each is copied before the next is read, as writers do.
      const pieces = Array.from(jsonPieces(config, 0, lists), (p) =>
        typeof p === 'string' ? p : Buffer.from(p),
      );
      expect(pieces.some((p) => typeof p !== 'string')).toBe(true);
      expect(text(pieces)).toBe(
        JSON.stringify({ ...config, tempest: [{ id: 0, stats: whole }, config.tempest[1]] }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
