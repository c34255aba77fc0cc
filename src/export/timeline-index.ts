// `_timeline.json.gz` (TimelineIndex): the columns of `_raw.json` the viewer's timeline needs, so a big run's
// first frame does not wait for its raw file. Names stream into the gzip as tests come; the numbers go to a
// scratch file of fixed records and are read back, a column at a time, at the end: memory does not grow with
// the tests (in typed arrays they were 21-42 bytes a test, 17 MB of peak for 400,000).
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { EXPORT_STATUSES, type ExportStatus, type TimelineIndex } from '../contract/export-format.js';
import type { OutFile } from './out-file.js';
import type { OutputDir } from './output.js';

const VERSION: TimelineIndex['version'] = 1;
const STATUS_DIGIT = new Map<ExportStatus, number>(EXPORT_STATUSES.map((s, i) => [s, i]));
const NAME_HEAD = Buffer.from(`{"version":${VERSION},"name":[`);
const COMMA = Buffer.from(',');

/**
 * A test's numbers in the scratch file: start and end µs (Float64, NaN when unknown), worker (-1: none), status,
 * and the length of its entry in `_raw.json`.
 */
const START = 0;
const END = 8;
const WORKER = 16;
const STATUS = 20;
const RAW_LEN = 21;
const RECORD = 25;
/** Records written or read at a time (~64 KiB). */
const BATCH = 3120;
/** Characters of a column gathered before they go to the gzip stream. */
const PIECE_CHARS = 64 * 1024;

export class TimelineIndexFile {
  private readonly file: OutFile;
  private readonly spillPath: string;
  private fd: number | null;
  private readonly buf = Buffer.allocUnsafe(BATCH * RECORD);
  private used = 0;
  private count = 0;
  /** The earliest known timestamp: `start` and `end` count from it. */
  private t0 = Infinity;

  /** `prefix`: the run's file prefix (`tempest_<source>_<id>`). Gzipped with or without `-z`. */
  constructor(out: OutputDir, prefix: string) {
    this.file = out.create(`${prefix}_timeline.json`, true);
    this.file.writeBuffer(NAME_HEAD);
    this.spillPath = out.scratchPath(`.timeline-${prefix}`);
    this.fd = openSync(this.spillPath, 'w+');
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

  /**
   * One test, in `_raw.json` order; `nameJson`: its name as the JSON string written there (copied); `rawLen`: the
   * bytes of its entry there.
   */
  add(
    nameJson: Buffer,
    status: ExportStatus,
    startUs: number | null,
    endUs: number | null,
    worker: number | null,
    rawLen: number,
  ): void {
    if (this.count++ > 0) this.file.writeBuffer(COMMA);
    this.file.writeBuffer(nameJson);
    const s = startUs ?? NaN;
    const e = endUs ?? NaN;
    // NaN compares false: an unknown time never lowers t0.
    if (s < this.t0) this.t0 = s;
    if (e < this.t0) this.t0 = e;
    if (this.used === BATCH) this.flush();
    const at = this.used++ * RECORD;
    this.buf.writeDoubleLE(s, at + START);
    this.buf.writeDoubleLE(e, at + END);
    this.buf.writeInt32LE(worker ?? -1, at + WORKER);
    this.buf[at + STATUS] = STATUS_DIGIT.get(status) ?? (STATUS_DIGIT.get('unknown') as number);
    this.buf.writeUInt32LE(rawLen, at + RAW_LEN);
  }

  private flush(): void {
    const n = this.used * RECORD;
    for (let done = 0; done < n;) done += writeSync(this.fd as number, this.buf, done, n - done);
    this.used = 0;
  }

  /** The columns after the names, then the file is closed and the scratch file removed. */
  async close(): Promise<void> {
    this.flush();
    const t0 = this.t0 === Infinity ? 0 : this.t0;
    const f = this.file;
    const us = (v: number): string => (Number.isNaN(v) ? 'null' : String(v - t0));
    try {
      f.write(`],"statuses":${JSON.stringify(EXPORT_STATUSES)},"status":"`);
      await this.column('', (b, at) => String(b[at + STATUS]));
      f.write('","worker":[');
      await this.column(',', (b, at) => {
        const w = b.readInt32LE(at + WORKER);
        return w < 0 ? 'null' : String(w);
      });
      f.write(`],"t0_us":${t0},"start":[`);
      await this.column(',', (b, at) => us(b.readDoubleLE(at + START)));
      f.write('],"end":[');
      await this.column(',', (b, at) => us(b.readDoubleLE(at + END)));
      f.write('],"raw_len":[');
      await this.column(',', (b, at) => String(b.readUInt32LE(at + RAW_LEN)));
      f.write(']}');
    } finally {
      this.discard();
    }
    await f.close();
  }

  /** Remove the scratch file (the temporary folder goes at the commit or an abort in any case). */
  private discard(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.spillPath, { force: true });
  }

  /** One column: each record's value as `text` gives it, `sep` between, read back a batch at a time. */
  private async column(sep: string, text: (b: Buffer, at: number) => string): Promise<void> {
    const fd = this.fd as number;
    let piece = '';
    let i = 0;
    for (let pos = 0; i < this.count;) {
      const want = Math.min(BATCH, this.count - i) * RECORD;
      let got = 0;
      while (got < want) {
        const n = readSync(fd, this.buf, got, want - got, pos + got);
        if (n === 0) throw new Error(`${this.spillPath} is shorter than its records`);
        got += n;
      }
      pos += got;
      for (let at = 0; at < got; at += RECORD, i++) piece += (i === 0 ? '' : sep) + text(this.buf, at);
      if (piece.length >= PIECE_CHARS) {
        this.file.write(piece);
        piece = '';
        if (this.file.full) await this.file.drained();
      }
    }
    this.file.write(piece);
  }
}
