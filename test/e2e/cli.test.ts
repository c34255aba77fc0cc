// Black-box tests of the built stackviz-export CLI: every option, every user error, atomic DEST handling.
// Long on purpose: one built CLI, one table of user errors; each describe block stands alone.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateStream } from '../../bench/generate.js';
import type { ConfigFile, RawEntry } from '../../src/contract/export-format.js';
import { exportBytes, readTree } from '../export-helpers.js';
import { compareWithOriginal, readExport } from '../golden/golden-helpers.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const STREAMS = join(process.cwd(), 'test', 'fixtures', 'streams');
const FAILURE = join(STREAMS, 'stestr-failure.subunit');
const REPO = join(process.cwd(), 'examples', 'stestr-repo');
const DSTAT = join(process.cwd(), 'examples', 'dstat.csv');

const tmp = (): string => mkdtempSync(join(tmpdir(), 'stackviz-cli-'));

function run(
  args: string[],
  opts: { input?: Buffer; env?: NodeJS.ProcessEnv } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, STACKVIZ_DEBUG: '', ...opts.env },
    timeout: 60_000,
  });
}

const config = (dest: string): ConfigFile =>
  JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;

/** Every file under a folder with its bytes, to prove a failed run changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(p).toString('base64'));
    }
  };
  walk(dir, '');
  return out;
}

/**
 * The exit status a shell would show: the code, or 128 + n for a process that ended by signal n (the export
 * dies of the signal it was interrupted by, after cleaning up).
 */
function shellStatus(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve(signal === null ? code : 128 + constants.signals[signal])),
  );
}

