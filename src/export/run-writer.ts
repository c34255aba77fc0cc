// One run's files (raw, details, tree, stats), written as its tests complete.
import { Buffer } from 'node:buffer';
import type { Artifact, ByteRange, RawEntry, StatsFile, TempestRun } from '../contract/export-format.js';
import { StatsAccumulator } from '../model/stats.js';
import type { StreamOutput, TestRecord } from '../model/test-record.js';
import { writeJsonPieces, type OutFile } from './out-file.js';
import type { OutputDir } from './output.js';
import { bytes, KEY } from './fields.js';
import { putAscii, putBytes, putJsonString } from './json-bytes.js';
import { jsonPieces, type EncodedJson } from './json-pieces.js';
import type { ExportedTest, ExportListener } from './listener.js';
import {
  blankPreparedTest,
  preparedTest,
  TestPreparer,
  type PreparedBatch,
  type PreparedTest,
} from './prepare.js';
import { SegmentedGzip } from './gzip-segments.js';
import { StatsSpill } from './stats-spill.js';
import { NameTrie } from './name-trie.js';
import { TimelineIndexFile } from './timeline-index.js';
import { writeTree } from './tree.js';

/** Details key (before de-duplication) of the run's own output: bytes with no test id. */
export const STREAM_OUTPUT_NAME = '<stream output>';

/** What a finished run contributes to config.json and the commit. */
export interface RunResult {
  run: TempestRun;
  artifacts: Artifact[];
  /** Every data file written (relative paths), for the commit. */
  files: string[];
  tests: number;
  failures: number;
  /**
   * The run's failure and skip lists (the empty arrays in `run.stats`) as their JSON, read from the temporary
   * folder: config.json inlines them as the stats file does.
   */
  statsLists: EncodedJson;
}

/** Where a run's files go and how it is named. */
export interface RunNaming {
  /** `<source>` in the file names. */
  source: string;
  /** The run's id within its input. */
  runId: number;
  /** Unique key of the run (`artifact_name`, `TempestRun.key`). */
  key: string;
  /** Human name (`TempestRun.name`). */
  title: string;
}

/** The depth of a run's stats object in config.json (config → tempest → run → stats); see jsonPieces. */
const STATS_DEPTH = 3;
const TAIL_KEY = KEY.details_key;
const TAIL_RANGE = bytes(',', KEY.details_range);
const TAIL_NONE = bytes(',', KEY.details_range, 'null}');
/** The value of a test without attachments in `_details.json`. */
const NO_DETAILS = Buffer.from('{}');

export class RunWriter {
  private readonly out: OutputDir;
  private readonly naming: RunNaming;
  private readonly prefix: string;
  private readonly raw: OutFile;
  /** `_details.json`, or its gzip file under -z (then written through `gz`). */
  private readonly details: OutFile;
  private readonly gz: SegmentedGzip | null;
  /** Bytes of `_details.json` written so far (uncompressed): where the next byte lies in it. */
  private detailsPos = 0;
  /** The raw entries, uncompressed, read back for the tree: the raw file itself unless gzipped. */
  private readonly entries: OutFile;
  private readonly entriesPath: string;
  /** `_timeline.json.gz`: what the viewer's timeline reads before (or instead of) `_raw.json`. */
  private readonly timeline: TimelineIndexFile;
  private readonly trie = new NameTrie();
  /** The failures and skips, as JSON in the temporary folder; the accumulator keeps the rest. */
  private readonly spill: StatsSpill;
  private readonly stats: StatsAccumulator;
  /** The run's output with no test id, prepared as a details object; written by `finish`. */
  private streamOutput: Buffer | null = null;
  /** Reused for every test of every batch. */
  private readonly prepared: PreparedTest = blankPreparedTest();
  /** Details begun by a batch's `partial` and continued by the next batches: their key and first byte. */
  private openDetails: { key: string; start: number } | null = null;
  /** Prepares tests handed over one by one (`onTest`), when no worker prepared them. */
  private local: TestPreparer | null = null;
  private count = 0;
  /**
   * Where a details key or an entry's tail is encoded before it is written. Every file copies what it is given
   * (gathered or compressed later), so one buffer serves every test: no allocation per test, and no dead
   * buffers waiting for a GC that a low allocation rate makes rare.
   */
  private scratch: Buffer = Buffer.allocUnsafeSlow(4096);
  private detailsCount = 0;
  /** Where the value of the details `finishDetails` last wrote begins in `_details.json`. */
  private detailsStart = 0;

  /** Told of each test after the stats (--trace, --junit, the gate). */
  private readonly listeners: readonly ExportListener[];
  private view: TestView | null = null;

