// `npm run bench`: the exporter against cat and gzip -1 on generated tempest-like streams; a table and bench/results.json.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDstat } from '../src/formats/dstat/index.js';
import { dstatCsv, writeStreamFile } from './generate.js';
import type { GenerateOptions } from './generate.js';

/** The original Python exporter on the 206 MB, 80,000-test stream, as measured in the issue. */
const ORIGINAL = { wallS: 14.4, rssMB: 377, streamMB: 206, tests: 80_000 };

/**
 * The original exporter, run side by side when STACKVIZ_ORIGINAL names a checkout of openstack/stackviz:
 * `python3 -m stackviz.export` with that checkout (and STACKVIZ_ORIGINAL_PYTHONPATH, e.g. where stestr is)
 * on the path. STACKVIZ_ORIGINAL_PYTHON is the interpreter (default python3); it needs python-subunit and
 * testtools. Nothing of it is in this repository.
 */
const ORIGINAL_CHECKOUT = process.env['STACKVIZ_ORIGINAL'] ?? null;
const ORIGINAL_TOOL = 'original (python)';

interface Size {
  name: string;
  opts: GenerateOptions;
}

const SIZES: Size[] = [
  { name: 'small', opts: { tests: 1_000, bytes: 2_000_000, seed: 1 } },
  { name: 'medium', opts: { tests: 20_000, bytes: 50_000_000, seed: 2 } },
  { name: 'large', opts: { tests: 80_000, bytes: 206_000_000, seed: 3 } },
];
const XL: Size = {
  name: 'xl',
  opts: {
    tests: 400_000,
    bytes: 1_000_000_000,
    seed: 4,
    maxPacketBytes: 4 * 1024 * 1024 - 1,
    hugeAttachments: true,
  },
};

interface Measure {
  wallS: number;
  /** User + system CPU seconds of the child (GNU time only): steadier than wall time on a busy machine. */
  cpuS: number | null;
  rssMB: number | null;
  exitCode: number;
  error: string | null;
}

interface Row {
  tool: string;
  runs: Measure[];
  wallS: number;
  cpuS: number | null;
  rssMB: number | null;
  mbPerS: number;
  testsPerS: number | null;
  xCat: number | null;
  xGzip: number | null;
  error: string | null;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, 'bench', 'data');
const EXPORT_BIN = join(ROOT, 'bin', 'stackviz-export.js');
const EXPORT_MAIN = join(ROOT, 'dist', 'src', 'cli', 'export-main.js');
const TIME = '/usr/bin/time';

/**
 * Run a command once: wall time, and the child's peak RSS from GNU time's %M (KiB) when /usr/bin/time exists,
 * else from polling /proc/<pid>/status VmHWM (the kernel's high-water mark, so the last reading is the peak
 * as of at most one poll before exit).
 */
function measure(cmd: string, args: string[]): Promise<Measure> {
  const useTime = existsSync(TIME);
  const rssFile = join(tmpdir(), `stackviz-bench-rss-${process.pid}-${Date.now()}`);
  const argv = useTime ? ['-f', '%M %U %S', '-o', rssFile, cmd, ...args] : args;
  const start = process.hrtime.bigint();
  return new Promise((done) => {
    const child = spawn(useTime ? TIME : cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString('utf8');
    });
    let hwmKiB = 0;
    const poll = useTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8'));
            if (m !== null) hwmKiB = Math.max(hwmKiB, Number(m[1]));
          } catch {
            // The child has exited between two polls.
          }
        }, 20);
    child.on('error', (e) => {
      if (poll !== null) clearInterval(poll);
      done({ wallS: NaN, cpuS: null, rssMB: null, exitCode: -1, error: e.message });
    });
    child.on('close', (code) => {
      const wallS = Number(process.hrtime.bigint() - start) / 1e9;
      if (poll !== null) clearInterval(poll);
      let rssKiB: number | null = hwmKiB > 0 ? hwmKiB : null;
      let cpuS: number | null = null;
      if (useTime && existsSync(rssFile)) {
        // GNU time prints "Command exited with non-zero status N" first when the command fails.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        const [rss, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
        rssKiB = rss !== undefined && Number.isFinite(rss) ? rss : null;
        cpuS = user !== undefined && sys !== undefined && Number.isFinite(user + sys) ? user + sys : null;
        rmSync(rssFile, { force: true });
      }
      const exitCode = code ?? -1;
      const firstError =
        stderr
          .trim()
          .split('\n')
          .find((l) => l.trim().length > 0) ?? null;
      done({
        wallS,
        cpuS,
        rssMB: rssKiB === null ? null : rssKiB / 1024,
        exitCode,
        error: exitCode === 0 ? null : (firstError ?? `exit ${exitCode}`),
      });
    });
  });
}

