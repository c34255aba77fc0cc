// One run's files (raw, details + shards, tree, stats), written as its tests complete.
import { Buffer } from 'node:buffer';
import type { Artifact, ExportStatus, StatsFile, TempestRun } from '../contract/export-format.js';
import { workerOf } from '../contract/export-format.js';
import { cleanTestId, stripNonWord } from '../model/names.js';
import { StatsAccumulator } from '../model/stats.js';
import type { Attachment, StreamOutput, TestRecord } from '../model/test-record.js';
import { durationSeconds, isoFromMicros } from '../model/time.js';
import { attachmentText, decodeAttachment, verbatimUtf8 } from './attachments.js';
import type { OutFile, OutputDir } from './output.js';
import { SharedGzipDetails } from './shared-gzip.js';
import { NameTrie } from './tree.js';

/** A details shard is closed once it holds about this many bytes; one test's details are never split. */
export const SHARD_TARGET = 1024 * 1024;
/** Test id python-subunit gives the entries it makes for damaged packets. */
const PARSER_TEST_ID = 'subunit.parser';
/** Details key (before de-duplication) of the run's own output: bytes with no test id. */
export const STREAM_OUTPUT_NAME = '<stream output>';
/** Attachments bigger than this are decoded and written piece by piece instead of as one string. */
const WHOLE_LIMIT = 1024 * 1024;
/** Size of an output arena (see `reserve`). */
const ARENA_BYTES = 1024 * 1024;