  private constructor(
    out: OutputDir,
    naming: RunNaming,
    files: [OutFile, OutFile, OutFile],
    entriesPath: string,
    gz: SegmentedGzip | null,
    listeners: readonly ExportListener[],
  ) {
    this.listeners = listeners;
    this.out = out;
    this.naming = naming;
    this.prefix = `tempest_${naming.source}_${naming.runId}`;
    [this.raw, this.details, this.entries] = files;
    this.entriesPath = entriesPath;
    this.gz = gz;
    this.timeline = new TimelineIndexFile(out, this.prefix);
    this.spill = new StatsSpill(out.scratchPath(`.stats-${this.prefix}`));
    this.stats = new StatsAccumulator(this.spill);
    this.raw.write('[');
    this.putDetails(Buffer.from('{'));
  }

  static create(out: OutputDir, naming: RunNaming, listeners: readonly ExportListener[] = []): RunWriter {
    const prefix = `tempest_${naming.source}_${naming.runId}`;
    const raw = out.create(`${prefix}_raw.json`);
    // Under -z the details are compressed in segments a reader can inflate on their own (gzip-segments.ts).
    const gz = out.gzip ? new SegmentedGzip(out, `${prefix}_details.json`) : null;
    const details = gz === null ? out.create(`${prefix}_details.json`) : gz.file;
    let entries = raw;
    let entriesPath = out.scratchPath(raw.relPath);
    if (out.gzip) {
      const name = `.entries-${prefix}`;
      entries = out.create(name, false);
      entriesPath = out.scratchPath(name);
    }
    return new RunWriter(out, naming, [raw, details, entries], entriesPath, gz, listeners);
  }

  get testCount(): number {
    return this.count;
  }

  /** How many of those are `subunit.parser` entries for damaged packets. */
  get parserErrorCount(): number {
    return this.stats.parserErrorCount;
  }

  /** True when an output stream is full and the producer should wait on `drained()`. */
  get full(): boolean {
    return (
      this.raw.full ||
      this.details.full ||
      this.entries.full ||
      this.timeline.full ||
      (this.gz?.full ?? false) ||
      this.listeners.some((l) => l.full === true)
    );
  }

  async drained(): Promise<void> {
    await this.raw.drained();
    await this.entries.drained();
    await this.timeline.drained();
    if (this.gz !== null) await this.gz.drained();
    else await this.details.drained();
    for (const l of this.listeners) await l.drained?.();
  }

  /** The details key for a name: the name itself the first time, then `name#2`, `name#3`, ... never reused. */
  private allocKey(name: string, leaf: number = this.trie.node(name)): string {
    const trie = this.trie;
    if (!trie.isKeyed(leaf) && !this.wasHandedOut(name)) {
      trie.setKeyed(leaf);
      return name;
    }
    // `name#n` for two different names never match (the digits after the last `#` tell them apart): only a
    // test really named `name#n` can have taken one.
    for (let n = Math.max(2, trie.suffixOf(leaf)); ; n++) {
      const k = `${name}#${n}`;
      if (!this.isKeyed(trie.find(k))) {
        trie.setSuffix(leaf, n + 1);
        return k;
      }
    }
  }

  /**
   * Whether `key` (a name seen for the first time) was handed out already as `<base>#<n>` for a repeated
   * base name: the suffixes below the base's next one all were, except those real names had taken first.
   */
  private wasHandedOut(key: string): boolean {
    const hash = key.lastIndexOf('#');
    if (hash < 0) return false;
    const digits = key.slice(hash + 1);
    if (!/^[1-9][0-9]*$/.test(digits)) return false;
    const base = this.trie.find(key.slice(0, hash));
    return base >= 0 && Number(digits) < this.trie.suffixOf(base);
  }

  private isKeyed(leaf: number): boolean {
    return leaf >= 0 && this.trie.isKeyed(leaf);
  }

  /**
   * Write a batch of prepared tests (in completion order) and keep its stream output for `finish`. Nothing
   * refers to the batch's buffer once this returns: it can be reused.
   */
  onBatch(b: PreparedBatch): void {
    const bytes = Buffer.from(b.buffer, b.offset, b.used);
    const t = this.prepared;
    let note = 0;
    for (let i = 0; i < b.count; i++) {
      preparedTest(b, i, t);
      if (b.notes[note]?.index === i) {
        const n = b.notes[note++] as PreparedBatch['notes'][number];
        t.traceback = n.traceback;
        t.reason = n.reason;
      }
      this.writeTest(t, bytes);
    }
    if (b.streamOutput !== null) {
      const { at, len } = b.streamOutput;
      this.streamOutput = Buffer.from(bytes.subarray(at, at + len));
    }
    const part = b.partial;
    if (part !== null) {
      if (part.first) {
        const key =
          part.name === null
            ? this.allocKey(STREAM_OUTPUT_NAME)
            : this.allocKey(part.name, this.trie.node(part.name));
        this.openDetails = { key, start: this.startDetails(key) };
      }
      this.putDetails(bytes.subarray(part.at, part.at + part.len));
    }
  }

