// Golden tests: every sample v2 stream exported and compared field by field with the original exporter's output.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithOriginal, exportStream } from './golden-helpers.js';

const FIX = 'test/fixtures';
const cases: [string, string][] = [
  ['tempest.subunit', 'tempest'],
  ['stestr-successful.subunit', 'stestr-successful'],
  ['stestr-failure.subunit', 'stestr-failure'],
  ['stestr-all_skips.subunit', 'stestr-all_skips'],
  ['stestr-run2-v2.subunit', 'stestr-repo-run-2'],
];

describe('golden: sample streams', () => {
  for (const [stream, expected] of cases) {
    it(`${stream} matches the original's export`, async () => {
      const ours = await exportStream(join(FIX, 'streams', stream));
      compareWithOriginal(ours, join(FIX, 'expected', expected));
      // config.json points at files that exist, relative to DEST.
      for (const a of ours.config.datasets[0]?.artifacts ?? [])
        expect(existsSync(join(ours.dest, a.path))).toBe(true);
    });
  }
});
