// The `stackviz-export` command: the original's options plus -q, --html and --single-file; errors as one line.
import { Command, CommanderError, Option } from 'commander';
import { constants as fsConstants, fstatSync, rmSync } from 'node:fs';
import { access, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runExport } from '../export/export.js';
import { JunitFile } from '../export/junit.js';
import type { ExportListener } from '../export/listener.js';
import { DestBusyError, stopExports } from '../export/output.js';
import { SideFileError } from '../export/side-file.js';
import { TraceFile } from '../export/trace-file.js';
import { packageRoot, packageVersion, writeHtmlSite } from '../export/site.js';
import { writeSingleFile } from '../export/single-file.js';
import { checkDstatHeader } from '../formats/dstat/index.js';
import { EXIT_GATE, FAIL_ON_CHOICES, FailureCount, type FailOn } from './fail-on.js';
import { MetaArgumentError, parseMetaArgs } from '../model/metadata.js';
import { classicDstatCopy, readPerformanceFile } from './ci-inputs.js';
import { readMetadata } from './run-metadata.js';
import { ExportHistory, StoreError } from './export-history.js';
import { describeFsError, InputError, isGzip, resolveInputs } from './inputs.js';
import { Logger } from './logger.js';

const PROG = 'stackviz-export';

/** Exit codes: 1 for bad input, DEST or store, 2 for usage, 3 for --fail-on (fail-on.ts), 70 (EX_SOFTWARE) for our own bugs. */
const EXIT_INPUT = 1;
const EXIT_USAGE = 2;
const EXIT_INTERNAL = 70;

class UsageError extends Error {}

/** A DEST problem: one line naming DEST, exit 1. */
class DestError extends Error {}

const errnoOf = (e: unknown): string | undefined =>
  e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;

/**
 * Before anything is written: --single-file must name a file we may create or replace. A folder, a device or a
 * pipe there is refused (renaming over a device replaced it with our page), and the nearest folder of the path
 * that exists must be a folder we can write in (missing ones are created when the page is written).
 */
