// A run's failure and skip lists as JSON text in the export's temporary folder, not in memory: a 400,000-test
// run has tens of thousands of them (8.4 MB of JSON), and the stats file and config.json are written from here.
import { Buffer } from 'node:buffer';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { StatsFailure, StatsSkip } from '../contract/export-format.js';
import type { StatsListSink } from '../model/stats.js';

/** Characters gathered before a write. */
const GATHER = 64 * 1024;
/** Bytes read back at a time. */
const READ_CHUNK = 64 * 1024;

/** One list: each item's `JSON.stringify`, comma-separated, appended to a file. */
class SpilledList implements Iterable<Uint8Array> {
  private readonly path: string;
  private fd: number | null;
  private text = '';
  private count = 0;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, 'w');
  }

  add(item: object): void {
    this.text += (this.count++ === 0 ? '' : ',') + JSON.stringify(item);
    if (this.text.length >= GATHER) this.flush();
  }

  private flush(): void {
    if (this.text === '' || this.fd === null) return;
    const b = Buffer.from(this.text, 'utf8');
    for (let at = 0; at < b.length;) at += writeSync(this.fd, b, at, b.length - at);
    this.text = '';
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /**
   * The list's JSON (`[...]`, what `JSON.stringify` gives for the array) in chunks read from the file; it can
   * be read again (the stats file, then config.json). One buffer serves every chunk: each is valid until the
   * next is asked for (the writers copy or write what they are given at once). Fresh chunks were garbage
   * that outlived the write: 8 MB of peak at config.json for the 1 GB stream's lists.
   */
  *[Symbol.iterator](): Generator<Uint8Array> {
    this.close();
    yield Buffer.from('[');
    const fd = openSync(this.path, 'r');
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    try {
      for (let pos = 0; ;) {
        const n = readSync(fd, chunk, 0, READ_CHUNK, pos);
        if (n === 0) break;
        pos += n;
        yield chunk.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
    yield Buffer.from(']');
  }
}

/** The failures and skips of one run, spilled as they come (`StatsAccumulator`'s sink). */
export class StatsSpill implements StatsListSink {
  readonly failures: SpilledList;
  readonly skips: SpilledList;

  /** `pathPrefix`: a path in the temporary folder; two files are made from it. */
  constructor(pathPrefix: string) {
    this.failures = new SpilledList(`${pathPrefix}.failures`);
    this.skips = new SpilledList(`${pathPrefix}.skips`);
  }

  failure(f: StatsFailure): void {
    this.failures.add(f);
  }

  skip(s: StatsSkip): void {
    this.skips.add(s);
  }

  close(): void {
    this.failures.close();
    this.skips.close();
  }
}