/** What a finished run contributes to config.json and the commit. */
export interface RunResult {
  run: TempestRun;
  artifacts: Artifact[];
  /** Every data file written (relative paths), for the commit. */
  files: string[];
  tests: number;
  failures: number;
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

/** Where details bytes go (an OutFile, the -z shard compressor, or nowhere). */
type ByteSink = Pick<OutFile, 'write' | 'writeBuffer' | 'full' | 'drained' | 'close'>;

const NO_SINK: ByteSink = {
  write: () => undefined,
  writeBuffer: () => undefined,
  full: false,
  drained: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const json = JSON.stringify;

/** Escape text for the inside of a JSON string (no quotes). */
const jsonInner = (s: string): string => {
  const q = json(s);
  return q.slice(1, q.length - 1);
};

export class RunWriter {
  private readonly out: OutputDir;
  private readonly naming: RunNaming;
  private readonly prefix: string;
  private readonly raw: OutFile;
  private readonly details: OutFile;
  /** The raw entries, uncompressed, read back for the tree: the raw file itself unless gzipped. */
  private readonly entries: OutFile;
  private readonly entriesPath: string;
  /** Where the current shard's bytes go: its file, or the shared -z compressor. */
  private shard: ByteSink | null = null;
  private readonly shared: SharedGzipDetails | null;
  private shardIndex = -1;
  /** Attachment bytes in the current shard (an estimate of its size, known before writing). */
  private shardBytes = 0;
  private readonly shardPaths: string[] = [];
  private readonly closing: Promise<void>[] = [];
  private readonly trie = new NameTrie();
  /** Suffixed keys handed out (`name#2`...): only duplicates land here, so it stays small. */
  private readonly extraKeys = new Set<string>();
  private readonly nextSuffix = new Map<string, number>();
  private readonly stats = new StatsAccumulator();
  private readonly streamOutputs: StreamOutput[] = [];
  private count = 0;
  /** Output bytes are encoded into large shared buffers: one allocation per ~1 MiB, not per test. */
  private arena: Buffer = Buffer.alloc(0);
  private arenaPos = 0;
  private detailsCount = 0;

  private constructor(
    out: OutputDir,
    naming: RunNaming,
    files: [OutFile, OutFile, OutFile],
    entriesPath: string,
    shared: SharedGzipDetails | null,
  ) {
    this.out = out;
    this.naming = naming;
    this.prefix = `tempest_${naming.source}_${naming.runId}`;
    [this.raw, this.details, this.entries] = files;
    this.entriesPath = entriesPath;
    this.shared = shared;
    this.raw.write('[');
    if (shared === null) this.details.write('{');
  }

  static create(out: OutputDir, naming: RunNaming): RunWriter {
    const prefix = `tempest_${naming.source}_${naming.runId}`;
    const raw = out.create(`${prefix}_raw.json`);
    // Under -z the shards' compressed bytes are reused for the whole details file (SharedGzipDetails).
    const shared = out.gzip ? new SharedGzipDetails(out, `${prefix}_details.json`) : null;
    const details = shared === null ? out.create(`${prefix}_details.json`) : shared.details;
    let entries = raw;
    let entriesPath = out.scratchPath(raw.relPath);
    if (out.gzip) {
      const name = `.entries-${prefix}`;
      entries = out.create(name, false);
      entriesPath = out.scratchPath(name);
    }
    return new RunWriter(out, naming, [raw, details, entries], entriesPath, shared);
  }

  get testCount(): number {
    return this.count;
  }

  /** True when an output stream is full and the producer should wait on `drained()`. */
  get full(): boolean {
    return (
      this.raw.full ||
      this.details.full ||
      (this.shard?.full ?? false) ||
      this.entries.full ||
      (this.shared?.full ?? false)
    );
  }

  async drained(): Promise<void> {
    await this.raw.drained();
    await this.details.drained();
    await this.entries.drained();
    if (this.shard) await this.shard.drained();
    if (this.shared) await this.shared.drained();
  }

  /** The details key for a name: the name itself the first time, then `name#2`, `name#3`, ... never reused. */
  private allocKey(name: string, leaf: number = this.trie.node(name)): string {
    // extraKeys only holds `name#n` keys: a name without `#` cannot be one (no hashing in the common case).
    if (this.trie.keyed[leaf] === 0 && (!name.includes('#') || !this.extraKeys.has(name))) {
      this.trie.keyed[leaf] = 1;
      return name;
    }
    for (let n = this.nextSuffix.get(name) ?? 2; ; n++) {
      const k = `${name}#${n}`;
      if (!this.extraKeys.has(k) && !this.isKeyed(this.trie.find(k))) {
        this.extraKeys.add(k);
        this.nextSuffix.set(name, n + 1);
        return k;
      }
    }
  }

  private isKeyed(leaf: number): boolean {
    return leaf >= 0 && this.trie.keyed[leaf] === 1;
  }

  onTest(r: TestRecord): void {
    this.count++;
    const { name, attributes } = cleanTestId(r.id);
    const status: ExportStatus = r.status;
    const tags = [...r.tags].sort();
    const duration = durationSeconds(r.startUs, r.endUs);

    // Attachment keys with non-word characters removed; when two collide the later wins at the first's
    // place, as the original's dict comprehension does.
    let atts: Map<string, Attachment> | null = null;
    for (const a of r.attachments.values()) {
      if (a.size === 0) continue;
      atts ??= new Map();
      atts.set(stripNonWord(a.name), a);
    }
    // One trie walk per test: the same node serves the details key and the tree leaf.
    const leaf = this.trie.node(name);
    let detailsKey: string | null = null;
    let shard: number | null = null;
    if (atts !== null) {
      detailsKey = this.allocKey(name, leaf);
      shard = this.writeDetails(detailsKey, atts);
    }

    const head = `{"name":${json(name)},`;
    const body =
      `"status":${json(status)},"tags":${json(tags)},"timestamps":[` +
      `${r.startUs === null ? 'null' : `"${isoFromMicros(r.startUs)}"`},` +
      `${r.endUs === null ? 'null' : `"${isoFromMicros(r.endUs)}"`}],` +
      `"duration":${duration === null ? 'null' : json(duration)},"details":{},` +
      `"id":${json(r.id)},"attributes":${json(attributes)},"worker":${json(workerOf(tags))},` +
      (r.routeCode === null ? '' : `"route_code":${json(r.routeCode)},`) +
      `"details_key":${json(detailsKey)},"details_shard":${json(shard)}}`;
    // Encoded once into the arena with its leading comma; raw and the entries file share the bytes.
    const preLen = Buffer.byteLength(head, 'utf8');
    const len = preLen + Buffer.byteLength(body, 'utf8');
    const arena = this.reserve(len + 1);
    const start = this.arenaPos;
    arena[start] = 0x2c; // ','
    arena.write(head, start + 1, 'utf8');
    arena.write(body, start + 1 + preLen, 'utf8');
    this.arenaPos = start + 1 + len;
    const entry = arena.subarray(this.count > 1 ? start : start + 1, start + 1 + len);
    this.trie.off[leaf] = this.entries.bytes + (this.count > 1 ? 1 : 0);
    this.trie.len[leaf] = len;
    this.trie.pre[leaf] = preLen;
    this.raw.writeBuffer(entry);
    if (this.entries !== this.raw) this.entries.writeBuffer(entry);

    const textOf = (key: string): string | null => {
      const a = atts?.get(key);
      return a === undefined ? null : attachmentText(a.mimeType, a.chunks, a.size);
    };
    this.stats.add({
      name,
      status,
      startUs: r.startUs,
      endUs: r.endUs,
      duration,
      // A damaged packet (subunit.parser) has no traceback: its reason stands in, so the damage shows in the summary.
      traceback:
        status !== 'fail'
          ? null
          : (textOf('traceback') ?? (r.id === PARSER_TEST_ID ? textOf('ParserError') : null)),
      reason: status === 'skip' ? textOf('reason') : null,
      detailsKey,
      parserError: r.id === PARSER_TEST_ID,
    });
  }

  onStreamOutput(o: StreamOutput): void {
    if (o.size > 0) this.streamOutputs.push(o);
  }

  /** Write `"key":{...}` to the current shard and to `_details.json` from the same bytes; returns the shard. */
  private writeDetails(
    key: string,
    atts: Map<string, Pick<Attachment, 'mimeType' | 'chunks' | 'size'>>,
  ): number {
    let size = 0;
    for (const a of atts.values()) size += a.size;
    if (this.shard === null || (this.shardBytes > 0 && this.shardBytes + size > SHARD_TARGET))
      this.rotateShard();
    const shard = this.shard as ByteSink;
    // Under -z the details file is made from the shards' compressed bytes: nothing is written to it here.
    const details: ByteSink = this.shared === null ? this.details : NO_SINK;
    const sep = this.shardBytes > 0 ? ',' : '';
    this.shardBytes += size + 1;
    const dsep = this.detailsCount > 0 ? ',' : '';
    this.detailsCount++;
    if (size <= WHOLE_LIMIT) {
      // The pieces are encoded straight into the arena, once, shared by the shard and `_details.json`.
      // Valid UTF-8 text is escaped as a latin1 string: JSON.stringify only touches ASCII, so writing the
      // result back byte for byte gives the same bytes as decode + stringify + UTF-8 encode, with less work.
      const parts: string[] = [];
      const latin: boolean[] = [];
      let bytes = 1;
      const add = (piece: string, isLatin1: boolean): void => {
        parts.push(piece);
        latin.push(isLatin1);
        bytes += isLatin1 ? piece.length : Buffer.byteLength(piece, 'utf8');
      };
      add(`${json(key)}:{`, false);
      let first = true;
      for (const [k, a] of atts) {
        add(`${first ? '' : ','}${json(k)}:`, false);
        first = false;
        const verbatim = verbatimUtf8(a.mimeType, a.chunks, a.size);
        if (verbatim !== null) add(json(verbatim.toString('latin1')), true);
        else add(json(attachmentText(a.mimeType, a.chunks, a.size)), false);
      }
      add('}', true);
      const arena = this.reserve(bytes);
      const start = this.arenaPos;
      let p = start;
      arena[p++] = 0x2c; // ','
      for (let i = 0; i < parts.length; i++) {
        p += arena.write(parts[i] as string, p, latin[i] === true ? 'latin1' : 'utf8');
      }
      this.arenaPos = p;
      shard.writeBuffer(arena.subarray(sep === '' ? start + 1 : start, p));
      details.writeBuffer(arena.subarray(dsep === '' ? start + 1 : start, p));
    } else {
      const both = (s: string): void => {
        const buf = Buffer.from(s, 'utf8');
        shard.writeBuffer(buf);
        details.writeBuffer(buf);
      };
      shard.write(sep);
      details.write(dsep);
      both(`${json(key)}:{`);
      let first = true;
      for (const [k, a] of atts) {
        both(`${first ? '' : ','}${json(k)}:"`);
        first = false;
        decodeAttachment(a.mimeType, a.chunks, a.size, (piece) => both(jsonInner(piece)));
        both('"');
      }
      both('}');
    }
    return this.shardIndex;
  }

  /** The arena with at least `n` free bytes at `arenaPos`: a fresh one when the current one is too full. */
  private reserve(n: number): Buffer {
    if (this.arena.length - this.arenaPos < n) {
      // Bytes handed out stay valid: the files hold views of the old arena until they are written.
      this.arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, n));
      this.arenaPos = 0;
    }
    return this.arena;
  }

