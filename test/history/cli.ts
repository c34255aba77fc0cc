// What the black-box tests of the history commands share: running the built `stackviz`, temporary folders.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

export const BIN = join(process.cwd(), 'bin', 'stackviz.js');
export const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');
export const FAILURE = join(STREAMS, 'stestr-failure.subunit');

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'stackviz-hcli-'));

export function sv(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: Buffer } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, STACKVIZ_DB: '', ZUUL_JOB: '', JOB_NAME: '', ...opts.env },
    timeout: 120_000,
  });
}

export function svAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, STACKVIZ_DB: '', ZUUL_JOB: '', JOB_NAME: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The exit status a shell shows: the code, or 128 + n for a death by signal n. */
export function shellStatus(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.on('exit', (code, signal) =>
      resolve(code ?? (signal === null ? null : 128 + (constants.signals[signal] ?? 0))),
    ),
  );
}

export const json = <T>(r: SpawnSyncReturns<string>): T => {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as T;
};
