// Streams and exported --html folders for the viewer's user-experience browser tests (issue 17).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePacket } from '../../src/formats/subunit/v2-encode.js';
import type { TestStatus } from '../../src/formats/subunit/events.js';

/** Tempest's SSH timeout: the last line is not the exception (issue 17, item 4). */
export const SSH_TRACEBACK = [
  'Traceback (most recent call last):',
  '  File "/opt/stack/tempest/tempest/lib/common/ssh.py", line 131, in _get_ssh_connection',
  '    sock=proxy_chan)',
  '  File "/usr/lib/python3/dist-packages/paramiko/client.py", line 349, in connect',
  '    retry_on_signal(lambda: sock.connect(addr))',
  'tempest.lib.exceptions.SSHTimeout: Connection to the 172.24.5.7 via SSH timed out.',
  'User: cirros, Password: None',
  '',
].join('\n');

const T0 = 1_700_000_000;
const enc = new TextEncoder();

export interface FakeTest {
  id: string;
  status: TestStatus;
  /** Seconds after T0; null = no timestamp. */
  start: number | null;
  /** null = no end packet (still running when the stream stopped). */
  end: number | null;
  worker?: number;
  traceback?: string;
  /** A `pythonlogging` attachment. */
  log?: string;
}

function ts(s: number): { seconds: number; nanos: number } {
  return { seconds: T0 + Math.floor(s), nanos: Math.round((s % 1) * 1e9) };
}

export function streamOf(tests: readonly FakeTest[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const t of tests) {
    const tags = t.worker === undefined ? undefined : [`worker-${t.worker}`];
    parts.push(
      encodePacket({
        testId: t.id,
        status: 'inprogress',
        ...(t.start === null ? {} : { timestamp: ts(t.start) }),
        ...(tags ? { tags } : {}),
      }),
    );
    if (t.end === null && t.status === 'inprogress') continue;
    if (t.log !== undefined)
      parts.push(
        encodePacket({
          testId: t.id,
          fileName: 'pythonlogging',
          mimeType: 'text/plain; charset="utf8"',
          fileBytes: enc.encode(t.log),
          eof: true,
        }),
      );
    if (t.traceback !== undefined)
      parts.push(
        encodePacket({
          testId: t.id,
          fileName: 'traceback',
          mimeType: 'text/x-traceback; charset="utf8"',
          fileBytes: enc.encode(t.traceback),
          eof: true,
        }),
      );
    parts.push(
      encodePacket({
        testId: t.id,
        status: t.status,
        ...(t.end === null ? {} : { timestamp: ts(t.end) }),
        ...(tags ? { tags } : {}),
      }),
    );
  }
  return Buffer.concat(parts);
}

/** A run of 400 quick passes on 4 workers over 100 s, with a failure, an unexpected success and a hung test. */
export function busyRun(): FakeTest[] {
  const tests: FakeTest[] = [];
  for (let w = 0; w < 4; w++) {
    for (let i = 0; i < 100; i++) {
      tests.push({
        id: `pkg.mod.TestPass.test_${w}_${i}`,
        status: 'success',
        start: i,
        end: i + 0.9,
        worker: w,
      });
    }
  }
  // Short ones: 20 ms in a 100 s run is a fraction of a pixel unless kept visible.
  tests.push({
    id: 'pkg.net.TestSsh.test_ssh_login',
    status: 'fail',
    start: 40.3,
    end: 40.32,
    worker: 1,
    traceback: SSH_TRACEBACK,
  });
  tests.push({
    id: 'pkg.mod.TestLog.test_logs',
    status: 'success',
    start: 50.2,
    end: 50.4,
    worker: 0,
    log: LOG_THREE_RECORDS,
  });
  tests.push({
    id: 'pkg.mod.TestOdd.test_unexpected',
    status: 'uxsuccess',
    start: 70.5,
    end: 70.51,
    worker: 2,
  });
  tests.push({ id: 'pkg.mod.TestHang.test_hangs', status: 'inprogress', start: 99.95, end: null, worker: 3 });
  return tests;
}

