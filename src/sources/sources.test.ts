// Sources: files, stdin, repositories, gzip (single, multi-member, corrupt), and the up-front input checks.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DamagedInputError,
  describeFsError,
  InputError,
  openRepository,
  READ_CHUNK,
  repositorySource,
  stdinSource,
  validateInputs,
} from './index.js';
import type { Source } from './index.js';
import type { SourceRun } from './source.js';

const ROOT = join(import.meta.dirname, '../..');
const REPO = join(ROOT, 'examples/stestr-repo');
const tmp = mkdtempSync(join(tmpdir(), 'stackviz-sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.length) };
}

async function runsOf(source: Source): Promise<{ id: number; size: number | null; bytes: Buffer }[]> {
  const out: { id: number; size: number | null; bytes: Buffer }[] = [];
  for await (const r of source.runs())
    out.push({ id: r.runId, size: r.sizeBytes, bytes: (await readAll(r.open())).bytes });
  return out;
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

function write(name: string, data: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

describe('file sources', () => {
  it('give one run (id 0) with the file bytes, in chunks of at most READ_CHUNK', async () => {
    const data = Buffer.alloc(READ_CHUNK * 2 + 12345, 7);
    const p = write('big.subunit', data);
    const [src] = await validateInputs([{ kind: 'file', path: p }]);
    expect(src?.kind).toBe('file');
    expect(src?.label).toBe('big.subunit');
    const runs = await runsOf(src as Source);
    expect(runs.map((r) => [r.id, r.size])).toEqual([[0, data.length]]);
    expect(runs[0]?.bytes.equals(data)).toBe(true);
    const { sizes } = await readAll(
      (
        (await (src as Source).runs()[Symbol.asyncIterator]().next()).value as {
          open(): AsyncIterable<Uint8Array>;
        }
      ).open(),
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(READ_CHUNK);
    expect(sizes.length).toBeGreaterThan(2);
  });

  it('are gunzipped when they start with the gzip magic, including several members', async () => {
    const a = Buffer.from('first member\n'.repeat(1000));
    const b = Buffer.from('second member\n'.repeat(1000));
    const one = write('one.subunit.gz', gzipSync(a));
    const two = write('two.subunit', Buffer.concat([gzipSync(a), gzipSync(b)]));
    const [s1, s2] = await validateInputs([
      { kind: 'file', path: one },
      { kind: 'file', path: two },
    ]);
    expect((await runsOf(s1 as Source))[0]?.bytes.equals(a)).toBe(true);
    expect((await runsOf(s2 as Source))[0]?.bytes.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('turn gzip that is corrupt before any inflated byte into an InputError while reading', async () => {
    const gz = gzipSync(Buffer.from('x'.repeat(100000)));
    const bad = Buffer.from(gz);
    bad.fill(0x55, 10, 60);
    const cases = [write('bad.gz', bad), write('magic.gz', Uint8Array.of(0x1f, 0x8b, 1, 2, 3))];
    for (const p of cases) {
      const [src] = await validateInputs([{ kind: 'file', path: p }]);
      const e = await inputError(runsOf(src as Source));
      expect(e).not.toBeInstanceOf(DamagedInputError);
      expect(e.message).toMatch(
        new RegExp(`^cannot read '${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': corrupt gzip data`),
      );
      expect(e.message).not.toContain('\n');
    }
  });

  it('give the inflated bytes of a gzip stream cut short, then a DamagedInputError saying how many', async () => {
    const text = Buffer.from(Array.from({ length: 200000 }, (_, i) => `line ${i * 7919}\n`).join(''));
    const gz = gzipSync(text);
    const p = write('short.gz', gz.subarray(0, gz.length >> 1));
    const [src] = await validateInputs([{ kind: 'file', path: p }]);
    const [run] = await (async () => {
      const all: SourceRun[] = [];
      for await (const r of (src as Source).runs()) all.push(r);
      return all;
    })();
    const got: Buffer[] = [];
    let err: unknown = null;
    try {
      for await (const c of (run as SourceRun).open()) got.push(Buffer.from(c));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DamagedInputError);
    const read = Buffer.concat(got);
    expect(read.length).toBeGreaterThan(100000);
    expect(read.equals(text.subarray(0, read.length))).toBe(true);
    expect((err as DamagedInputError).bytesRead).toBe(read.length);
    expect((err as DamagedInputError).message).toBe(
      `'${p}': corrupt gzip data (unexpected end of file) after ${read.length} bytes`,
    );
  });

  it('report a missing file, a directory and an unreadable path before reading', async () => {
    const missing = join(tmp, 'nope.subunit');
    expect((await inputError(validateInputs([{ kind: 'file', path: missing }]))).message).toBe(
      `cannot read '${missing}': no such file`,
    );
    expect((await inputError(validateInputs([{ kind: 'file', path: tmp }]))).message).toContain(
      'is a directory',
    );
    const notDir = join(write('plain.txt', 'x'), 'child');
    expect((await inputError(validateInputs([{ kind: 'file', path: notDir }]))).problem).toBe(
      'a part of the path is not a directory',
    );
    expect(describeFsError(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('permission denied');
    const locked = write('locked.subunit', 'x');
    chmodSync(locked, 0);
    if (process.getuid?.() === 0) {
      // root reads anything: the mapping is checked above; here the file simply opens.
      expect((await validateInputs([{ kind: 'file', path: locked }])).length).toBe(1);
    } else {
      expect((await inputError(validateInputs([{ kind: 'file', path: locked }]))).problem).toBe(
        'permission denied',
      );
    }
  });

  it('stop at the first bad input, keeping the order of the good ones', async () => {
    const good = write('good.subunit', 'a');
    const other = write('other.subunit', 'b');
    const srcs = await validateInputs([
      { kind: 'file', path: other },
      { kind: 'repository', path: REPO },
      { kind: 'file', path: good },
    ]);
    expect(srcs.map((s) => s.label)).toEqual(['other.subunit', 'stestr-repo', 'good.subunit']);
    await inputError(
      validateInputs([
        { kind: 'file', path: good },
        { kind: 'file', path: join(tmp, 'missing') },
      ]),
    );
  });

  it('turn a file vanishing after the check into an InputError while reading', async () => {
    const p = write('gone.subunit', 'abc');
    const [src] = await validateInputs([{ kind: 'file', path: p }]);
    rmSync(p);
    expect((await inputError(runsOf(src as Source))).message).toBe(
      `cannot read '${p}': read error: no such file`,
    );
  });
});

describe("plain file readers (read straight into the caller's memory)", () => {
  /** Everything a plain reader gives, read into one shared buffer in reads of `n` bytes. */
  async function readPlain(p: string, n: number): Promise<Buffer | null> {
    const [src] = await validateInputs([{ kind: 'file', path: p }]);
    const runs: SourceRun[] = [];
    for await (const r of (src as Source).runs()) runs.push(r);
    const plain = await (runs[0] as Required<SourceRun>).openPlain();
    if (plain === null) return null;
    const into = new Uint8Array(new SharedArrayBuffer(n + 3));
    const parts: Buffer[] = [];
    try {
      for (let got; (got = await plain.read(into, 3, n)) > 0;)
        parts.push(Buffer.from(into.subarray(3, 3 + got)));
    } finally {
      await plain.close();
    }
    return Buffer.concat(parts);
  }

  it('read a plain file in order, and give way to `open` for a gzipped one', async () => {
    const bytes = Buffer.from(Array.from({ length: 300_001 }, (_, i) => (i * 7) % 256));
    expect((await readPlain(write('plain.bin', bytes), 65_536))?.equals(bytes)).toBe(true);
    expect(await readPlain(write('plain.gz', gzipSync(bytes)), 65_536)).toBeNull();
    expect((await readPlain(write('one.bin', Buffer.from([0x1f])), 10))?.equals(Buffer.from([0x1f]))).toBe(
      true,
    );
  });

  it('leave a named pipe alone (read through `open`, its writer still connected)', async () => {
    const fifo = join(tmp, 'pipe.subunit');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The check does not open it either (that would wait for a writer): it returns at once, with no size.
    const [checked] = await validateInputs([{ kind: 'file', path: fifo }]);
    const runs: SourceRun[] = [];
    for await (const r of (checked as Source).runs()) runs.push(r);
    expect(runs[0]?.sizeBytes).toBeNull();
    const run = runs[0] as Required<SourceRun>;
    // Not even opened: opening a pipe waits for its writer, and closing it would lose the writer's bytes.
    expect(await run.openPlain()).toBeNull();
    const writer = spawn('sh', ['-c', `printf 'hello pipe' > '${fifo}'`]);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    expect((await readAll(run.open())).bytes.toString()).toBe('hello pipe');
    expect(await exited).toBe(0);
  });

  it('turn a file vanishing after the check into an InputError', async () => {
    const p = write('gone-plain.subunit', 'abc');
    const [src] = await validateInputs([{ kind: 'file', path: p }]);
    rmSync(p);
    for await (const r of (src as Source).runs())
      expect((await inputError((r as Required<SourceRun>).openPlain())).message).toBe(
        `cannot read '${p}': read error: no such file`,
      );
  });
});

describe('stdin', () => {
  it('is one run with no size, gunzipped even when the first chunk is one byte', async () => {
    const data = Buffer.from('time: 2026-01-01 00:00:00Z\n'.repeat(50));
    const gz = gzipSync(data);
    const chunks = [gz.subarray(0, 1), gz.subarray(1, 10), gz.subarray(10)];
    const src = stdinSource(Readable.from(chunks));
    expect([src.kind, src.label, src.path]).toEqual(['stdin', 'stdin', null]);
    const runs = await runsOf(src);
    expect(runs.map((r) => [r.id, r.size])).toEqual([[0, null]]);
    expect(runs[0]?.bytes.equals(data)).toBe(true);
    const plain = await runsOf(stdinSource(Readable.from([Buffer.from('x'), Buffer.from('yz')])));
    expect(plain[0]?.bytes.toString()).toBe('xyz');
    expect((await runsOf(stdinSource(Readable.from([]))))[0]?.bytes.length).toBe(0);
  });
});

describe('repositories', () => {
  const stored = ['0', '1', '2'].map((id) => readFileSync(join(REPO, '.stestr', id)));

  it('read every stored run of the example repository in ascending id, given the folder or .stestr', async () => {
    for (const given of [REPO, join(REPO, '.stestr')]) {
      const repo = await openRepository(given);
      expect(repo.label).toBe('stestr-repo');
      const runs = await runsOf(repositorySource(repo));
      expect(runs.map((r) => r.id)).toEqual([0, 1, 2]);
      runs.forEach((r, k) => {
        expect(r.bytes.equals(stored[k] as Buffer)).toBe(true);
        expect(r.size).toBe((stored[k] as Buffer).length);
      });
    }
  });

  it('list only integer-named files, numerically; an empty run is a run; legacy .testrepository works', async () => {
    const base = join(tmp, 'proj');
    const dir = join(base, '.testrepository');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'format'), '1\n');
    writeFileSync(join(dir, 'next-stream'), '11\n');
    for (const f of ['failing', 'times.dbm', 'times.dbm.dat', 'meta.dbm.dir', 'tmpab12cd', '3.bak'])
      writeFileSync(join(dir, f), 'x');
    writeFileSync(join(dir, '10'), 'ten');
    writeFileSync(join(dir, '9'), 'nine');
    writeFileSync(join(dir, '2'), '');
    writeFileSync(join(dir, '4'), gzipSync(Buffer.from('four')));
    mkdirSync(join(dir, '5'));
    const repo = await openRepository(base);
    expect(repo.label).toBe('proj');
    const runs = await runsOf(repositorySource(repo));
    expect(runs.map((r) => [r.id, r.bytes.toString()])).toEqual([
      [2, ''],
      [4, 'four'],
      [9, 'nine'],
      [10, 'ten'],
    ]);
  });

  it('refuse folders that are not repositories, with one line naming them', async () => {
    const empty = join(tmp, 'empty-folder');
    mkdirSync(empty);
    expect((await inputError(openRepository(empty))).message).toBe(
      `'${empty}' is not a repository: no .stestr or .testrepository folder in it`,
    );
    const noFormat = join(tmp, 'no-format');
    mkdirSync(join(noFormat, '.stestr'), { recursive: true });
    expect((await inputError(openRepository(noFormat))).message).toBe(
      `'${noFormat}' is not a repository: '${join(noFormat, '.stestr')}' has no format file`,
    );
    const file = write('a-file', 'x');
    expect((await inputError(openRepository(file))).message).toBe(
      `'${file}' is not a repository: not a directory`,
    );
    const missing = join(tmp, 'no-such-dir');
    expect((await inputError(openRepository(missing))).message).toBe(
      `cannot read '${missing}': no such file`,
    );
    const wrong = join(tmp, 'wrong-format', '.stestr');
    mkdirSync(wrong, { recursive: true });
    writeFileSync(join(wrong, 'format'), '2\n');
    expect((await inputError(openRepository(join(tmp, 'wrong-format')))).problem).toContain(
      "unsupported repository format '2'",
    );
  });
});
