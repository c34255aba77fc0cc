// The `stackviz` command: `serve DIR` previews an exported report; `export …` runs stackviz-export.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageVersion, viewerDir } from '../export/site.js';
import { openStore, storeName } from '../history/open.js';
import { StoreError, type HistoryStore } from '../history/store.js';
import { historyApi } from '../serve/history-api.js';
import { ServeError, startServer } from '../serve/server.js';
import { addHistoryCommands } from './history-commands.js';

/** Default port; when it is taken (and --port was not given) the next free one of the following 20 is used. */
export const DEFAULT_PORT = 8000;
const NEXT_PORTS = 20;

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
}

function fail(message: string): never {
  process.stderr.write(`stackviz: ${message}\n`);
  process.exit(1);
}

async function serve(
  dirArg: string | undefined,
  opts: { port?: number; host: string; db?: string | true },
): Promise<void> {
  const explicit = opts.port !== undefined;
  const requested = opts.port ?? DEFAULT_PORT;
  if (dirArg === undefined && opts.db === undefined)
    fail('give the exported folder to serve (stackviz serve DIR), or --db DB for the fleet history view');
  // --db: the store is opened (and checked) before listening; without DIR the viewer alone is served.
  let store: HistoryStore | null = null;
  if (opts.db !== undefined)
    store = await openStore(storeName(opts.db === true ? undefined : opts.db), 'read');
  const dir = dirArg ?? viewerDir();
  const server = await startServer({
    root: dir,
    port: requested,
    host: opts.host,
    tryNextPorts: explicit ? 0 : NEXT_PORTS,
    ...(store === null
      ? {}
      : {
          api: historyApi(store, {
            onError: (e) =>
              process.stderr.write(
                `stackviz serve: the store failed: ${e instanceof Error ? e.message : String(e)}\n`,
              ),
            fleetHome: dirArg === undefined,
          }),
          requireReport: dirArg !== undefined,
        }),
  }).catch(async (e: unknown) => {
    await store?.close();
    throw e;
  });
  if (!explicit && server.port !== requested) {
    process.stdout.write(`port ${requested} is in use; using ${server.port}\n`);
  }
  if (dirArg !== undefined && !existsSync(join(dir, 'index.html'))) {
    process.stdout.write(
      `note: ${dir} has no index.html (no viewer); export it with stackviz-export --html\n`,
    );
  }
  if (store === null) process.stdout.write(`Serving ${dir} at ${server.url}  (Ctrl-C to stop)\n`);
  else
    process.stdout.write(
      (dirArg === undefined ? '' : `Serving ${dir} at ${server.url}\n`) +
        `Fleet history of ${store.label} at ${server.url}#/history  (Ctrl-C to stop)\n`,
    );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.allSettled([server.close(), store?.close()]).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  // `stackviz export …` is handled by the launcher (bin/stackviz.js), which runs stackviz-export's; here it is
  // only listed in the help.
  const program = new Command('stackviz')
    .description('Preview and export stackviz reports (subunit test results + dstat load, as a timeline).')
    .version(packageVersion(), '-V, --version')
    .exitOverride();
  program
    .command('serve')
    .description(
      'serve an exported folder (stackviz-export --html DEST) over HTTP on this machine; with --db, the ' +
        "fleet's test history too (at #/history)",
    )
    .argument('[dir]', 'the exported folder (holds config.json); optional with --db')
    .option(
      '--db [DB]',
      "serve the history store's fleet view (a file, or a postgres:// URL; default STACKVIZ_DB, else " +
        'stackviz-history.sqlite)',
    )
    .option(
      '-p, --port <n>',
      `port (default ${DEFAULT_PORT}, or the next free one; 0 = any free port)`,
      parsePort,
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action(async (dir: string | undefined, opts: { port?: number; host: string; db?: string | true }) =>
      serve(dir, opts),
    );
  addHistoryCommands(program);
  program
    .command('export')
    .description('the same as stackviz-export (see stackviz export --help)')
    .helpOption(false)
    .allowUnknownOption();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // A usage mistake exits 2, as stackviz-export's do; --help and --version 0.
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    throw e;
  }
}

main(process.argv).catch((e: unknown) => {
  if (e instanceof ServeError || e instanceof StoreError) fail(e.message);
  fail(e instanceof Error ? e.message : String(e));
});