function expectOneLineError(r: SpawnSyncReturns<string>, code: number, mention: string): void {
  expect(r.status).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^stackviz-export: /);
  expect(lines[0]).toContain(mention);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('stackviz-export options', () => {
  it('runs as an installed command, through sh, which starts node with its settings', () => {
    const dest = join(tmp(), 'out');
    const r = spawnSync(BIN, ['-q', '-f', FAILURE, dest], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(config(dest).tempest).toHaveLength(1);
    const serve = spawnSync(join(process.cwd(), 'bin', 'stackviz.js'), ['--version'], { encoding: 'utf8' });
    expect(serve.status).toBe(0);
    expect(serve.stdout).toMatch(/\d+\.\d+\.\d+/);
  });

  it('-f twice with the same base name gives two distinct runs', () => {
    const a = tmp();
    const b = tmp();
    copyFileSync(FAILURE, join(a, 'run.subunit'));
    copyFileSync(join(STREAMS, 'tempest.subunit'), join(b, 'run.subunit'));
    const dest = join(tmp(), 'out');
    const r = run(['-f', join(a, 'run.subunit'), '-f', join(b, 'run.subunit'), dest]);
    expect(r.status).toBe(0);
    const c = config(dest);
    expect(c.tempest?.map((t) => [t.source, t.stats.count])).toEqual([
      ['run', 63],
      ['run-2', 1],
    ]);
    const names = new Set(c.datasets[0]?.artifacts.map((x) => x.artifact_name));
    expect(names.size).toBe(2);
    for (const x of c.datasets[0]?.artifacts ?? []) expect(existsSync(join(dest, x.path))).toBe(true);
  });

  it('-i reads a stream from a pipe', () => {
    const dest = join(tmp(), 'out');
    const r = run(['-i', dest], { input: readFileSync(FAILURE) });
    expect(r.status).toBe(0);
    const ex = readExport(dest, 0);
    expect(ex.run.source).toBe('stdin');
    expect(ex.run.name).toBe('Subunit Stream (stdin)');
    expect(ex.raw).toHaveLength(63);
  });

  it('-f reads a named pipe once: its writer loses nothing, and one that leaves empty ends the run', async () => {
    const dir = tmp();
    const exportFrom = async (writerScript: string): Promise<{ code: number | null; stderr: string }> => {
      const fifo = join(dir, `pipe-${Math.random().toString(36).slice(2)}`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      // The writer opens the pipe once, as a producer does (`mkfifo p; producer > p & stackviz-export -f p`).
      const writer = spawn('sh', ['-c', writerScript.replace('PIPE', `'${fifo}'`)], { stdio: 'ignore' });
      const child = spawn(process.execPath, [BIN, '-f', fifo, join(dir, `out-${fifo.slice(-6)}`)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Before the fix the export opened the pipe twice and waited for ever on the second open.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearTimeout(timer);
      writer.kill();
      return { code, stderr };
    };
    const full = await exportFrom(`cat '${FAILURE}' > PIPE`);
    expect(full.code).toBe(0);
    const outs = readdirSync(dir).filter((n) => n.startsWith('out-'));
    expect(outs).toHaveLength(1);
    expect(readExport(join(dir, outs[0] as string), 0).raw).toHaveLength(63);
    const empty = await exportFrom(': > PIPE');
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('empty stream');
  });

  it('a stream bigger than the input ring exports the same from a file, a gzipped file, stdin and one thread, damaged too', async () => {
    // ~40 MB with 4 MiB packets: the 14 MiB ring comes round, packets are cut by its end and by reads.
    const packets: Uint8Array[] = [];
    generateStream(
      {
        tests: 4000,
        bytes: 40_000_000,
        seed: 11,
        maxPacketBytes: 4 * 1024 * 1024 - 1,
        hugeAttachments: true,
      },
      (p) => packets.push(p),
    );
    const bytes = Buffer.concat(packets);
    const dir = tmp();
    writeFileSync(join(dir, 'big.subunit'), bytes);
    writeFileSync(join(dir, 'big.subunit.gz'), gzipSync(bytes, { level: 1 }));
    /** The run's data files, by what follows `tempest_<source>_0` in their names. */
    const filesOf = (args: string[], input?: Buffer): Map<string, Buffer> => {
      const dest = join(tmp(), 'out');
      const r = run(['-q', ...args, dest], input === undefined ? {} : { input });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = new Map<string, Buffer>();
      for (const f of readdirSync(dest)) {
        const m = /^tempest_.+_0(_[a-z]+\.json)$/.exec(f);
        if (m !== null) out.set(m[1] as string, readFileSync(join(dest, f)));
      }
      return out;
    };
    const file = filesOf(['-f', join(dir, 'big.subunit')]);
    expect([...file.keys()].sort()).toEqual(['_details.json', '_raw.json', '_stats.json', '_tree.json']);
    expect((JSON.parse((file.get('_raw.json') as Buffer).toString()) as RawEntry[]).length).toBeGreaterThan(
      3000,
    );
    // The same bytes prepared on one thread, with no ring: what the worker's reuse of the ring must not change.
    const reference = new Map<string, Buffer>();
    for (const [p, b] of readTree(await exportBytes(bytes, { chunk: 1 << 20, source: 'big' }))) {
      const m = /^tempest_big_0(_[a-z]+\.json)$/.exec(p);
      if (m !== null) reference.set(m[1] as string, b);
    }
    for (const other of [reference, filesOf(['-f', join(dir, 'big.subunit.gz')]), filesOf(['-i'], bytes)]) {
      for (const [k, b] of file) expect((other.get(k) as Buffer).equals(b), k).toBe(true);
    }

    // Damaged near the ring's turns and elsewhere (a flipped bit, junk, a lost range, a lone 0xB3 that seems to
    // start a packet): the decoder resynchronises across reads and turns of the ring as it does on one thread.
    const MIB = 1 << 20;
    const edits: [number, 'flip' | 'junk' | 'lose' | 'b3'][] = [
      [3 * MIB + 17, 'flip'],
      [16 * MIB - 3, 'junk'],
      [16 * MIB + 2, 'lose'],
      [21 * MIB + 999, 'b3'],
      [32 * MIB - 1, 'flip'],
      [35 * MIB + 5, 'lose'],
    ];
    const pieces: Buffer[] = [];
    let from = 0;
    for (const [at, kind] of edits) {
      pieces.push(bytes.subarray(from, at));
      from = at;
      if (kind === 'flip') {
        pieces.push(Buffer.from([(bytes[at] as number) ^ 0x10]));
        from = at + 1;
      } else if (kind === 'junk') pieces.push(Buffer.from('runner says hello\n'));
      else if (kind === 'lose') from = at + 3000;
      else pieces.push(Buffer.from([0xb3, 0x20, 0x01, 0x40]));
    }
    pieces.push(bytes.subarray(from, bytes.length - 100));
    const damaged = Buffer.concat(pieces);
    writeFileSync(join(dir, 'damaged.subunit'), damaged);
    const hurt = filesOf(['-f', join(dir, 'damaged.subunit')]);
    const hurtRaw = JSON.parse((hurt.get('_raw.json') as Buffer).toString()) as RawEntry[];
    expect(hurtRaw.filter((t) => t.name === 'subunit.parser').length).toBeGreaterThanOrEqual(edits.length);
    const hurtRef = readTree(await exportBytes(damaged, { chunk: 1 << 20, source: 'damaged' }));
    for (const [k, b] of hurt) expect(hurtRef.get(`tempest_damaged_0${k}`)?.equals(b), k).toBe(true);
  }, 120_000);

  it('-r exports every stored run, each matching the original export of that run', () => {
    const dest = join(tmp(), 'out');
    const r = run(['-r', REPO, dest]);
    expect(r.status).toBe(0);
    const c = config(dest);
    expect(c.tempest?.map((t) => [t.id, t.stats.count])).toEqual([
      [0, 660],
      [1, 93],
      [2, 188],
    ]);
    for (const id of [0, 1, 2]) {
      compareWithOriginal(
        readExport(dest, id),
        join('test', 'fixtures', 'expected', `stestr-repo-run-${id}`),
      );
    }
  });

  it('--dstat copies the log and lists it in both layouts', () => {
    const dest = join(tmp(), 'out');
    expect(run(['-f', FAILURE, '--dstat', DSTAT, dest]).status).toBe(0);
    expect(readFileSync(join(dest, 'dstat_log.csv'))).toEqual(readFileSync(DSTAT));
    const c = config(dest);
    expect(c.tempest?.[0]?.dstat).toBe('dstat_log.csv');
    expect(c.datasets[0]?.artifacts.find((a) => a.artifact_type === 'dstat')?.path).toBe('dstat_log.csv');
  });

  it('--dstat reads a gzipped log, and one cut short up to the cut, with a warning', () => {
    const csv = readFileSync(DSTAT);
    const gz = gzipSync(csv);
    const whole = join(tmp(), 'dstat.csv.gz');
    writeFileSync(whole, gz);
    const dest = join(tmp(), 'out');
    const r = run(['-f', FAILURE, '--dstat', whole, dest]);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('warning');
    expect(readFileSync(join(dest, 'dstat_log.csv'))).toEqual(csv);

    const cut = join(tmp(), 'cut.csv.gz');
    writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    const cutDest = join(tmp(), 'out');
    const c = run(['-f', FAILURE, '--dstat', cut, cutDest]);
    expect(c.status).toBe(0);
    const m =
      /^stackviz-export: warning: '(.*)': corrupt gzip data \(unexpected end of file\) after (\d+) bytes; using the rows before it$/m.exec(
        c.stderr,
      );
    expect(m?.[1]).toBe(cut);
    const kept = readFileSync(join(cutDest, 'dstat_log.csv'));
    expect(kept.length).toBe(Number(m?.[2]));
    expect(kept.length).toBeGreaterThan(csv.length / 10);
    expect(kept.equals(csv.subarray(0, kept.length))).toBe(true);

    const broken = join(tmp(), 'broken.csv.gz');
    writeFileSync(broken, gz.subarray(0, 12));
    expectOneLineError(run(['-f', FAILURE, '--dstat', broken, join(tmp(), 'x')]), 1, 'corrupt gzip data');
  });

  it('-z gzips every data file but config.json', () => {
    const dest = join(tmp(), 'out');
    expect(run(['-z', '-f', FAILURE, '--dstat', DSTAT, dest]).status).toBe(0);
    const c = config(dest);
    const t = c.tempest?.[0];
    expect(t?.raw).toMatch(/\.json\.gz$/);
    for (const a of c.datasets[0]?.artifacts ?? []) {
      expect(a.path).toMatch(/\.gz$/);
      expect(a.content_encoding).toBe('gzip');
    }
    const raw = JSON.parse(gunzipSync(readFileSync(join(dest, t?.raw ?? ''))).toString('utf8')) as RawEntry[];
    expect(raw).toHaveLength(63);
    // The details are one gzip member; its index says where each segment lies.
    const details = JSON.parse(
      gunzipSync(readFileSync(join(dest, t?.details ?? ''))).toString('utf8'),
    ) as object;
    expect(Object.keys(details)).toHaveLength(63);
    expect(t?.details_index?.packed.at(-1)).toBe(statSync(join(dest, t?.details ?? '')).size - 10);
  });

  it('-e fills the dataset from Zuul variables', () => {
    const dest = join(tmp(), 'out');
    const env = {
      ZUUL_PROJECT: 'openstack/nova',
      ZUUL_CHANGE: '12345',
      ZUUL_PATCHSET: '3',
      ZUUL_PIPELINE: 'check',
      JOB_NAME: 'tempest-full',
    };
    expect(run(['-e', '-f', FAILURE, dest], { env }).status).toBe(0);
    expect(config(dest).datasets[0]).toMatchObject({
      change_project: 'openstack/nova',
      change_id: '12345',
      revision: '3',
      pipeline: 'check',
      name: 'tempest-full',
      url: null,
    });
    const without = join(tmp(), 'out');
    expect(run(['-f', FAILURE, without], { env }).status).toBe(0);
    expect(config(without).datasets[0]?.change_project).toBeNull();
  });

  it('--version and --help', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = run(['--help']);
    expect(h.status).toBe(0);
    for (const o of [
      '--stream-file',
      '--stdin',
      '--repository',
      '--dstat',
      '--gzip',
      '--env',
      '--quiet',
      '--version',
    ]) {
      expect(h.stdout).toContain(o);
    }
  });

  it('--html adds the viewer; --single-file needs no DEST', () => {
    const dest = join(tmp(), 'site');
    expect(run(['--html', '-f', FAILURE, dest]).status).toBe(0);
    expect(existsSync(join(dest, 'index.html'))).toBe(true);
    expect(existsSync(join(dest, 'config.json'))).toBe(true);
    const html = join(tmp(), 'report.html');
    const r = run(['--single-file', html, '-f', FAILURE]);
    expect(r.status).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('application/x-stackviz-file');
  });

  it('prints a summary line, and nothing with -q', () => {
    const r = run(['-f', FAILURE, join(tmp(), 'out')]);
    expect(r.stderr).toMatch(/1 run, 63 tests, 1 failure in [\d.]+s/);
    expect(r.stdout).toBe('');
    expect(run(['-q', '-f', FAILURE, join(tmp(), 'out')]).stderr).toBe('');
  });

  it('tells how to open what it wrote: the single file, and the site through stackviz serve', () => {
    const dest = join(tmp(), 'out');
    const html = join(tmp(), 'report.html');
    const r = run(['--html', '--single-file', html, '-f', FAILURE, dest]);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines[0]).toContain(`→ ${dest} and ${html}`);
    expect(lines[1]).toBe(`stackviz-export: open ${html} in a browser (no server needed)`);
    expect(lines[2]).toBe(`stackviz-export: or preview the site: stackviz serve ${dest}`);
    expect(lines).toHaveLength(3);
  });

  it('an empty stream is a run with no tests and a warning', () => {
    const dest = join(tmp(), 'out');
    const r = run(['-i', dest], { input: Buffer.alloc(0) });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*empty stream/);
    const ex = readExport(dest, 0);
    expect(ex.raw).toEqual([]);
    expect(ex.stats.count).toBe(0);
  });

  it('a file with no subunit test in it is kept as run output, with a warning naming it', () => {
    const dest = join(tmp(), 'out');
    const text = join(tmp(), 'notes.txt');
    writeFileSync(text, 'these are not the test results you are looking for\n');
    const r = run(['-f', text, dest]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning: Subunit File: notes.txt: no subunit test in 51 bytes');
    const ex = readExport(dest, 0);
    expect(ex.raw).toEqual([]);
    expect(ex.stats.stream_output_key).toBe('<stream output>');
    // A binary file: each 0xB3 byte in it starts a packet that fails to parse, as python-subunit reads it.
    const binary = join(tmp(), 'tool.bin');
    const junk = Buffer.from('ELF\xb3\x00\x01\x02 then \xb3\xb3\x10\x07 text', 'latin1');
    writeFileSync(binary, junk);
    const destB = join(tmp(), 'out');
    const b = run(['-f', binary, destB]);
    expect(b.status).toBe(0);
    const damaged = readExport(destB, 0);
    expect(damaged.raw.length).toBeGreaterThan(0);
    expect(damaged.raw.every((t) => t.name === 'subunit.parser')).toBe(true);
    expect(b.stderr).toContain(
      `warning: Subunit File: tool.bin: no subunit test in ${junk.length} bytes (kept as the run's output; ` +
        `${damaged.raw.length} damaged packets as subunit.parser tests); is it a subunit stream?`,
    );
  });

  it('a gzipped stream cut short keeps every test read before the cut, and shows the damage', () => {
    const packets: Uint8Array[] = [];
    generateStream({ tests: 300, bytes: 2_000_000, seed: 5 }, (p) => packets.push(p));
    const gz = gzipSync(Buffer.concat(packets));
    const cut = join(tmp(), 'cut.subunit.gz');
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const dest = join(tmp(), 'out');
    const r = run(['-f', cut, dest]);
    expect(r.status).toBe(0);
    const warning =
      /^stackviz-export: warning: '(.*)': corrupt gzip data \(unexpected end of file\) after (\d+) bytes; /m.exec(
        r.stderr,
      );
    expect(warning?.[1]).toBe(cut);
    // The same tests as the bytes inflated before the cut read as a plain file, and one parser failure more
    // (after the tests that ended, before those left in progress at the end of the stream).
    const inflated = gunzipSync(gz).subarray(0, Number(warning?.[2]));
    const plainFile = join(tmp(), 'inflated.subunit');
    writeFileSync(plainFile, inflated);
    const plainDest = join(tmp(), 'plain');
    expect(run(['-q', '-f', plainFile, plainDest]).status).toBe(0);
    const plain = readExport(plainDest, 0);
    const damaged = readExport(dest, 0);
    expect(plain.raw.length).toBeGreaterThan(50);
    const why = `'${cut}': corrupt gzip data (unexpected end of file) after ${inflated.length} bytes`;
    const at = damaged.raw.findIndex((t) => damaged.details[t.details_key ?? '']?.['ParserError'] === why);
    expect(damaged.raw[at]?.name).toBe('subunit.parser');
    expect(damaged.raw[at]?.status).toBe('fail');
    expect(damaged.raw.filter((_, k) => k !== at).map((t) => [t.name, t.status])).toEqual(
      plain.raw.map((t) => [t.name, t.status]),
    );
    expect(plain.raw.some((t) => t.status === 'inprogress')).toBe(true);
  });
});

describe('stackviz-export errors', () => {
  /** A DEST holding an earlier export and an unrelated file, and its snapshot. */
  function usedDest(): { dest: string; before: Map<string, string> } {
    const dest = join(tmp(), 'out');
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    writeFileSync(join(dest, 'notes.txt'), 'mine');
    return { dest, before: snapshot(dest) };
  }

  it('no input option: usage error, exit 2', () => {
    const { dest, before } = usedDest();
    expectOneLineError(run([dest]), 2, 'no input');
    expect(snapshot(dest)).toEqual(before);
  });

  it('--stdin at a terminal: usage error at once, exit 2, instead of waiting for keystrokes', () => {
    const dest = join(tmp(), 'out');
    // util-linux `script` runs the command on a pseudo-terminal (stdin included).
    const r = spawnSync('script', ['-qec', `'${process.execPath}' '${BIN}' --stdin '${dest}'`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('stackviz-export: --stdin: standard input is a terminal, not a stream');
    expect(existsSync(dest)).toBe(false);
  });

  it('--stdin from a folder (`< dir`): one line, exit 1, not an empty run', () => {
    const dir = tmp();
    const fd = openSync(dir, 'r');
    const r = spawnSync(process.execPath, [BIN, '--stdin', join(dir, 'out')], {
      encoding: 'utf8',
      stdio: [fd, 'pipe', 'pipe'],
      timeout: 30_000,
    });
    closeSync(fd);
    expectOneLineError(r, 1, 'standard input is a folder, not a subunit stream');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('--html when the viewer cannot be written: one line, exit 1, the data files in place', () => {
    const dest = join(tmp(), 'out');
    mkdirSync(dest);
    // A file where the viewer's assets/ folder goes.
    writeFileSync(join(dest, 'assets'), 'in the way');
    const r = run(['-f', FAILURE, '--html', dest]);
    expectOneLineError(r, 1, `${dest}: cannot write the viewer: `);
    expect(r.stderr).toContain("(the export's data files are complete)");
    expect(readExport(dest, 0).raw).toHaveLength(63);
  });

  it('an unknown option: usage error, exit 2', () => {
    expectOneLineError(run(['--bogus', '-f', FAILURE, join(tmp(), 'x')]), 2, '--bogus');
  });

  it('a missing file, even next to a good one: exit 1, DEST untouched', () => {
    const { dest, before } = usedDest();
    expectOneLineError(
      run(['-f', FAILURE, '-f', '/nonexistent/run.subunit', dest]),
      1,
      '/nonexistent/run.subunit',
    );
    expect(snapshot(dest)).toEqual(before);
  });

  it('an unreadable file: exit 1', () => {
    if (process.getuid?.() === 0) {
      // root reads everything: use a directory given as a stream file instead.
      expectOneLineError(run(['-f', tmp(), join(tmp(), 'x')]), 1, 'is a directory');
      return;
    }
    const f = join(tmp(), 'locked.subunit');
    writeFileSync(f, 'x', { mode: 0o000 });
    expectOneLineError(run(['-f', f, join(tmp(), 'x')]), 1, 'permission denied');
  });

  it('a folder that is not a repository: exit 1', () => {
    const { dest, before } = usedDest();
    const notRepo = tmp();
    expectOneLineError(run(['-r', notRepo, dest]), 1, notRepo);
    expect(snapshot(dest)).toEqual(before);
  });

  it('a --dstat file that is not a dstat CSV: exit 1', () => {
    const { dest, before } = usedDest();
    expectOneLineError(run(['-f', FAILURE, '--dstat', FAILURE, dest]), 1, 'not a dstat CSV');
    expect(snapshot(dest)).toEqual(before);
  });

  it('an unwritable DEST: exit 1, nothing created', () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    expectOneLineError(run(['-f', FAILURE, join(file, 'out')]), 1, join(file, 'out'));
    expect(readFileSync(file, 'utf8')).toBe('x');
    expectOneLineError(
      run(['-f', FAILURE, file]),
      1,
      `${file}: cannot write the export: it is a file, not a folder`,
    );
    expect(readFileSync(file, 'utf8')).toBe('x');
    expectOneLineError(run(['-f', FAILURE, '']), 2, 'DEST is empty');
  });

  it('a --single-file path that is a folder, a pipe or under a file: exit 1 before anything is written', () => {
    const dir = tmp();
    const dest = join(dir, 'out');
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    const before = snapshot(dest);
    mkdirSync(join(dir, 'a-folder'));
    writeFileSync(join(dir, 'a-file'), 'x');
    expect(spawnSync('mkfifo', [join(dir, 'a-pipe')]).status).toBe(0);
    const cases: [string, string][] = [
      [join(dir, 'a-folder'), 'it is a folder'],
      // Renaming the page over it replaced a device or a pipe with a regular file.
      [join(dir, 'a-pipe'), 'it is not a regular file'],
      [join(dir, 'a-file', 'report.html'), 'a part of the path is not a folder'],
    ];
    for (const [page, problem] of cases) {
      const r = run(['-f', join(STREAMS, 'tempest.subunit'), '--single-file', page, dest]);
      expectOneLineError(r, 1, `${page}: cannot write the single file there: ${problem}`);
      expect(snapshot(dest)).toEqual(before);
    }
    expect(readdirSync(dir).sort()).toEqual(['a-file', 'a-folder', 'a-pipe', 'out']);
    expect(readdirSync(join(dir, 'a-folder'))).toEqual([]);
  });
});

describe('stackviz-export DEST handling', () => {
  it('re-exporting replaces the old export cleanly and keeps unrelated files', () => {
    const dest = join(tmp(), 'out');
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    writeFileSync(join(dest, 'notes.txt'), 'mine');
    const old = config(dest).tempest?.[0];
    // Exports before details were stored once had shard folders, listed in config.json: they go too.
    const oldConfig = JSON.parse(readFileSync(join(dest, 'config.json'), 'utf8')) as ConfigFile;
    Object.assign(oldConfig.tempest?.[0] ?? {}, { details_shards: ['old_details/0.json'] });
    writeFileSync(join(dest, 'config.json'), JSON.stringify(oldConfig));
    mkdirSync(join(dest, 'old_details'));
    writeFileSync(join(dest, 'old_details', '0.json'), '{}');
    expect(run(['-f', join(STREAMS, 'tempest.subunit'), dest]).status).toBe(0);
    expect(existsSync(join(dest, old?.raw ?? 'x'))).toBe(false);
    expect(existsSync(join(dest, 'old_details'))).toBe(false);
    expect(readFileSync(join(dest, 'notes.txt'), 'utf8')).toBe('mine');
    const files = readdirSync(dest)
      .filter((f) => f !== 'notes.txt')
      .sort();
    expect(files).toEqual([
      'config.json',
      'tempest_tempest_0_details.json',
      'tempest_tempest_0_raw.json',
      'tempest_tempest_0_stats.json',
      'tempest_tempest_0_timeline.json.gz',
      'tempest_tempest_0_tree.json',
    ]);
  });

  it('removing the previous export never follows a symbolic link out of DEST', () => {
    const root = tmp();
    const dest = join(root, 'out');
    const victims = join(root, 'victims');
    mkdirSync(join(victims, 'sub'), { recursive: true });
    for (const f of ['keep.txt', 'sub/keep.txt']) writeFileSync(join(victims, f), 'not ours');
    mkdirSync(dest);
    symlinkSync('../victims', join(dest, 'rel'));
    symlinkSync(victims, join(dest, 'abs'));
    symlinkSync(join(victims, 'keep.txt'), join(dest, 'link.txt'));
    // A config.json (hand-made, or an old export's edited) whose paths lead out through the links.
    const paths = ['rel/keep.txt', 'abs/keep.txt', 'abs/sub/keep.txt', 'link.txt'];
    writeFileSync(
      join(dest, 'config.json'),
      JSON.stringify({
        tempest: [{ raw: paths[0], details: paths[1], details_shards: [paths[2]] }],
        datasets: [{ artifacts: [{ path: paths[3] }] }],
      }),
    );
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    for (const f of ['keep.txt', 'sub/keep.txt'])
      expect(readFileSync(join(victims, f), 'utf8')).toBe('not ours');
    // A listed link is the old export's own entry: the link itself goes, never what it points to.
    expect(existsSync(join(dest, 'link.txt'))).toBe(false);
    expect(readdirSync(dest)).toContain('rel');
  });

  it('an interrupted export (SIGTERM, Ctrl-C) removes what it wrote: DEST as it was, or gone if it was new', async () => {
    const interrupt = async (dest: string, sig: 'SIGTERM' | 'SIGINT'): Promise<[number | null, string]> => {
      const child = spawn(process.execPath, [BIN, '-i', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.write(readFileSync(FAILURE));
      for (let k = 0; k < 100; k++) {
        if (existsSync(dest) && readdirSync(dest).some((f) => f.startsWith('.stackviz-export-'))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(readdirSync(dest).some((f) => f.startsWith('.stackviz-export-'))).toBe(true);
      child.kill(sig);
      const code = await shellStatus(child);
      return [code, stderr];
    };
    const dest = join(tmp(), 'out');
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    const before = snapshot(dest);
    const [code, stderr] = await interrupt(dest, 'SIGTERM');
    expect(code).toBe(143);
    expect(stderr).toBe('stackviz-export: interrupted (SIGTERM); nothing was written\n');
    expect(snapshot(dest)).toEqual(before);
    expect(readdirSync(dest).some((f) => f.startsWith('.stackviz-export-'))).toBe(false);

    const fresh = join(tmp(), 'new', 'out');
    const [c2, e2] = await interrupt(fresh, 'SIGINT');
    expect([c2, e2]).toEqual([130, 'stackviz-export: interrupted (SIGINT); nothing was written\n']);
    expect(existsSync(join(fresh, '..'))).toBe(false);
  });

  it('interrupted while writing the single file: the export stays whole in DEST, no temporary file is left', async () => {
    const dir = tmp();
    const dest = join(dir, 'out');
    const page = join(dir, 'report.html');
    const packets: Uint8Array[] = [];
    // ~30 MB: the single file then takes a good part of a second to write, time enough to interrupt it.
    generateStream({ tests: 3000, bytes: 30_000_000, seed: 9 }, (p) => packets.push(p));
    const stream = Buffer.concat(packets);
    const child = spawn(process.execPath, [BIN, '-i', '--single-file', page, dest], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stream);
    const pageTemp = (): boolean => readdirSync(dir).some((f) => f.endsWith('.stackviz-tmp'));
    for (let k = 0; k < 3000 && !pageTemp() && child.exitCode === null; k++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(pageTemp()).toBe(true);
    child.kill('SIGINT');
    const code = await shellStatus(child);
    expect(code).toBe(130);
    expect(stderr).toBe(
      `stackviz-export: interrupted (SIGINT); the export had been written and is whole in ${dest} (the viewer files were not)\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['out']);
    expect(readExport(dest, 0).raw).toHaveLength(3000);
  });

  it('Ctrl-C while a named pipe waits for its writer ends the export at once', async () => {
    const dir = tmp();
    const fifo = join(dir, 'nobody-writes');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [BIN, '-f', fifo, join(dir, 'out')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((r) => setTimeout(r, 1000));
    child.kill('SIGINT');
    // Before the fix the message came, but process.exit then waited for ever on libuv's thread stuck in open().
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const status = await shellStatus(child);
    clearTimeout(timer);
    expect(status).toBe(130);
    expect(stderr).toBe('stackviz-export: interrupted (SIGINT); nothing was written\n');
    expect(readdirSync(dir)).toEqual(['nobody-writes']);
  });

  it('a second export into a DEST another export is writing gives way at once; the first completes', async () => {
    const dest = join(tmp(), 'out');
    // The first export reads stdin, held open: it is under way until the stream ends.
    const first = spawn(process.execPath, [BIN, '-i', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
    first.stdin.write(readFileSync(FAILURE));
    for (
      let k = 0;
      k < 200 && !(existsSync(dest) && readdirSync(dest).some((f) => f.startsWith('.stackviz-')));
      k++
    )
      await new Promise((r) => setTimeout(r, 25));
    const second = run(['-f', join(STREAMS, 'tempest.subunit'), dest]);
    expectOneLineError(second, 1, `${dest}: another stackviz-export (process ${first.pid}) is writing there`);
    first.stdin.end();
    expect(await shellStatus(first)).toBe(0);
    expect(readExport(dest, 0).raw).toHaveLength(63);
    expect(readdirSync(dest).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a killed export leaves the previous export loadable and unchanged', async () => {
    const dest = join(tmp(), 'out');
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    const before = snapshot(dest);
    const child = spawn(process.execPath, [BIN, '-i', dest], { stdio: ['pipe', 'ignore', 'ignore'] });
    // Feed part of a stream and keep stdin open, so the export is mid-way when killed.
    child.stdin.write(readFileSync(FAILURE));
    for (let k = 0; k < 100 && !readdirSync(dest).some((f) => f.startsWith('.stackviz-export-')); k++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readdirSync(dest).some((f) => f.startsWith('.stackviz-export-'))).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const after = snapshot(dest);
    for (const [k, v] of before) expect(after.get(k)).toBe(v);
    const c = config(dest);
    for (const a of c.datasets[0]?.artifacts ?? []) expect(existsSync(join(dest, a.path))).toBe(true);
    // The next export clears the dead one's temporary folder.
    expect(run(['-f', FAILURE, dest]).status).toBe(0);
    expect(readdirSync(dest).some((f) => f.startsWith('.stackviz-export-'))).toBe(false);
  });
});

describe('the launcher', () => {
  it('runs `stackviz export` as `stackviz-export`: one process, the same node settings, the same files', async () => {
    const dests = [join(tmp(), 'a'), join(tmp(), 'b')];
    const commands: [string, string[]][] = [
      [join(process.cwd(), 'bin', 'stackviz.js'), ['export']],
      [BIN, []],
    ];
    const cmdlines: string[][] = [];
    for (const [i, [bin, pre]] of commands.entries()) {
      const child = spawn(bin, [...pre, '-q', '--stdin', dests[i] as string], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // While it waits for its input, its command line (/proc) shows how node was started: once node runs
      // (before, the process is the launcher's sh, then `env`, whose arguments name the script too).
      let cmd: string[] = [];
      const isNode = (c: string[]): boolean =>
        /(^|\/)node$/.test(c[0] ?? '') && c.some((a) => a.endsWith('stackviz-export.js'));
      for (let k = 0; k < 200 && !isNode(cmd); k++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        cmd = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1').split('\0');
      }
      cmdlines.push(cmd.slice(0, -1).map((a) => a.replace(/^.*\/(?=[^/]+$)/, '')));
      child.stdin.end(readFileSync(FAILURE));
      expect(await exit).toBe(0);
    }
    expect(cmdlines[0]).toContain('--max-semi-space-size=1');
    expect(cmdlines[0]).toEqual([...(cmdlines[1] ?? []).slice(0, -1), dests[0]?.replace(/^.*\//, '')]);
    const [a, b] = dests.map((d) => readTree(d));
    expect([...(a ?? new Map()).keys()]).toEqual([...(b ?? new Map()).keys()]);
    for (const [p, bytes] of a ?? new Map<string, Buffer>())
      expect(bytes.equals(b?.get(p) as Buffer), p).toBe(true);
  });
});
