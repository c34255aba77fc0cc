// The `stackviz` command: `serve DIR` previews an exported report; `export …` runs stackviz-export.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageVersion } from '../export/site.js';
import { ServeError, startServer } from '../serve/server.js';

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

async function serve(dir: string, opts: { port?: number; host: string }): Promise<void> {
  const explicit = opts.port !== undefined;
  const requested = opts.port ?? DEFAULT_PORT;
  const server = await startServer({
    root: dir,
    port: requested,
    host: opts.host,
    tryNextPorts: explicit ? 0 : NEXT_PORTS,
  });
  if (!explicit && server.port !== requested) {
    process.stdout.write(`port ${requested} is in use; using ${server.port}\n`);
  }
  if (!existsSync(join(dir, 'index.html'))) {
    process.stdout.write(
      `note: ${dir} has no index.html (no viewer); export it with stackviz-export --html\n`,
    );
  }
  process.stdout.write(`Serving ${dir} at ${server.url}  (Ctrl-C to stop)\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
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
    .description('serve an exported folder (stackviz-export --html DEST) over HTTP on this machine')
    .argument('<dir>', 'the exported folder (holds config.json)')
    .option(
      '-p, --port <n>',
      `port (default ${DEFAULT_PORT}, or the next free one; 0 = any free port)`,
      parsePort,
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .action(async (dir: string, opts: { port?: number; host: string }) => serve(dir, opts));
  program
    .command('export')
    .description('the same as stackviz-export (see stackviz export --help)')
    .helpOption(false)
    .allowUnknownOption();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    throw e;
  }
}

main(process.argv).catch((e: unknown) => {
  if (e instanceof ServeError) fail(e.message);
  fail(e instanceof Error ? e.message : String(e));
});
