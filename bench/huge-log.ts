// `node dist/bench/huge-log.js [MB]`: peak memory of an export whose one test has a huge log (default 300 MB),
// sent in 4 MiB packets between small tests of other workers. The log must not be held in memory whole.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePacket } from '../src/formats/subunit/v2-encode.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MB = Number(process.argv[2] ?? 300);
const PACKET = 4 * 1024 * 1024 - 4096;
const UTF8 = 'text/plain; charset=utf8';

/** One test open for the whole stream, its log in 4 MiB packets, each followed by ten small tests. */
function generate(path: string): void {
  const fd = openSync(path, 'w');
  const put = (p: Uint8Array): void => {
    for (let o = 0; o < p.length;) o += writeSync(fd, p, o, p.length - o);
  };
  const line = Buffer.from(
    '2026-11-28 12:00:00.000 INFO tempest.lib.common.rest_client [req-1] GET /v2.1/servers 200\n',
  );
  const log = Buffer.alloc(PACKET);
  for (let i = 0; i + line.length <= PACKET; i += line.length) line.copy(log, i);
  const t = (s: number): { seconds: number; nanos: number } => ({ seconds: 1_700_000_000 + s, nanos: 0 });
  put(
    encodePacket({ testId: 'huge.Log.test_huge', status: 'inprogress', timestamp: t(0), tags: ['worker-0'] }),
  );
  for (let k = 0; k * PACKET < MB * 1e6; k++) {
    put(
      encodePacket({
        testId: 'huge.Log.test_huge',
        fileName: 'pythonlogging:',
        mimeType: UTF8,
        fileBytes: log,
      }),
    );
    for (let j = 0; j < 10; j++) {
      const id = `small.T.test_${k}_${j}`;
      put(encodePacket({ testId: id, status: 'inprogress', timestamp: t(k), tags: ['worker-1'] }));
      put(encodePacket({ testId: id, status: 'success', timestamp: t(k + 1), tags: ['worker-1'] }));
    }
  }
  put(encodePacket({ testId: 'huge.Log.test_huge', status: 'fail', timestamp: t(1e5), tags: ['worker-0'] }));
  closeSync(fd);
}

const data = join(ROOT, 'bench', 'data');
const stream = join(data, `huge-log-${MB}MB.subunit`);
if (!existsSync(stream)) {
  mkdirSync(data, { recursive: true });
  generate(`${stream}.tmp`);
  renameSync(`${stream}.tmp`, stream);
}
const dest = mkdtempSync(join(tmpdir(), 'stackviz-huge-log-'));
try {
  const bin = join(ROOT, 'bin', 'stackviz-export.js');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', bin, '-q', '-f', stream, join(dest, 'out')], {
    encoding: 'utf8',
  });
  const [wall, kb] = (r.stderr.trim().split('\n').pop() ?? '').split(' ');
  const details = statSync(join(dest, 'out', 'tempest_huge-log-' + MB + 'MB_0_details.json')).size;
  process.stdout.write(
    `one test with a ${MB} MB log (${(statSync(stream).size / 1e6).toFixed(0)} MB stream): exit ${r.status}, ` +
      `${wall} s, peak RSS ${(Number(kb) / 1024).toFixed(0)} MB, _details.json ${(details / 1e6).toFixed(0)} MB\n`,
  );
} finally {
  rmSync(dest, { recursive: true, force: true });
}
