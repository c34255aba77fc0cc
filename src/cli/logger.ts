// The one place the export CLI writes to the terminal: errors, warnings, a TTY progress bar and the summary.

export interface LoggerOptions {
  quiet: boolean;
  /** Where messages go (stderr); `isTTY` decides whether a progress bar is drawn. */
  stream: NodeJS.WriteStream;
  prog: string;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

const mb = (n: number): string => (n / 1e6).toFixed(n < 1e7 ? 1 : 0);

export class Logger {
  private readonly o: LoggerOptions;
  private lastDraw = 0;
  private barShown = false;

  constructor(o: LoggerOptions) {
    this.o = o;
  }

  /** One line, always shown (errors are never quieted). */
  error(message: string): void {
    this.clearBar();
    this.o.stream.write(`${this.o.prog}: ${message}\n`);
  }

  warn(message: string): void {
    if (this.o.quiet) return;
    this.clearBar();
    this.o.stream.write(`${this.o.prog}: warning: ${message}\n`);
  }

  info(message: string): void {
    if (this.o.quiet) return;
    this.clearBar();
    this.o.stream.write(`${message}\n`);
  }

  /** Progress of the current input: bytes of a known total (files), or a running count (stdin). */
  progress(label: string, bytes: number, total: number | null, tests: number): void {
    if (this.o.quiet || this.o.stream.isTTY !== true) return;
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    let line: string;
    if (total !== null && total > 0) {
      const f = Math.min(1, bytes / total);
      const full = Math.round(f * BAR_WIDTH);
      line = `${label} [${'#'.repeat(full)}${'.'.repeat(BAR_WIDTH - full)}] ${Math.floor(f * 100)}% ${mb(bytes)}/${mb(total)} MB, ${tests} tests`;
    } else {
      line = `${label}: ${mb(bytes)} MB, ${tests} tests`;
    }
    const cols = this.o.stream.columns > 10 ? this.o.stream.columns - 1 : 79;
    this.o.stream.write(`\r${line.slice(0, cols)}\x1b[K`);
    this.barShown = true;
  }

  clearBar(): void {
    if (!this.barShown) return;
    this.o.stream.write('\r\x1b[K');
    this.barShown = false;
  }
}