  private rotateShard(): void {
    this.shardIndex++;
    this.shardBytes = 0;
    const rel = `${this.prefix}_details/${this.shardIndex}.json`;
    if (this.shared !== null) {
      this.shared.endShard();
      this.shardPaths.push(this.shared.startShard(rel));
      this.shard = this.shared;
      return;
    }
    if (this.shard !== null) {
      this.shard.write('}');
      this.closing.push(this.shard.close());
    }
    const shard = this.out.create(rel);
    this.shard = shard;
    this.shardPaths.push(shard.relPath);
    shard.write('{');
  }

  /** Close every file, write the tree and the stats; the run's part of config.json. */
  async finish(): Promise<RunResult> {
    let streamKey: string | null = null;
    let streamShard: number | null = null;
    if (this.streamOutputs.length > 0) {
      streamKey = this.allocKey(STREAM_OUTPUT_NAME);
      const atts = new Map<string, StreamOutput>();
      for (const o of this.streamOutputs) atts.set(stripNonWord(o.name), o);
      streamShard = this.writeDetails(streamKey, atts);
    }
    this.raw.write(']');
    if (this.shared !== null) {
      this.closing.push(this.shared.finish());
    } else {
      this.details.write('}');
      if (this.shard !== null) {
        this.shard.write('}');
        this.closing.push(this.shard.close());
      }
      this.closing.push(this.details.close());
    }
    await Promise.all([this.raw.close(), this.entries.close(), ...this.closing]);

    const tree = this.out.create(`${this.prefix}_tree.json`);
    await this.trie.write(tree, this.entriesPath);
    await tree.close();

    const stats: StatsFile = { ...this.stats.result(streamKey), stream_output_shard: streamShard };
    const statsFile = this.out.create(`${this.prefix}_stats.json`);
    statsFile.write(json(stats));
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
      details_shards: this.shardPaths,
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
        art(this.raw.relPath, 'subunit', true),
        art(this.details.relPath, 'subunit-details', false),
        art(statsFile.relPath, 'subunit-stats', false),
      ],
      files: [this.raw.relPath, this.details.relPath, tree.relPath, statsFile.relPath, ...this.shardPaths],
      tests: this.count,
      failures: this.stats.failureCount,
    };
  }
}