async function checkSingleFileTarget(path: string): Promise<void> {
  const fail = (problem: string): never => {
    throw new DestError(`${path}: cannot write the single file there: ${problem}`);
  };
  const st = await stat(path).catch((e: unknown) => {
    if (errnoOf(e) === 'ENOENT') return null;
    if (errnoOf(e) === 'ENOTDIR') return fail('a part of the path is not a folder');
    return fail(describeFsError(e));
  });
  if (st !== null && st.isDirectory()) fail('it is a folder (give a file name, e.g. report.html)');
  if (st !== null && !st.isFile()) fail('it is not a regular file (a device or a pipe)');
  for (let dir = dirname(resolve(path)); ;) {
    const d = await stat(dir).catch((e: unknown) =>
      errnoOf(e) === 'ENOENT'
        ? null
        : fail(errnoOf(e) === 'ENOTDIR' ? 'a part of the path is not a folder' : describeFsError(e)),
    );
    if (d !== null) {
      if (!d.isDirectory()) fail('a part of the path is not a folder');
      await access(dir, fsConstants.W_OK).catch((e: unknown) => fail(describeFsError(e)));
      return;
    }
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** --stdin: a stream must be redirected in. */
function checkStdin(): void {
  // A folder redirected in (`< dir`) reads as nothing at all: say so rather than export an empty run.
  if (fstatSync(0).isDirectory()) {
    throw new InputError('stdin', 'is a folder', 'standard input is a folder, not a subunit stream');
  }
  // A subunit stream is binary: a terminal means the redirection was forgotten, and waiting for keystrokes
  // would look like a hang.
  if (process.stdin.isTTY === true) {
    throw new UsageError(
      '--stdin: standard input is a terminal, not a stream; redirect one in: --stdin DEST < results.subunit',
    );
  }
}

/** DEST, when given, must be a folder or nothing yet (what else is wrong shows when it is created). */
async function checkDest(dest: string): Promise<void> {
  if (dest === '') throw new UsageError('DEST is empty');
  const st = await stat(dest).catch(() => null);
  if (st !== null && !st.isDirectory())
    throw new DestError(`${dest}: cannot write the export: it is a file, not a folder`);
}

/**
 * The built preparing worker, found from the package root: the same file whether this module runs from
 * dist/src or from the bundle in dist/bundle, and the same URL the launcher prestarted it with.
 */
function preparingWorkerUrl(): URL {
  return pathToFileURL(join(packageRoot(), 'dist', 'bundle', 'export', 'prepare-worker.js'));
}

/** `1 run`, `2 runs`. */
const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

interface Options {
  streamFile: string[];
  stdin: boolean;
  repository: string[];
  dstat?: string;
  gzip: boolean;
  env: boolean;
  quiet: boolean;
  html: boolean;
  singleFile?: string;
  trace?: string;
  junit?: string;
  failOn?: FailOn;
  /** `--history [DB]`: true when given without a value (then STACKVIZ_DB, else the default file). */
  history?: string | true;
  job?: string;
  performance?: string;
  zuulInventory?: string;
  meta: string[];
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function program(): Command {
  return new Command()
    .name(PROG)
    .description('Generates JSON data files for a StackViz site from subunit streams and a dstat log.')
    .argument('[DEST]', "the output directory; created if it doesn't exist")
    .option(
      '-f, --stream-file <FILE>',
      'include the given subunit stream file; can be used multiple times',
      collect,
      [],
    )
    .option('-i, --stdin', 'read a subunit stream from standard input', false)
    .option(
      '-r, --repository <DIR>',
      'include every run of the .stestr repository in DIR; can be used multiple times',
      collect,
      [],
    )
    .option('--dstat <FILE>', 'the dstat log file (CSV, gzipped or not) to include')
    .option('-z, --gzip', 'gzip the data files (not config.json)', false)
    .option('-e, --env', 'include Zuul metadata from environment variables (ZUUL_PROJECT, ...)', false)
    .option(
      '--zuul-inventory <FILE>',
      "include Zuul v3 metadata from a build's zuul-info/inventory.yaml (overrides --env)",
    )
    .option(
      '--meta <KEY=VALUE>',
      'set run metadata (name, url, pipeline, change_id, ... or any other key); can be used multiple ' +
        'times; overrides --zuul-inventory and --env',
      collect,
      [],
    )
    .option('--performance <FILE>', "include devstack's performance.json (gzipped or not)")
    .option('-q, --quiet', 'print nothing but errors', false)
    .option('--html', 'also copy the viewer into DEST, making it a static site', false)
    .addOption(
      new Option('--single-file <FILE>', 'also write one self-contained HTML report (DEST optional)'),
    )
    .option(
      '--trace <FILE>',
      'also write a Chrome/Perfetto JSON trace: a thread per worker, a slice per test, dstat counters',
    )
    .option('--junit <FILE>', 'also write JUnit XML (a testsuite per run) for Jenkins, GitLab, GitHub')
    .addOption(
      new Option(
        '--fail-on <WHAT>',
        'exit 3 after writing the whole export: failures, when there are any (fail, uxsuccess, inprogress, ' +
          'damaged packets); new-failures, when the last run has new failures or new tests that fail (needs --history)',
      ).choices(FAIL_ON_CHOICES),
    )
    .option(
      '--history [DB]',
      'record the runs into a history store (a file, or a postgres:// URL; default STACKVIZ_DB, else ' +
        'stackviz-history.sqlite) and put their history in the report',
    )
    .option('--job <NAME>', 'the job the runs are recorded under (default: the CI job name)')
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) })
    .showSuggestionAfterError(false);
}

/**
 * Read the dstat file (gunzipped when it starts with the gzip magic: CI log servers keep logs as `.gz`) and
 * check it really is a dstat CSV; returns the whole CSV. Gzip cut short gives the rows inflated before the
 * cut, with a warning (as a plain log cut short gives its rows).
 */