  /** One test at a time, prepared here (for callers without a preparing worker, and for tests). */
  onTest(r: TestRecord): void {
    const p = (this.local ??= new TestPreparer(64 * 1024));
    p.add(r);
    this.onBatch(p.take());
  }

  /** Run output with no test id, prepared here; written by `finish`. */
  onStreamOutput(o: StreamOutput): void {
    (this.local ??= new TestPreparer(64 * 1024)).addStreamOutput(o);
  }

  private writeTest(t: PreparedTest, bytes: Buffer): void {
    this.count++;
    // One trie walk per test: the same node serves the details key and the tree leaf.
    const leaf = this.trie.node(t.name);
    let key: string;
    let tail: Buffer;
    if (t.detailsAt >= 0) {
      const body = bytes.subarray(t.detailsAt, t.detailsAt + t.detailsLen);
      key = this.finishDetails(t.name, leaf, body);
      tail = this.encodeTail(key, this.detailsStart, this.detailsPos);
    } else {
      // Every test has its entry in `_details.json`, `{}` without attachments, as the original wrote.
      key = this.allocKey(t.name, leaf);
      this.startDetails(key);
      this.putDetails(NO_DETAILS);
      tail = this.encodeTail(key, -1, -1);
    }
    // The prepared entry starts with a comma: left out for the run's first test.
    const first = this.count === 1;
    const entry = bytes.subarray(first ? t.entryAt + 1 : t.entryAt, t.entryAt + t.entryLen);
    const entryBytes = t.entryLen - 1 + tail.length;
    this.trie.setEntry(leaf, this.entries.bytes + (first ? 0 : 1), entryBytes, t.preLen);
    this.raw.writeBuffer(entry);
    this.raw.writeBuffer(tail);
    // The name as the entry has it: the prepared entry starts `,{"name":<name>,` (preLen: from its `{`).
    const nameJson = bytes.subarray(t.entryAt + 2 + KEY.name.length, t.entryAt + t.preLen);
    this.timeline.add(nameJson, t.status, t.startUs, t.endUs, t.worker, entryBytes);
    if (this.entries !== this.raw) {
      this.entries.writeBuffer(entry);
      this.entries.writeBuffer(tail);
    }
    t.detailsKey = key;
    this.stats.add(t);
    if (this.listeners.length > 0) this.tell(t, entry, tail);
  }

  /** The listeners' view of a test (one object, refilled per test): its entry is parsed only when asked for. */
  private tell(t: PreparedTest, entry: Buffer, tail: Buffer): void {
    const v = (this.view ??= new TestView());
    v.fill(t, this.count - 1, entry, tail);
    for (const l of this.listeners) l.test(v);
  }

  /**
   * Details of one test (or the stream output): the last part of those begun by earlier batches, or all of
   * them under a key made now. Sets `detailsStart`; `detailsPos` is then their end.
   */
  private finishDetails(name: string, leaf: number, body: Buffer): string {
    const open = this.openDetails;
    this.openDetails = null;
    let key: string;
    if (open === null) {
      key = this.allocKey(name, leaf < 0 ? this.trie.node(name) : leaf);
      this.detailsStart = this.startDetails(key);
    } else {
      key = open.key;
      this.detailsStart = open.start;
    }
    this.putDetails(body);
    return key;
  }

  /** `,"key":` in `_details.json` (no comma for its first key); returns where the value will begin. */
  private startDetails(key: string): number {
    const out = this.scratchFor(key.length * 6 + 4);
    out[0] = 0x2c;
    let p = putJsonString(out, 1, key);
    out[p++] = 0x3a;
    this.putDetails(out.subarray(this.detailsCount === 0 ? 1 : 0, p));
    this.detailsCount++;
    return this.detailsPos;
  }

  /** Bytes of `_details.json` (copied: the caller may reuse them). */
  private putDetails(b: Buffer): void {
    if (this.gz !== null) this.gz.writeBuffer(b);
    else this.details.writeBuffer(b);
    this.detailsPos += b.length;
  }

  /**
   * `"details_key":<key>,"details_range":[<start>,<end>]}` (null for a start below 0), in the scratch buffer
   * (valid until its next use).
   */
  private encodeTail(key: string, start: number, end: number): Buffer {
    const out = this.scratchFor(TAIL_KEY.length + key.length * 6 + 2 + TAIL_NONE.length + 48);
    let p = putBytes(out, 0, TAIL_KEY);
    p = putJsonString(out, p, key);
    if (start < 0) return out.subarray(0, putBytes(out, p, TAIL_NONE));
    p = putBytes(out, p, TAIL_RANGE);
    p = putAscii(out, p, `[${start},${end}]`);
    out[p++] = 0x7d;
    return out.subarray(0, p);
  }

