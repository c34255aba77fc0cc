// The history subcommands of `stackviz` (record, history, history migrate, compare), declared here and loaded
// only when used: `stackviz serve` never loads a database driver.
import type { Command } from 'commander';
import type { RecordOptions } from './record-main.js';

const collect = (v: string, all: string[]): string[] => [...all, v];

const DB_HELP =
  'the store: an SQLite file, or a postgres:// URL (default: $STACKVIZ_DB, else stackviz-history.sqlite)';

export function addHistoryCommands(program: Command): void {
  // Output piped into `head` and closed early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  program
    .command('record')
    .description('record every run of the inputs into the test history store')
    .option('--db <db>', DB_HELP)
    .option('--job <name>', 'the job the runs belong to (default: the CI job name, else the input name)')
    .option(
      '--meta <key=value>',
      'metadata of the runs (repeatable), e.g. report_url=…, change_id=…',
      collect,
      [],
    )
    .option('-e, --env', 'add the Zuul metadata of the environment (change, revision, pipeline)', false)
    .option(
      '--zuul-inventory <file>',
      "add Zuul v3 metadata (job, change, revision, ...) from a build's zuul-info/inventory.yaml",
    )
    .option('--run-id <id>', 'the run identity, instead of the hash of job and bytes (one run only)')
    .option(
      '-f, --stream-file <file>',
      'a subunit stream file, or an export folder (repeatable)',
      collect,
      [],
    )
    .option(
      '-r, --repository <dir>',
      'a .stestr / .testrepository repository: every run (repeatable)',
      collect,
      [],
    )
    .option('-i, --stdin', 'a subunit stream on standard input', false)
    .action(async (opts: RecordOptions) => {
      process.exitCode = await (await import('./record-main.js')).record(opts);
    });
  program
    .command('history')
    .description("the job's latest run against its last runs: new failures, flaky, fixed, slower tests")
    .argument('[action]', "`migrate`: bring the store to this version's schema (the only way for PostgreSQL)")
    .option('--db <db>', DB_HELP)
    .option('--job <name>', "the job (default: the store's only job)")
    .option('--window <n>', 'runs in the window, the latest included (default 30)')
    .option('--json', 'print the history file (JSON) instead of a summary', false)
    .action(
      async (
        action: string | undefined,
        opts: { db?: string; job?: string; window?: string; json: boolean },
      ) => {
        const m = await import('./history-main.js');
        if (action === undefined) process.exitCode = await m.history(opts);
        else if (action === 'migrate') process.exitCode = await m.migrate(opts);
        else {
          process.stderr.write(`stackviz history: unknown action '${action}' (the only one is migrate)\n`);
          process.exitCode = 2;
        }
      },
    );
  program
    .command('compare')
    .description('what changed from run A to run B (stream files, export folders, repositories or run ids)')
    .argument('<a>', 'the run before')
    .argument('<b>', 'the run after')
    .option('--db <db>', DB_HELP)
    .option('--json', 'print JSON instead of a summary', false)
    .action(async (a: string, b: string, opts: { db?: string; json: boolean }) => {
      process.exitCode = await (await import('./compare-main.js')).compare(a, b, opts);
    });
}
