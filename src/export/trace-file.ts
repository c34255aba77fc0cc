// --trace FILE: the export as a Chrome/Perfetto JSON trace, streamed test by test into a file beside DEST.
import { Buffer } from 'node:buffer';
import type { StatsFile } from '../contract/export-format.js';
import { DstatFormatError, parseDstat, type DstatLog } from '../formats/dstat/index.js';
import { EVENT_SEPARATOR, TRACE_HEAD, TRACE_TAIL, TraceBuilder } from '../trace/trace.js';
import type { ExportedTest, ExportListener } from './listener.js';
import type { RunNaming } from './run-writer.js';
import { SideFile } from './side-file.js';

export class TraceFile implements ExportListener {
  private readonly builder: TraceBuilder;
  private first = true;

  /** `dstat`: the --dstat CSV, whose series become counters clipped to the runs' spans. */
  private constructor(
    private readonly file: SideFile,
    private readonly dstat: Uint8Array | null,
  ) {
    file.write(TRACE_HEAD);
    this.builder = new TraceBuilder((e) => {
      if (!this.first) file.write(EVENT_SEPARATOR);
      this.first = false;
      file.write(e);
    });
  }

  static async open(path: string, dstat: Uint8Array | null): Promise<TraceFile> {
    return new TraceFile(await SideFile.open(path, 'the trace'), dstat);
  }

  beginRun(naming: RunNaming): void {
    this.builder.beginRun(naming.title);
  }

  test(t: ExportedTest): void {
    // Only a timed test becomes a slice: only then is its entry read (for its id and tags).
    const e = t.startUs !== null && t.endUs !== null ? t.entry() : null;
    this.builder.test({
      name: t.name,
      id: e?.id ?? '',
      status: t.status,
      tags: e?.tags ?? [],
      worker: t.worker,
      startUs: t.startUs,
      endUs: t.endUs,
    });
  }

  async endRun(_stats: StatsFile): Promise<void> {
    this.builder.endRun();
  }

  get full(): boolean {
    return this.file.full;
  }

  drained(): Promise<void> {
    return this.file.drained();
  }

  async finish(): Promise<void> {
    const spans = this.builder.spans;
    if (this.dstat !== null && spans.length > 0) {
      // Yearless local dstat times take their year from the first run's start, as the viewer does for its run.
      const reference = Math.min(...spans.map((s) => s[0])) / 1000;
      const text = Buffer.from(this.dstat.buffer, this.dstat.byteOffset, this.dstat.byteLength).toString(
        'utf8',
      );
      // The CLI checked the header; a log the reader still refuses has no counters (the viewer says why).
      let log: DstatLog | null = null;
      try {
        log = parseDstat(text, { referenceUtcMs: reference });
      } catch (e) {
        if (!(e instanceof DstatFormatError)) throw e;
      }
      if (log !== null) this.builder.counters(log);
    }
    this.file.write(TRACE_TAIL);
    await this.file.close();
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
