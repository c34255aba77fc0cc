// Black-box: big attachments of long-open tests go through the CLI's worker thread, its spill file and the
// details parts, and come out whole, with nothing left behind in DEST.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawEntry } from '../../src/contract/export-format.js';
import { encodePacket } from '../../src/formats/subunit/v2-encode.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const MIB = 1024 * 1024;
/** Bytes of log per packet: near the 4 MiB packet limit. */
const PIECE = 4_000_000;

/** Log lines with quotes, a tab and multi-byte characters; `n` bytes, valid UTF-8. */
function log(n: number, tag: string): Buffer {
  const line = Buffer.from(`${tag} "GET /v2.1/servers" 200 \t réponse ✓ 0.123s\n`);
  const out = Buffer.alloc(n, 0x2e);
  for (let i = 0; i + line.length <= n; i += line.length) line.copy(out, i);
  return out;
}

describe('big attachments through the CLI', () => {
  it('exports a 40 MB log of a test open across the whole stream, and a 20 MiB run output', () => {
    const big = log(10 * PIECE, 'big');
    const output = log(20 * MIB, 'out');
    const packets: Uint8Array[] = [
      encodePacket({ testId: 'a.B.test_long', status: 'inprogress', timestamp: { seconds: 1e9, nanos: 0 } }),
    ];
    // Near-4 MiB packets of the long test's log, each followed by small tests and a piece of run output.
    for (let k = 0; k < 10; k++) {
      packets.push(
        encodePacket({
          testId: 'a.B.test_long',
          fileName: 'pythonlogging:',
          mimeType: 'text/plain; charset=utf8',
          fileBytes: big.subarray(k * PIECE, (k + 1) * PIECE),
        }),
      );
      for (let j = 0; j < 20; j++) {
        const id = `a.B.test_${k}_${j}`;
        packets.push(
          encodePacket({ testId: id, status: 'inprogress', timestamp: { seconds: 1e9 + k, nanos: j } }),
          encodePacket({
            testId: id,
            fileName: 'log',
            mimeType: 'text/plain; charset=utf8',
            fileBytes: log(3000, id),
          }),
          encodePacket({ testId: id, status: 'success', timestamp: { seconds: 1e9 + k, nanos: j + 9 } }),
        );
      }
      packets.push(
        encodePacket({ fileName: 'stdout', fileBytes: output.subarray(k * 2 * MIB, (k + 1) * 2 * MIB) }),
      );
    }
    packets.push(
      encodePacket({ testId: 'a.B.test_long', status: 'fail', timestamp: { seconds: 1e9 + 99, nanos: 0 } }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'stackviz-big-'));
    const stream = join(dir, 'big.subunit');
    writeFileSync(stream, Buffer.concat(packets));
    const dest = join(dir, 'out');

    const r = spawnSync(process.execPath, [BIN, '-q', '-f', stream, dest], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const details = JSON.parse(readFileSync(join(dest, 'tempest_big_0_details.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    expect(Object.keys(details)).toHaveLength(202);
    expect(details['a.B.test_long']?.['pythonlogging'] === big.toString('utf8')).toBe(true);
    expect(details['<stream output>']?.['stdout'] === output.toString('utf8')).toBe(true);
    expect(details['a.B.test_3_7']?.['log']).toBe(log(3000, 'a.B.test_3_7').toString('utf8'));
    const raw = JSON.parse(readFileSync(join(dest, 'tempest_big_0_raw.json'), 'utf8')) as RawEntry[];
    expect(raw.map((e) => e.status).filter((s) => s === 'fail')).toHaveLength(1);
    // Only the export's own files: no temporary folder, no spill file.
    expect(readdirSync(dest).sort()).toEqual([
      'config.json',
      'tempest_big_0_details.json',
      'tempest_big_0_raw.json',
      'tempest_big_0_stats.json',
      'tempest_big_0_timeline.json.gz',
      'tempest_big_0_tree.json',
    ]);
  }, 120_000);
});
