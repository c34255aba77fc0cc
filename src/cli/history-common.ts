// What `stackviz record`, `history` and `compare` share: exit codes, one-line errors, signals.
import { InputError } from '../sources/index.js';
import { InterruptedError, StoreError } from '../history/store.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line: one line, exit 2. */
export class UsageError extends Error {}

/** `stackviz <cmd>: message` on stderr. */
export function say(cmd: string, message: string): void {
  process.stderr.write(`stackviz ${cmd}: ${message}\n`);
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/**
 * Signals while a command runs: `interrupted()` names the first one caught. Outside a store transaction
 * (`busy()` false) the process ends at once with 128 + n, nothing having been written.
 */
export function watchSignals(cmd: string, busy: () => boolean): () => string | null {
  let caught: string | null = null;
  for (const [sig, no] of Object.entries(SIGNALS)) {
    process.on(sig, () => {
      if (caught !== null) return;
      caught = sig;
      if (!busy()) {
        say(cmd, `interrupted (${sig}); the store is as it was`);
        dieOf(sig, no);
      }
    });
  }
  return () => caught;
}

/**
 * Dies of the signal, as stackviz-export does (a parent sees the signal; a shell shows 128 + n); exits with
 * 128 + n when the signal was ignored when we started.
 */
export function dieOf(sig: string, no = SIGNALS[sig as keyof typeof SIGNALS] ?? 2): never {
  process.removeAllListeners(sig);
  process.kill(process.pid, sig);
  process.exit(128 + no);
}

/** Runs a command; its errors become one line and an exit code (a bug keeps its stack with STACKVIZ_DEBUG=1). */
export async function runCommand(cmd: string, f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UsageError) {
      say(cmd, `${e.message} (see stackviz ${cmd} --help)`);
      return EXIT_USAGE;
    }
    if (e instanceof InterruptedError) {
      say(cmd, `interrupted (${e.signal}); the run being recorded was rolled back`);
      dieOf(e.signal);
    }
    if (e instanceof StoreError || e instanceof InputError) {
      say(cmd, e.message);
      return EXIT_FAILURE;
    }
    if (process.env['STACKVIZ_DEBUG'] === '1') throw e;
    say(cmd, e instanceof Error ? e.message : String(e));
    return EXIT_FAILURE;
  }
}

/** `--window N`: a whole number from 1. */
export function parseWindow(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new UsageError('--window takes a whole number of runs, 1 or more');
  return Number(v);
}