/** The exporter is another helper's work in progress: say clearly when it cannot be run yet. */
async function exporterStatus(): Promise<string | null> {
  if (!existsSync(EXPORT_BIN)) return `${EXPORT_BIN} is missing`;
  if (!existsSync(EXPORT_MAIN))
    return `${EXPORT_MAIN} is missing (run \`npm run build\`; is src/cli/export-main.ts written yet?)`;
  const m = await measure(process.execPath, [EXPORT_BIN, '--help']);
  return m.exitCode === 0 ? null : `stackviz-export --help failed: ${m.error ?? ''}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function streamPath(size: Size): string {
  const o = size.opts;
  const tag = `${size.name}-t${o.tests}-b${o.bytes}-s${o.seed}${o.maxPacketBytes === undefined ? '' : `-p${o.maxPacketBytes}`}${o.hugeAttachments === true ? '-huge' : ''}`;
  return join(DATA, `${tag}.subunit`);
}

function ensureStream(size: Size): string {
  const path = streamPath(size);
  if (existsSync(path)) return path;
  mkdirSync(DATA, { recursive: true });
  const start = Date.now();
  process.stderr.write(`generating ${path} ...`);
  const tmp = `${path}.tmp`;
  const s = writeStreamFile(tmp, size.opts);
  writeFileSync(
    join(DATA, `${size.name}.dstat.csv`),
    dstatCsv({ startUtcMs: s.startUtcMs, endUtcMs: s.endUtcMs, seed: size.opts.seed, rows: 10_000 }),
  );
  // Renamed only when complete, so an interrupted generation is not taken for a cached stream.
  writeFileSync(`${path}.json`, JSON.stringify(s, null, 2));
  renameSync(tmp, path);
  process.stderr.write(
    ` ${(s.bytes / 1e6).toFixed(1)} MB, ${s.tests} tests in ${((Date.now() - start) / 1000).toFixed(1)} s\n`,
  );
  return path;
}

async function runSize(
  size: Size,
  runs: number,
  exporterProblem: string | null,
): Promise<{ size: Size; bytes: number; rows: Row[] }> {
  const file = ensureStream(size);
  const bytes = statSync(file).size;
  const tests = size.opts.tests;
  const tools: { tool: string; cmd: string; args: (dest: string) => string[]; exporter: boolean }[] = [
    { tool: 'cat', cmd: 'cat', args: () => [file], exporter: false },
    { tool: 'gzip -1', cmd: 'gzip', args: () => ['-1', '-c', file], exporter: false },
    {
      tool: 'stackviz-export',
      cmd: EXPORT_BIN,
      args: (d) => ['-q', '-f', file, d],
      exporter: true,
    },
    {
      tool: 'stackviz-export -z',
      cmd: EXPORT_BIN,
      args: (d) => ['-q', '-z', '-f', file, d],
      exporter: true,
    },
  ];
  if (ORIGINAL_CHECKOUT !== null) {
    const pythonPath = [ORIGINAL_CHECKOUT, process.env['STACKVIZ_ORIGINAL_PYTHONPATH']].filter(Boolean);
    tools.push({
      tool: ORIGINAL_TOOL,
      cmd: 'env',
      args: (d) => [
        `PYTHONPATH=${pythonPath.join(':')}`,
        process.env['STACKVIZ_ORIGINAL_PYTHON'] ?? 'python3',
        '-m',
        'stackviz.export',
        '-f',
        file,
        d,
      ],
      exporter: false,
    });
  }
  // Runs go round the tools (cat, gzip, export, export -z, then again), so a change in the machine's load
  // during the benchmark touches every tool alike rather than whichever ran last.
  const measured = new Map<string, Measure[]>(tools.map((t) => [t.tool, []]));
  for (let r = 0; r < runs; r++) {
    for (const t of tools) {
      if (t.exporter && exporterProblem !== null) continue;
      const dest = mkdtempSync(join(tmpdir(), 'stackviz-bench-'));
      try {
        measured.get(t.tool)?.push(await measure(t.cmd, t.args(dest)));
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
      process.stderr.write('.');
    }
  }
  const rows: Row[] = [];
  for (const t of tools) {
    const ms = measured.get(t.tool) ?? [];
    const ok = ms.filter((m) => m.exitCode === 0);
    const wallS = ok.length > 0 ? median(ok.map((m) => m.wallS)) : NaN;
    const cpu = ok.map((m) => m.cpuS).filter((v): v is number => v !== null);
    const rss = ok.map((m) => m.rssMB).filter((v): v is number => v !== null);
    const skipped = t.exporter && exporterProblem !== null;
    rows.push({
      tool: t.tool,
      runs: ms,
      wallS,
      cpuS: cpu.length > 0 ? median(cpu) : null,
      rssMB: rss.length > 0 ? Math.max(...rss) : null,
      mbPerS: bytes / 1e6 / wallS,
      testsPerS: t.exporter ? tests / wallS : null,
      xCat: null,
      xGzip: null,
      error: skipped
        ? exporterProblem
        : ok.length === ms.length
          ? null
          : (ms.find((m) => m.exitCode !== 0)?.error ?? 'failed'),
    });
  }
  const cat = rows.find((r) => r.tool === 'cat')?.wallS ?? NaN;
  const gzip = rows.find((r) => r.tool === 'gzip -1')?.wallS ?? NaN;
  for (const r of rows) {
    r.xCat = Number.isFinite(r.wallS / cat) ? r.wallS / cat : null;
    r.xGzip = Number.isFinite(r.wallS / gzip) ? r.wallS / gzip : null;
  }
  process.stderr.write('\n');
  return { size, bytes, rows };
}

/**
 * The viewer parses dstat logs in the browser: time 10,000 rows here too (first parse, then warm), in wall and
 * in CPU time (the process's, which includes the JIT and GC threads; steadier on a busy machine).
 */
function dstatParseTiming(): {
  rows: number;
  firstMs: number;
  warmMedianMs: number;
  firstCpuMs: number;
  warmMedianCpuMs: number;
} {
  const csv = dstatCsv({ startUtcMs: Date.UTC(2026, 10, 28, 14, 0), seed: 9, rows: 10_000 });
  const wall: number[] = [];
  const cpu: number[] = [];
  let rows = 0;
  for (let i = 0; i < 7; i++) {
    const c = process.cpuUsage();
    const s = performance.now();
    rows = parseDstat(csv).rows;
    wall.push(performance.now() - s);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  return {
    rows,
    firstMs: wall[0] ?? NaN,
    warmMedianMs: median(wall.slice(1)),
    firstCpuMs: cpu[0] ?? NaN,
    warmMedianCpuMs: median(cpu.slice(1)),
  };
}

const fmt = (v: number | null, digits = 2): string =>
  v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      large: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      only: { type: 'string' },
    },
  });
  const runs = Math.max(1, Number(values.runs));
  let sizes = values.large ? [...SIZES, XL] : SIZES;
  if (values.only !== undefined) {
    const wanted = new Set(values.only.split(','));
    sizes = [...SIZES, XL].filter((s) => wanted.has(s.name));
  }
  const exporterProblem = await exporterStatus();
  if (exporterProblem !== null) {
    process.stderr.write(
      `note: the exporter cannot be run (${exporterProblem}); measuring cat and gzip only\n`,
    );
  }
  const results = [];
  for (const size of sizes) results.push(await runSize(size, runs, exporterProblem));
  const dstat = dstatParseTiming();

  const lines: string[] = [];
  lines.push(
    `stackviz-export benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, median of ${runs} run(s), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  );
  lines.push('');
  lines.push(
    `${'size'.padEnd(8)} ${'stream'.padStart(9)} ${'tests'.padStart(8)}  ${'tool'.padEnd(19)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(7)} ${'MB/s'.padStart(8)} ${'tests/s'.padStart(9)} ${'peak RSS MB'.padStart(12)} ${'× cat'.padStart(7)} ${'× gzip-1'.padStart(9)}`,
  );
  for (const r of results) {
    for (const row of r.rows) {
      lines.push(
        `${r.size.name.padEnd(8)} ${`${(r.bytes / 1e6).toFixed(1)} MB`.padStart(9)} ${String(r.size.opts.tests).padStart(8)}  ${row.tool.padEnd(19)} ${fmt(row.wallS).padStart(8)} ${fmt(row.cpuS).padStart(7)} ${fmt(row.mbPerS, 1).padStart(8)} ${fmt(row.testsPerS, 0).padStart(9)} ${fmt(row.rssMB, 1).padStart(12)} ${fmt(row.xCat).padStart(7)} ${fmt(row.xGzip).padStart(9)}${row.error === null ? '' : `  ERROR: ${row.error}`}`,
      );
    }
  }
  const large = results.find((r) => r.size.name === 'large');
  const original: Record<string, number | null> = {};
  if (large !== undefined) {
    const plain = large.rows.find((r) => r.tool === 'stackviz-export');
    const z = large.rows.find((r) => r.tool === 'stackviz-export -z');
    original['speedup'] =
      plain !== undefined && Number.isFinite(plain.wallS) ? ORIGINAL.wallS / plain.wallS : null;
    const measured = large.rows.find((r) => r.tool === ORIGINAL_TOOL);
    original['measuredWallS'] = measured !== undefined && measured.error === null ? measured.wallS : null;
    original['measuredSpeedup'] =
      original['measuredWallS'] != null && plain !== undefined
        ? original['measuredWallS'] / plain.wallS
        : null;
    original['speedupCpu'] = plain?.cpuS != null && plain.cpuS > 0 ? ORIGINAL.wallS / plain.cpuS : null;
    original['memoryRatio'] = plain?.rssMB != null ? plain.rssMB / ORIGINAL.rssMB : null;
    original['gzipRatio'] = z?.xGzip ?? null;
    const gz = large.rows.find((r) => r.tool === 'gzip -1');
    original['gzipRatioCpu'] = z?.cpuS != null && gz?.cpuS != null && gz.cpuS > 0 ? z.cpuS / gz.cpuS : null;
    lines.push('');
    lines.push(
      `vs the original (${ORIGINAL.wallS} s, ${ORIGINAL.rssMB} MB on ${ORIGINAL.streamMB} MB / ${ORIGINAL.tests} tests, from the issue): ` +
        `${fmt(original['speedup'] ?? null, 1)}× faster by wall time (target ≥ 10×; ${fmt(original['speedupCpu'] ?? null, 1)}× ` +
        `counting our CPU seconds against its wall time, for a busy machine), ${fmt(plain?.rssMB ?? null, 0)} MB peak RSS ` +
        `(${fmt((original['memoryRatio'] ?? NaN) * 100, 0)}% of the original)`,
    );
    if (original['measuredSpeedup'] != null)
      lines.push(
        `vs the original measured in this run (${fmt(original['measuredWallS'] ?? null)} s, median): ` +
          `${fmt(original['measuredSpeedup'] ?? null, 1)}× faster by wall time (target ≥ 10×)`,
      );
    lines.push(
      `-z takes ${fmt(original['gzipRatio'] ?? null)}× gzip -1's wall time (target ≤ 2×); ` +
        `${fmt(original['gzipRatioCpu'] ?? null)}× its CPU time (both threads counted)`,
    );
  }
  const xl = results.find((r) => r.size.name === 'xl');
  if (xl !== undefined) {
    const plain = xl.rows.find((r) => r.tool === 'stackviz-export');
    lines.push(
      `xl (1 GB, 400,000 tests, 4 MiB packets): peak RSS ${fmt(plain?.rssMB ?? null, 1)} MB (target < 150 MB)`,
    );
  }
  lines.push(
    `dstat reader, 10,000 rows in node: first parse ${fmt(dstat.firstMs, 1)} ms (${fmt(dstat.firstCpuMs, 1)} ms CPU), ` +
      `warm median ${fmt(dstat.warmMedianMs, 1)} ms (${fmt(dstat.warmMedianCpuMs, 1)} ms CPU) (target < 100 ms)`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);

  const out = {
    date: new Date().toISOString(),
    machine: {
      loadAverage: loadavg(),
      cpus: cpus().length,
      model: cpus()[0]?.model ?? null,
      memGiB: totalmem() / 2 ** 30,
      node: process.version,
    },
    runs,
    original: { ...ORIGINAL, ...original },
    sizes: results.map((r) => ({
      name: r.size.name,
      bytes: r.bytes,
      tests: r.size.opts.tests,
      generator: r.size.opts,
      tools: r.rows,
    })),
    dstatParse: dstat,
  };
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote bench/results.json\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