async function readDstat(path: string, warn: (message: string) => void): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new InputError(path, describeFsError(e));
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory())
      throw new InputError(path, 'is a directory', `'${path}' is a directory, not a dstat CSV`);
    let csv: Uint8Array = await fh.readFile();
    if (isGzip(csv)) {
      try {
        csv = gunzipSync(csv);
      } catch (e) {
        const problem = `corrupt gzip data (${e instanceof Error ? e.message : String(e)})`;
        // What inflates before the damage (a sync flush gives it instead of failing at the end).
        let partial: Uint8Array = new Uint8Array(0);
        try {
          partial = gunzipSync(csv, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        } catch {
          // Corrupt before the end: nothing usable.
        }
        if (partial.length === 0) throw new InputError(path, problem);
        warn(`'${path}': ${problem} after ${partial.length} bytes; using the rows before it`);
        csv = partial;
      }
    }
    const check = checkDstatHeader(
      Buffer.from(csv.buffer, csv.byteOffset, Math.min(csv.length, 8192)).toString(),
    );
    if ('error' in check) throw new InputError(path, check.error, `'${path}': ${check.error}`);
    return csv;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(path, describeFsError(e));
  } finally {
    await fh.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const log = new Logger({ quiet: false, stream: process.stderr, prog: PROG });
  const cmd = program();
  try {
    cmd.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      log.error(`${e.message.replace(/^error: /, '')} (see --help)`);
      return EXIT_USAGE;
    }
    throw e;
  }
  const o = cmd.opts<Options>();
  const logger = new Logger({ quiet: o.quiet, stream: process.stderr, prog: PROG });
  const started = performance.now();
  let tmpDest: string | null = null;
  let history: ExportHistory | null = null;
  /** --trace, --junit: written beside DEST, renamed into place with its commit. */
  const sides: ExportListener[] = [];
  /** Set once the data files are committed to DEST (the viewer or single file may follow). */
  let exported = false;
  // Ctrl-C, a CI job's timeout (SIGTERM), a closed terminal: remove what this export wrote so far (DEST keeps
  // its previous export, as after any failure) instead of leaving a hidden half-written folder in it.
  const signals = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
  for (const [sig, no] of Object.entries(signals)) {
    process.once(sig, () => {
      // A commit under way is let finish (a few renames): DEST never holds two exports mixed.
      void stopExports().then((what) => {
        if (tmpDest !== null) rmSync(tmpDest, { recursive: true, force: true });
        logger.clearBar();
        const whole = (what === 'committed' || exported) && tmpDest === null;
        const extras =
          exported && (o.html || o.singleFile !== undefined) ? ' (the viewer files were not)' : '';
        log.error(
          `interrupted (${sig}); ` +
            (whole
              ? `the export had been written and is whole in ${cmd.args[0] ?? 'DEST'}${extras}`
              : 'nothing was written' +
                (history !== null && history.recorded > 0
                  ? ` to DEST (${plural(history.recorded, 'run')} recorded into ${history.label} stay there)`
                  : '')),
        );
        // Die of the same signal (the parent sees it, a shell shows 128 + n). process.exit could wait for ever:
        // at exit libuv joins its threads, and one may be blocked opening a named pipe that has no writer.
        process.kill(process.pid, sig);
        process.exit(128 + no); // The signal was ignored when we started (a background job's SIGINT).
      });
    });
  }
  try {
    let dest = cmd.args[0];
    if (cmd.args.length > 1) throw new UsageError(`one DEST only (got ${cmd.args.length})`);
    if (o.streamFile.length === 0 && o.repository.length === 0 && !o.stdin) {
      throw new UsageError('no input: give at least one of -f FILE, -i/--stdin, -r DIR');
    }
    parseMetaArgs(o.meta); // A usage error: said before any input is read.
    if (o.stdin) checkStdin();
    if (dest !== undefined) await checkDest(dest);
    if (dest === undefined) {
      if (o.singleFile === undefined) throw new UsageError('missing DEST (the output directory)');
      if (o.html) throw new UsageError('--html needs DEST');
      tmpDest = await mkdtemp(join(tmpdir(), 'stackviz-export-'));
      dest = tmpDest;
    }
    if (o.failOn === 'new-failures' && o.history === undefined)
      throw new UsageError('--fail-on new-failures needs --history DB (the earlier runs to compare with)');
    if (o.job !== undefined && o.history === undefined) throw new UsageError('--job needs --history');
    // Everything is checked before anything is written.
    if (o.singleFile !== undefined) await checkSingleFileTarget(o.singleFile);
    const runs = await resolveInputs(
      { files: o.streamFile, repositories: o.repository, stdin: o.stdin },
      process.stdin as AsyncIterable<Uint8Array>,
    );
    const dstat = o.dstat === undefined ? null : await readDstat(o.dstat, (m) => logger.warn(m));
    // The original front-end reads only classic Dstat: a pcp-dstat log gets a classic copy too.
    const dstatClassic =
      dstat === null || o.dstat === undefined
        ? null
        : classicDstatCopy(dstat, (m) => logger.warn(m), o.dstat);
    const performanceJson = o.performance === undefined ? null : await readPerformanceFile(o.performance);
    const metadata = await readMetadata(o);
    const destPath = dest;
    // The files beside DEST are created now (an unusable path fails before the export) under temporary names.
    if (o.trace !== undefined) sides.push(await TraceFile.open(o.trace, dstat));
    if (o.junit !== undefined) sides.push(await JunitFile.open(o.junit));
    const gate = o.failOn === 'failures' ? new FailureCount() : null;
    // The store is opened (an embedded one created) before the export: one that cannot be used stops it here.
    if (o.history !== undefined)
      history = await ExportHistory.open({
        db: o.history,
        ...(o.job === undefined ? {} : { job: o.job }),
        metadata,
        warn: (m) => logger.warn(m),
      });
    let current = '';
    const summary = await runExport({
      dest: destPath,
      gzip: o.gzip,
      env: metadata,
      dstat,
      dstatClassic,
      performance: performanceJson,
      runs: history === null ? runs : history.wrap(runs),
      // Decoding and encoding run in a worker thread: two cores, twice the speed.
      worker: preparingWorkerUrl(),
      generator: `stackviz-export ${packageVersion()}`,
      progress: (p) => {
        current = p.run.key;
        logger.progress(current, p.runBytes, p.runSize, p.tests);
      },
      // The damage names the file already.
      onDamagedRun: (_run, damage) =>
        logger.warn(`${damage}; exported what was read, with the damage as a failing subunit.parser test`),
      onEmptyRun: (n) => logger.warn(`${n.title}: empty stream, exported as a run with no tests`),
      // The bytes are kept (as python-subunit keeps non-subunit output), but a user most likely named the wrong file.
      onNoTests: (n, bytes, damaged) =>
        logger.warn(
          `${n.title}: no subunit test in ${bytes} bytes (kept as the run's output` +
            (damaged === 0
              ? ''
              : `; ${damaged} damaged packet${damaged === 1 ? '' : 's'} as subunit.parser tests`) +
            '); is it a subunit stream?',
        ),
      onDestError: (e) => new DestError(`${destPath}: cannot write the export: ${describeFsError(e)}`),
      listeners: gate === null ? sides : [...sides, gate],
      ...(history === null ? {} : { beforeCommit: history.beforeCommit }),
    });
    exported = true;
    logger.clearBar();
    if (o.html) {
      await writeHtmlSite(destPath).catch((e: unknown) => {
        if (errnoOf(e) === undefined) throw e;
        throw new DestError(
          `${destPath}: cannot write the viewer: ${describeFsError(e)} (the export's data files are complete)`,
        );
      });
    }
    if (o.singleFile !== undefined) {
      const page = o.singleFile;
      await writeSingleFile(page, destPath).catch((e: unknown) => {
        if (errnoOf(e) === undefined) throw e;
        const kept = tmpDest === null ? ` (the export in ${destPath} is complete)` : '';
        throw new DestError(`${page}: cannot write the single file: ${describeFsError(e)}${kept}`);
      });
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    // Name every output, then how to look at it: a newcomer should not have to read the README to open a report.
    const outputs = [
      ...(tmpDest === null ? [destPath] : []),
      ...(o.singleFile === undefined ? [] : [o.singleFile]),
    ];
    logger.info(
      `${PROG}: ${plural(summary.runs, 'run')}, ${plural(summary.tests, 'test')}, ` +
        `${plural(summary.failures, 'failure')} in ${secs}s → ${outputs.join(' and ')}`,
    );
    if (history !== null) {
      const already = history.already === 0 ? '' : ` (${plural(history.already, 'run')} already there)`;
      logger.info(
        history.recorded === 0
          ? `${PROG}: nothing new to record in ${history.label}${already}`
          : `${PROG}: recorded ${plural(history.recorded, 'run')} into ${history.label}${already}`,
      );
    }
    if (o.singleFile !== undefined)
      logger.info(`${PROG}: open ${o.singleFile} in a browser (no server needed)`);
    if (o.html && tmpDest === null) {
      const or = o.singleFile === undefined ? '' : 'or ';
      logger.info(`${PROG}: ${or}preview the site: stackviz serve ${destPath}`);
    }
    if (gate !== null && gate.total > 0) {
      log.error(gate.message());
      return EXIT_GATE;
    }
    const newFailures = history?.newFailures() ?? '';
    if (o.failOn === 'new-failures' && newFailures !== '') {
      log.error(`${newFailures}; exit ${EXIT_GATE} (--fail-on new-failures)`);
      return EXIT_GATE;
    }
    return 0;
  } catch (e) {
    logger.clearBar();
    if (e instanceof UsageError || e instanceof MetaArgumentError) {
      log.error(`${e.message} (see --help)`);
      return EXIT_USAGE;
    }
    if (
      e instanceof InputError ||
      e instanceof DestError ||
      e instanceof DestBusyError ||
      e instanceof SideFileError ||
      e instanceof StoreError
    ) {
      log.error(e.message);
      return EXIT_INPUT;
    }
    if (e instanceof Error && (e.name === 'ViewerNotBuiltError' || e.name === 'SingleFileTooLargeError')) {
      log.error(e.message);
      return EXIT_INPUT;
    }
    if (process.env['STACKVIZ_DEBUG'] === '1') {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    } else {
      log.error(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
    return EXIT_INTERNAL;
  } finally {
    // Committed files are in place already; any other is removed.
    await Promise.allSettled(sides.map((f) => f.abort?.()));
    await history?.close().catch(() => undefined);
    if (tmpDest !== null) await rm(tmpDest, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv).catch((e: unknown) => {
  process.stderr.write(`${PROG}: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT_INTERNAL;
});