/** Three log records over five lines (a record's traceback continues it). */
export const LOG_THREE_RECORDS = [
  '2023-11-14 22:13:20,001 1234 INFO [tempest.lib] first',
  '2023-11-14 22:13:20,002 1234 ERROR [tempest.lib] second',
  'Traceback (most recent call last):',
  '  ValueError: inside the second record',
  '2023-11-14 22:13:20,003 1234 DEBUG [tempest.lib] third',
  '',
].join('\n');

/** 40 tests on one worker around midnight UTC (2023-11-15 00:00:00 is T0 + 6400 s). */
export function midnightRun(): FakeTest[] {
  return Array.from({ length: 40 }, (_, i) => ({
    id: `pkg.mod.TestNight.test_${i}`,
    status: 'success' as const,
    start: 6340 + i * 3,
    end: 6340 + i * 3 + 2,
    worker: 0,
  }));
}

/** A run whose stream has a damaged packet (a bad checksum) between two good tests. */
export function damagedStream(): Uint8Array {
  const bad = encodePacket({ testId: 'a.B.test_bad', status: 'success', timestamp: ts(1.5) });
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
  return Buffer.concat([
    streamOf([{ id: 'a.B.test_one', status: 'success', start: 0, end: 1, worker: 0 }]),
    bad,
    streamOf([{ id: 'a.B.test_two', status: 'success', start: 1, end: 2, worker: 0 }]),
  ]);
}

export interface Export {
  dir: string;
  remove(): void;
}

/**
 * A dstat 0.8 CSV over the busy run (T0 … T0 + 100 s, one row a second): the disk idles at 1 MB/s but for a
 * 100 MB/s burst at 90 s, the network sends nothing at all.
 */
export function busyDstat(): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const lines = [
    '"Dstat 0.8.0 CSV output"',
    '"Author:","Dag Wieers <dag@wieers.com>",,,,"URL:","http://dag.wieers.com/home-made/dstat/"',
    '"Host:","vm",,,,"User:","root"',
    '"Cmdline:","dstat -tcmndl --output x.csv 1",,,,"Date:","14 Nov 2023 22:13:20 UTC"',
    '"system","total cpu usage",,,,,"memory usage",,,,"net/total",,"dsk/total",,"load avg",,',
    '"time","usr","sys","idl","wai","stl","used","free","buff","cach","recv","send","read","writ","1m","5m","15m"',
  ];
  for (let k = 0; k <= 100; k++) {
    const t = new Date((T0 + k) * 1000);
    const stamp = `${pad(t.getUTCDate())}-${pad(t.getUTCMonth() + 1)} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
    const disk = k === 90 ? 100e6 : 1e6;
    lines.push(`${stamp},10,5,85,0,0,2000000000,6000000000,1000000,3000000000,0,0,${disk},0,0.5,0.4,0.3`);
  }
  return lines.join('\n') + '\n';
}

/** Runs the built CLI: one run per stream, `--html`, into a fresh folder (with a dstat log, if given). */
export function exportHtml(streams: Record<string, Uint8Array>, dstat?: string, singleFile = false): Export {
  const root = mkdtempSync(join(tmpdir(), 'stackviz-ux-'));
  const args = ['bin/stackviz-export.js', '-q', '--html'];
  // The single file goes beside the folder: root/report.html.
  if (singleFile) args.push('--single-file', join(root, 'report.html'));
  if (dstat !== undefined) {
    writeFileSync(join(root, 'dstat.csv'), dstat);
    args.push('--dstat', join(root, 'dstat.csv'));
  }
  for (const [name, bytes] of Object.entries(streams)) {
    const f = join(root, `${name}.subunit`);
    writeFileSync(f, bytes);
    args.push('-f', f);
  }
  const dir = join(root, 'out');
  args.push(dir);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stackviz-export failed: ${r.stderr}`);
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
