// Black-box tests of today's CI inputs: --performance, --zuul-inventory, --meta, the classic copy of a pcp-dstat
// log, and the primary flag of empty runs; each option with its bad inputs (one line, exit status, nothing written).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/contract/export-format.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const FIX = join(process.cwd(), 'test', 'fixtures');
const STREAM = join(FIX, 'streams', 'stestr-failure.subunit');
const PERF_V1 = join(FIX, 'performance', 'performance-v1.json');
const PERF_V2 = join(FIX, 'performance', 'performance-v2.json');
const INVENTORY = join(FIX, 'zuul', 'inventory-unsafe.yaml');
const PCP = join(FIX, 'dstat', 'pcp-dstat-6.0.3.csv');
const CLASSIC = join(FIX, 'dstat', 'dstat-0.8.0.csv');

const tmp = (): string => mkdtempSync(join(tmpdir(), 'stackviz-ci-'));

/** The CLI with no Zuul v2 variables from the environment the tests run in, unless given. */
function run(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ZUUL_') && k !== 'JOB_NAME'),
  );
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: '',
    env: { ...clean, STACKVIZ_DEBUG: '', ...env },
    timeout: 60_000,
  });
}

const config = (dest: string): ConfigFile =>
  JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;

function expectOneLineError(r: SpawnSyncReturns<string>, code: number, ...mentions: string[]): void {
  expect(r.status, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^stackviz-export: /);
  for (const m of mentions) expect(lines[0]).toContain(m);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** A bad input leaves nothing: no DEST created, and a DEST with a previous export unchanged. */
function expectRefused(args: string[], code: number, ...mentions: string[]): void {
  const fresh = join(tmp(), 'out');
  expectOneLineError(run([...args, '-f', STREAM, fresh]), code, ...mentions);
  expect(existsSync(fresh)).toBe(false);
  const kept = join(tmp(), 'out');
  expect(run(['-f', STREAM, kept]).status).toBe(0);
  const before = readdirSync(kept).sort();
  const configBefore = readFileSync(join(kept, 'config.json'), 'utf8');
  expectOneLineError(run([...args, '-f', STREAM, kept]), code, ...mentions);
  expect(readdirSync(kept).sort()).toEqual(before);
  expect(readFileSync(join(kept, 'config.json'), 'utf8')).toBe(configBefore);
}

describe('--performance', () => {
  it.each([PERF_V1, PERF_V2])('copies %s into DEST and names it in config.json', (file) => {
    const dest = join(tmp(), 'out');
    const r = run(['--performance', file, '-f', STREAM, dest]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dest, 'performance.json'))).toEqual(readFileSync(file));
    const c = config(dest);
    expect(c.performance).toBe('performance.json');
    expect(c.datasets[0]?.artifacts).toContainEqual({
      path: 'performance.json',
      artifact_name: 'performance.json',
      artifact_type: 'performance',
      content_type: 'application/json',
      primary: false,
    });
  });

  it('reads a gzipped file (log servers keep them as .gz) and gzips the copy under -z', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'performance.json.gz'), gzipSync(readFileSync(PERF_V2)));
    const dest = join(dir, 'out');
    const r = run(['-z', '--performance', join(dir, 'performance.json.gz'), '-f', STREAM, dest]);
    expect(r.status, r.stderr).toBe(0);
    expect(config(dest).performance).toBe('performance.json.gz');
    expect(existsSync(join(dest, 'performance.json.gz'))).toBe(true);
  });

  it('refuses a missing file, a folder, a file that is not JSON or not a performance report', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'broken.json'), '{"services": [');
    writeFileSync(join(dir, 'other.json'), '{"tests": []}');
    writeFileSync(join(dir, 'wrong-shape.json'), '{"services": {}, "db": [], "api": [], "processes": []}');
    expectRefused(['--performance', join(dir, 'missing.json')], 1, 'missing.json', 'no such file');
    expectRefused(['--performance', dir], 1, dir);
    expectRefused(['--performance', join(dir, 'broken.json')], 1, 'broken.json', 'not JSON');
    expectRefused(['--performance', join(dir, 'other.json')], 1, 'other.json', 'no "services" list');
    expectRefused(['--performance', join(dir, 'wrong-shape.json')], 1, '"services" is not a list');
    expectRefused(
      ['--performance', INVENTORY],
      1,
      'inventory-unsafe.yaml',
      'not a devstack performance.json',
    );
  });
});

