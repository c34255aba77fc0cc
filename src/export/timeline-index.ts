// `_timeline.json.gz` (TimelineIndex): the columns of `_raw.json` the viewer's timeline needs, so a big run's
// first frame does not wait for its raw file. Names stream into the gzip as tests come; the numbers wait in typed
// arrays (21 bytes a test) and are written at the end.
import { Buffer } from 'node:buffer';
import { EXPORT_STATUSES, type ExportStatus, type TimelineIndex } from '../contract/export-format.js';
import type { OutFile } from './out-file.js';
import type { OutputDir } from './output.js';

const VERSION: TimelineIndex['version'] = 1;
const STATUS_DIGIT = new Map<ExportStatus, number>(EXPORT_STATUSES.map((s, i) => [s, i]));
const NAME_HEAD = Buffer.from(`{"version":${VERSION},"name":[`);
const COMMA = Buffer.from(',');

/** A typed array twice as long, holding the old one's values. */
function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

export class TimelineIndexFile {
  private readonly file: OutFile;
  private count = 0;
  private startUs = new Float64Array(1024);
  private endUs = new Float64Array(1024);
  private worker = new Int32Array(1024);
  private status = new Uint8Array(1024);

  /** `prefix`: the run's file prefix (`tempest_<source>_<id>`). Gzipped with or without `-z`. */
  constructor(out: OutputDir, prefix: string) {
    this.file = out.create(`${prefix}_timeline.json`, true);
    this.file.writeBuffer(NAME_HEAD);
  }

  get relPath(): string {
    return this.file.relPath;
  }

  get full(): boolean {
    return this.file.full;
  }

  drained(): Promise<void> {
    return this.file.drained();
  }

  /** One test, in `_raw.json` order; `nameJson`: its name as the JSON string written there (copied). */
  add(
    nameJson: Buffer,
    status: ExportStatus,
    startUs: number | null,
    endUs: number | null,
    worker: number | null,
  ): void {
    const i = this.count++;
    if (i === this.startUs.length) {
      this.startUs = grown(this.startUs);
      this.endUs = grown(this.endUs);
      this.worker = grown(this.worker);
      this.status = grown(this.status);
    }
    if (i > 0) this.file.writeBuffer(COMMA);
    this.file.writeBuffer(nameJson);
    this.startUs[i] = startUs ?? NaN;
    this.endUs[i] = endUs ?? NaN;
    this.worker[i] = worker ?? -1;
    this.status[i] = STATUS_DIGIT.get(status) ?? (STATUS_DIGIT.get('unknown') as number);
  }

  /** The columns after the names, then the file is closed. */
  async close(): Promise<void> {
    const n = this.count;
    // The earliest known timestamp (NaN, unknown, compares false).
    let t0 = Infinity;
    for (let i = 0; i < n; i++) {
      const s = this.startUs[i] as number;
      const e = this.endUs[i] as number;
      if (s < t0) t0 = s;
      if (e < t0) t0 = e;
    }
    if (t0 === Infinity) t0 = 0;
    const f = this.file;
    f.write(`],"statuses":${JSON.stringify(EXPORT_STATUSES)},"status":"`);
    this.column(this.status, '', '', (c) => String(c));
    f.write('","worker":');
    this.column(this.worker, '[', ']', (w) => (w < 0 ? 'null' : String(w)));
    f.write(`,"t0_us":${t0},"start":`);
    const us = (v: number): string => (Number.isNaN(v) ? 'null' : String(v - t0));
    this.column(this.startUs, '[', ']', us);
    f.write(',"end":');
    this.column(this.endUs, '[', ']', us);
    f.write('}');
    await f.close();
  }

  /** The first `count` values, each as `text` gives it, comma-separated inside brackets (none: a string's digits). */
  private column<T extends Float64Array | Int32Array | Uint8Array>(
    values: T,
    open: string,
    close: string,
    text: (v: number) => string,
  ): void {
    const sep = open === '' ? '' : ',';
    let piece = open;
    for (let i = 0; i < this.count; i++) {
      piece += i === 0 ? text(values[i] as number) : sep + text(values[i] as number);
      if (piece.length >= 65536) {
        this.file.write(piece);
        piece = '';
      }
    }
    this.file.write(piece + close);
  }
}