  /** The scratch buffer, with room for `n` bytes. */
  private scratchFor(n: number): Buffer {
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafeSlow(Math.max(n, this.scratch.length * 2));
    return this.scratch;
  }

  /**
   * Close every file, write the tree and the stats; the run's part of config.json. `scratch`: memory the
   * tree phase may use as it likes until this returns (the pipeline's idle rings).
   */
  async finish(scratch: Uint8Array | null = null): Promise<RunResult> {
    if (this.local !== null) {
      this.local.finishRun();
      this.onBatch(this.local.take());
      this.local = null;
    }
    let streamKey: string | null = null;
    let streamRange: ByteRange | null = null;
    if (this.streamOutput !== null) {
      streamKey = this.finishDetails(STREAM_OUTPUT_NAME, -1, this.streamOutput);
      streamRange = [this.detailsStart, this.detailsPos];
    }
    this.raw.write(']');
    this.putDetails(Buffer.from('}'));
    const index = this.gz === null ? null : this.gz.finish();
    if (this.gz === null) await this.details.close();
    await Promise.all([this.raw.close(), this.entries.close(), this.timeline.close(), index]);

    // Nothing else is written now: the tree goes out with plain synchronous writes, chunk by chunk.
    const tree = this.out.createWhole(`${this.prefix}_tree.json`);
    await writeTree(this.trie, tree, this.entriesPath, undefined, scratch);
    await tree.close();

    const stats: StatsFile = { ...this.stats.result(streamKey), stream_output_range: streamRange };
    this.spill.close();
    const statsLists: EncodedJson = new Map<object, Iterable<Uint8Array>>([
      [stats.failures, this.spill.failures],
      [stats.skips, this.spill.skips],
    ]);
    const statsFile = this.out.createWhole(`${this.prefix}_stats.json`);
    // In pieces: the failures and skips of a big run make megabytes of JSON, read back from their files.
    writeJsonPieces(statsFile, jsonPieces(stats, STATS_DEPTH, statsLists));
    await statsFile.close();

    const { key } = this.naming;
    const run: TempestRun = {
      id: this.naming.runId,
      name: this.naming.title,
      source: this.naming.source,
      raw: this.raw.relPath,
      details: this.details.relPath,
      tree: tree.relPath,
      stats,
      timeline: this.timeline.relPath,
      ...(index === null ? {} : { details_index: await index }),
      key,
    };
    const gz = this.out.gzip ? { content_encoding: 'gzip' as const } : {};
    const art = (path: string, type: string, primary: boolean): Artifact => ({
      path,
      artifact_name: key,
      artifact_type: type,
      content_type: 'application/json',
      primary,
      ...gz,
    });
    return {
      run,
      artifacts: [
        // A run with no tests is not primary: the original front-end would open a broken timeline for it.
        art(this.raw.relPath, 'subunit', this.count > 0),
        art(this.details.relPath, 'subunit-details', false),
        art(statsFile.relPath, 'subunit-stats', false),
      ],
      files: [this.raw.relPath, this.details.relPath, tree.relPath, statsFile.relPath, this.timeline.relPath],
      tests: this.count,
      failures: this.stats.failureCount,
      statsLists,
    };
  }
}

/** What listeners see of a test: the prepared test's fields, and its raw entry parsed on demand. */
class TestView implements ExportedTest {
  name = '';
  status: PreparedTest['status'] = 'unknown';
  startUs: number | null = null;
  endUs: number | null = null;
  duration: number | null = null;
  traceback: string | null = null;
  reason: string | null = null;
  detailsKey: string | null = null;
  parserError = false;
  worker: number | null = null;
  index = 0;
  private entryBytes: Buffer = Buffer.alloc(0);
  private tailBytes: Buffer = Buffer.alloc(0);
  private parsed: RawEntry | null = null;

  fill(t: PreparedTest, index: number, entry: Buffer, tail: Buffer): void {
    this.name = t.name;
    this.status = t.status;
    this.startUs = t.startUs;
    this.endUs = t.endUs;
    this.duration = t.duration;
    this.traceback = t.traceback;
    this.reason = t.reason;
    this.detailsKey = t.detailsKey;
    this.parserError = t.parserError;
    this.worker = t.worker;
    this.index = index;
    this.entryBytes = entry;
    this.tailBytes = tail;
    this.parsed = null;
  }

  entry(): RawEntry {
    const e = this.entryBytes;
    // The prepared entry starts with a comma (left out for a run's first test), and ends before its tail.
    return (this.parsed ??= JSON.parse(
      e.toString('utf8', e[0] === 0x2c ? 1 : 0) + this.tailBytes.toString('utf8'),
    ) as RawEntry);
  }
}