describe('--zuul-inventory and --meta', () => {
  it('fills the dataset from a Zuul v3 inventory (tags such as !unsafe keep their value)', () => {
    const dest = join(tmp(), 'out');
    const r = run(['--zuul-inventory', INVENTORY, '-f', STREAM, dest]);
    expect(r.status, r.stderr).toBe(0);
    const { artifacts: _, ...d } = config(dest).datasets[0] ?? { artifacts: [] };
    expect(d).toEqual({
      name: 'tempest-full-py3',
      url: 'https://review.opendev.org/951234',
      status: null,
      ci_username: null,
      pipeline: 'check',
      change_id: '951234',
      revision: '7',
      change_project: 'openstack/nova',
      change_subject: 'Make the compute API return 409 on a locked server',
      metadata: {
        attempts: '1',
        branch: 'master',
        build: '5f9ef3a5c8e44e5b8c6f1c2b2f2d4a61',
        buildset: 'f1d2c3b4a5968778695a4b3c2d1e0f9a',
        event_id: '8a3b1e0c2d4f4a6b9c8d7e6f5a4b3c2d',
        project_canonical_name: 'opendev.org/openstack/nova',
        ref: 'refs/changes/34/951234/7',
        tenant: 'openstack',
        voting: 'true',
      },
    });
  });

  it('puts --meta over --zuul-inventory over --env', () => {
    const dest = join(tmp(), 'out');
    const env = {
      ZUUL_PROJECT: 'openstack/from-env',
      ZUUL_PIPELINE: 'gate',
      ZUUL_CHANGE: '1',
      JOB_NAME: 'env-job',
    };
    const r = run(
      [
        '--env',
        '--zuul-inventory',
        INVENTORY,
        '--meta',
        'pipeline=experimental',
        '--meta',
        'cloud=rax',
        '--meta',
        'tenant=other',
        '-f',
        STREAM,
        dest,
      ],
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    const d = config(dest).datasets[0];
    expect(d?.pipeline).toBe('experimental');
    expect(d?.change_project).toBe('openstack/nova');
    expect(d?.change_id).toBe('951234');
    expect(d?.metadata?.['cloud']).toBe('rax');
    expect(d?.metadata?.['tenant']).toBe('other');
  });

  it('--env alone still reads the Zuul v2 variables; --meta alone fills what it names', () => {
    const a = join(tmp(), 'out');
    expect(run(['--env', '-f', STREAM, a], { ZUUL_PROJECT: 'openstack/nova', JOB_NAME: 'j' }).status).toBe(0);
    expect(config(a).datasets[0]).toMatchObject({ change_project: 'openstack/nova', name: 'j', url: null });
    expect(config(a).datasets[0]?.metadata).toBeUndefined();
    const b = join(tmp(), 'out');
    expect(run(['--meta', 'name=my-job', '--meta', 'url=https://ci/1', '-f', STREAM, b]).status).toBe(0);
    expect(config(b).datasets[0]).toMatchObject({ name: 'my-job', url: 'https://ci/1', pipeline: null });
  });

  it('refuses a malformed inventory with one line naming it (nothing written)', () => {
    const dir = tmp();
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expectRefused(['--zuul-inventory', join(dir, 'none.yaml')], 1, 'none.yaml', 'no such file');
    expectRefused(['--zuul-inventory', write('bad.yaml', 'all: [unclosed\n')], 1, 'bad.yaml', 'not YAML');
    expectRefused(
      ['--zuul-inventory', write('novars.yaml', 'all:\n  hosts: {}\n')],
      1,
      'novars.yaml',
      'no all.vars.zuul',
    );
    expectRefused(
      [
        '--zuul-inventory',
        write('types.yaml', 'all:\n  vars:\n    zuul:\n      job: j\n      project: openstack/nova\n'),
      ],
      1,
      'types.yaml',
      'all.vars.zuul.project is not a mapping',
    );
    expectRefused(['--zuul-inventory', PERF_V2], 1, 'performance-v2.json', 'no all.vars.zuul');
  });

  it('refuses a --meta that is not KEY=VALUE as a usage error', () => {
    expectRefused(['--meta', 'novalue'], 2, '--meta "novalue"', 'KEY=VALUE');
    expectRefused(['--meta', '=x'], 2, '--meta "=x"');
    // Before the inputs are read: a usage error, even with a missing stream.
    expectOneLineError(run(['--meta', 'x', '-f', 'missing.subunit', join(tmp(), 'out')]), 2, '--meta "x"');
  });

  it('--help names the new options', () => {
    const r = run(['--help']);
    for (const o of ['--performance <FILE>', '--zuul-inventory <FILE>', '--meta <KEY=VALUE>'])
      expect(r.stdout).toContain(o);
  });
});

describe('--dstat with a pcp-dstat log', () => {
  it('writes dstat_log.csv as classic Dstat and keeps the log as recorded in dstat_pcp.csv', () => {
    const dest = join(tmp(), 'out');
    const r = run(['--dstat', PCP, '-f', STREAM, dest]);
    expect(r.status, r.stderr).toBe(0);
    const classic = readFileSync(join(dest, 'dstat_log.csv'), 'utf8');
    expect(classic.split('\n')[0]).toMatch(/^"Dstat \S+ CSV output"$/);
    expect(classic.split('\n')[5]).toContain('"time","usr","sys","idl","wai"');
    expect(readFileSync(join(dest, 'dstat_pcp.csv'))).toEqual(readFileSync(PCP));
    const c = config(dest);
    expect(c.tempest?.[0]).toMatchObject({ dstat: 'dstat_log.csv', dstat_recorded: 'dstat_pcp.csv' });
    const types = c.datasets[0]?.artifacts.map((a) => [a.path, a.artifact_type]);
    expect(types).toContainEqual(['dstat_log.csv', 'dstat']);
    expect(types).toContainEqual(['dstat_pcp.csv', 'dstat-recorded']);
  });

  it('leaves the classic copy out of --single-file (only the original front-end reads it)', () => {
    const dir = tmp();
    const page = join(dir, 'report.html');
    const r = run(['--dstat', PCP, '--single-file', page, '-f', STREAM, join(dir, 'out')]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('data-path="dstat_pcp.csv"');
    expect(html).not.toContain('data-path="dstat_log.csv"');
  });

  it('embeds performance.json in --single-file', () => {
    const dir = tmp();
    const page = join(dir, 'report.html');
    expect(run(['--performance', PERF_V2, '--single-file', page, '-f', STREAM]).status).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('data-path="performance.json"');
  });

  it('copies a classic dstat log as it is, with no second copy', () => {
    const dest = join(tmp(), 'out');
    expect(run(['--dstat', CLASSIC, '-f', STREAM, dest]).status).toBe(0);
    expect(readFileSync(join(dest, 'dstat_log.csv'))).toEqual(readFileSync(CLASSIC));
    expect(existsSync(join(dest, 'dstat_pcp.csv'))).toBe(false);
    expect(config(dest).tempest?.[0]?.dstat_recorded).toBeUndefined();
  });
});

describe('primary runs', () => {
  it('does not mark a repository run with no tests primary (the others are)', () => {
    const repo = join(tmp(), 'repo');
    cpSync(join(process.cwd(), 'examples', 'stestr-repo'), repo, { recursive: true });
    mkdirSync(join(repo, '.stestr'), { recursive: true });
    writeFileSync(join(repo, '.stestr', '3'), '');
    writeFileSync(join(repo, '.stestr', 'next-stream'), '4\n');
    const dest = join(tmp(), 'out');
    const r = run(['-r', repo, dest]);
    expect(r.status, r.stderr).toBe(0);
    const raws = config(dest).datasets[0]?.artifacts.filter((a) => a.artifact_type === 'subunit') ?? [];
    expect(raws.map((a) => [a.artifact_name, a.primary])).toEqual([
      ['repo_0', true],
      ['repo_1', true],
      ['repo_2', true],
      ['repo_3', false],
    ]);
  });
});
