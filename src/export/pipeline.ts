// Bytes of a run → batches of prepared tests, on this thread or in a worker thread (the other core).
import type { PlainReader } from '../sources/source.js';
import type { Worker } from 'node:worker_threads';
import { AutoReader } from '../formats/subunit/detect.js';
import type { StreamReader } from '../formats/subunit/events.js';
import { parserErrorEvent } from '../formats/subunit/v2.js';
import { TestAssembler } from '../model/assemble.js';
import type { BatchBuffers, PreparedBatch } from './prepare.js';
import { TestPreparer } from './prepare.js';
import { SpillFile } from './spill.js';
import {
  INPUT_BYTES,
  INPUT_MESSAGE,
  inputRing,
  RING_SLOTS,
  SLOT_BYTES,
  takeWorker,
  type RingData,
} from './worker-start.js';

export { RING_SLOTS, SLOT_BYTES, type RingData } from './worker-start.js';

/** Where batches go; may return a promise to hold the producer back (an output stream is full). */
export type BatchSink = (batch: PreparedBatch) => Promise<void> | null;

/** One run at a time: `begin`, `push` every chunk in order, `end`; `close` when done with all runs. */
export interface PreparePipeline {
  /** `spillPath`: a scratch file for attachment bytes held too long or too many (null: keep them in memory). */
  begin(sink: BatchSink, spillPath: string | null): void;
  /** Resolves when the pipeline can take more bytes; the chunk is not used after that. */
  push(chunk: Uint8Array): Promise<void>;
  /** Read a whole file into the pipeline's own memory; `progress` gets the bytes read so far. */
  pushFrom?(file: PlainReader, progress: (bytes: number) => void): Promise<number>;
  /**
   * Resolves once every batch of the run has been handed to the sink (and its promise settled). `damage`:
   * why the run's bytes broke off early (a corrupt gzip stream), recorded as a failing `subunit.parser` test.
   */
  end(damage?: string | null): Promise<void>;
  /** After `end` and until the next `begin`: memory of the pipeline's nobody uses (the input ring), or null. */
  idleMemory?(): Uint8Array;
  close(): Promise<void>;
}

/** Input bytes fed to the reader at a time. */
const PIECE = 256 * 1024;
/** Attachment bytes open tests may hold in memory before they are spilled. */
const MAX_HELD = 16 * 1024 * 1024;
/**
 * Bytes of input after which held attachment bytes (views into the input) are spilled: the input before
 * that point is then free for reuse. More than a packet (4 MiB), so a packet read across chunks never is.
 */
const MAX_AGE = 8 * 1024 * 1024;
/** The age rule is checked every this many bytes of input. */
const AGE_SCAN = 1024 * 1024;

/** When held attachment bytes go to the spill file (see TestAssembler.spill); ages in bytes of input. */
export interface SpillLimits {
  maxHeld: number;
  maxAge: number;
  ageScan: number;
}
export const SPILL_LIMITS: SpillLimits = { maxHeld: MAX_HELD, maxAge: MAX_AGE, ageScan: AGE_SCAN };
/** The longest packet v2 allows (a 22-bit length); one may be read in place across chunks of the ring. */
const MAX_PACKET = 4 * 1024 * 1024;

/** Reader, assembler and preparer of one run: the same work wherever it runs. */
export class RunPreparer {
  private readonly preparer: TestPreparer;
  private readonly assembler: TestAssembler;
  private readonly reader: StreamReader;
  private readonly spill: SpillFile | null;
  /** Bytes of the run pushed so far. */
  private pos = 0;
  private nextScan: number;
  /** Offset before which no pushed byte is in use (all views into it were spilled); see `push`. */
  private free = 0;

  /**
   * `emit` gets each batch as it fills up. `ownChunks`: the chunks pushed are this preparer's for good
   * (transferred to a worker), so attachment bytes can stay views into them. `spillPath`: see `begin`.
   */
  constructor(
    private readonly emit: (b: PreparedBatch) => void,
    ownChunks = false,
    spillPath: string | null = null,
    private readonly limits: SpillLimits = SPILL_LIMITS,
    buffers?: BatchBuffers,
  ) {
    this.preparer = new TestPreparer(undefined, emit, buffers);
    this.assembler = new TestAssembler({
      onTest: (t) => this.preparer.add(t),
      onStreamOutput: (o) => this.preparer.addStreamOutput(o),
    });
    // The assembler keeps values from events, never the events themselves.
    this.reader = new AutoReader(this.assembler, {
      ownChunks,
      reuseEvents: true,
    });
    this.spill = spillPath === null ? null : new SpillFile(spillPath);
    this.nextScan = limits.ageScan;
  }

  /** How many times held bytes went to the spill file. */
  get spills(): number {
    return this.spill?.saves ?? 0;
  }

  /**
   * Read a chunk. Returns the run offset before which the bytes pushed are no longer used: nothing held
   * points into them (views older than the age limit are spilled), nor does the reader still read them.
   * Without a spill file nothing is ever spilled, and the answer stays 0.
   */
  push(chunk: Uint8Array): number {
    const a = this.assembler;
    const { maxHeld, maxAge, ageScan } = this.limits;
    // Large chunks are fed in pieces so batches go out (and memory is freed) while a chunk is read.
    for (let i = 0; i < chunk.length; i += PIECE) {
      const piece = chunk.subarray(i, Math.min(chunk.length, i + PIECE));
      // The clock of the age rule: where this piece's bytes start, or where a packet still being read
      // started (bytes it hands out lie there).
      a.epoch = Math.min(this.pos, this.reader.holdsFrom);
      this.reader.push(piece);
      this.pos += piece.length;
      if (this.preparer.ready) this.emit(this.preparer.take());
      if (this.spill !== null && (a.heldBytes > maxHeld || this.pos >= this.nextScan)) {
        a.spill(this.spill, maxHeld, maxAge);
        if (this.pos >= this.nextScan) this.nextScan = this.pos + ageScan;
        // Every view still held starts at or after epoch - maxAge (or none is left); a packet the reader is
        // still reading becomes a held view once complete: nothing from its start on is ever free.
        const unused = a.heldBytes === 0 ? this.pos : a.epoch - maxAge;
        this.free = Math.max(this.free, Math.min(unused, this.reader.holdsFrom));
      }
    }
    return Math.min(this.free, this.reader.holdsFrom);
  }

  /** End of the run: the last batch, with the run's stream output (and `damage` as a parser failure). */
  end(damage: string | null = null): void {
    this.reader.end();
    if (damage !== null) this.assembler.event(parserErrorEvent(damage));
    this.assembler.finish();
    this.preparer.finishRun();
    this.emit(this.preparer.take());
    this.spill?.close();
  }
}

/** Everything on the calling thread (tests, and where a worker is not wanted). */
export class InlinePipeline implements PreparePipeline {
  private run: RunPreparer | null = null;
  private sink: BatchSink = () => null;
  private batches: PreparedBatch[] = [];

  begin(sink: BatchSink, spillPath: string | null): void {
    this.run = new RunPreparer((b) => this.batches.push(b), false, spillPath);
    this.sink = sink;
  }

  private async deliver(): Promise<void> {
    const batches = this.batches;
    this.batches = [];
    for (const b of batches) await this.sink(b);
  }

  async push(chunk: Uint8Array): Promise<void> {
    // Used before push returns: the caller's buffer is never kept.
    (this.run as RunPreparer).push(chunk);
    await this.deliver();
  }

  async end(damage: string | null = null): Promise<void> {
    (this.run as RunPreparer).end(damage);
    this.run = null;
    await this.deliver();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Messages between the pipeline and its worker (prepare-worker.ts). */
export type ToWorker =
  | { t: 'begin'; spillPath: string | null; at: number; limits: SpillLimits }
  /**
   * Input bytes [at, at + length) in ring positions (never across the ring's end), and the run offsets of
   * the packets this thread found whole and with a good CRC since the last chunk.
   */
  | { t: 'chunk'; at: number; length: number }
  | { t: 'end'; damage: string | null };
export type FromWorker =
  | { t: 'batch'; batch: PreparedBatch }
  /** The worker no longer uses input before ring position `free`. */
  | { t: 'consumed'; free: number }
  | { t: 'ended' }
  | { t: 'error'; message: string; code?: string; syscall?: string };

/**
 * Batch buffers in the slots of a shared ring, used in turn: batch n goes in slot n mod RING_SLOTS once the
 * writer has released batch n - RING_SLOTS. The same memory over and over: no fresh pages to fault in, no
 * transfers, and the worker waits (Atomics.wait) while the writer is RING_SLOTS batches behind.
 */
export class RingBuffers implements BatchBuffers {
  readonly counted = true;
  private taken = 0;

  constructor(private readonly data: RingData) {}

  next(minBytes: number): Buffer {
    const n = this.taken++;
    const released = this.data.released;
    for (;;) {
      const done = Atomics.load(released, 0);
      if (n - done < RING_SLOTS) break;
      Atomics.wait(released, 0, done);
    }
    // Batch n is counted (and released) whatever buffer it ends up in; only it decides the slot.
    if (minBytes > SLOT_BYTES) return Buffer.allocUnsafeSlow(minBytes);
    return Buffer.from(this.data.memory.buffer, this.data.ringAt + (n % RING_SLOTS) * SLOT_BYTES, SLOT_BYTES);
  }
}

/**
 * Reading, decoding, assembling and encoding in a worker thread; the main thread only writes. The worker
 * writes its batches in the slots of a shared ring and waits (Atomics.wait) while the main thread is
 * RING_SLOTS batches behind, so a slow disk holds it back.
 */
export class WorkerPipeline implements PreparePipeline {
  private readonly worker: Worker;
  private readonly ring: RingData;
  private sink: BatchSink = () => null;
  private chain: Promise<void> = Promise.resolve();
  private readonly input: Uint8Array;
  private readonly limits: SpillLimits;
  /** Input ring positions: bytes posted so far, and the start of those the worker may still use. */
  private written = 0;
  private free = 0;
  private wakeChunk: (() => void) | null = null;
  private ended: (() => void) | null = null;
  private failure: Error | null = null;
  private fail: ((e: Error) => void) | null = null;

  /**
   * `url`: the built prepare-worker.js; a worker prestarted for it (worker-start.ts) is taken. Tests may
   * give a smaller input ring and spill limits; the ring must hold the age limit, a scan, the longest
   * packet and a message, or the worker could wait for bytes the ring has no room for.
   */
  constructor(url: URL, config: { inputBytes: number; limits: SpillLimits } | null = null) {
    const inputBytes = config?.inputBytes ?? INPUT_BYTES;
    this.limits = config?.limits ?? SPILL_LIMITS;
    if (inputBytes < this.limits.maxAge + this.limits.ageScan + MAX_PACKET + INPUT_MESSAGE)
      throw new Error(`input ring of ${inputBytes} bytes is too small for its spill limits`);
    const { worker, ring, early } = takeWorker(url, inputBytes);
    this.worker = worker;
    this.ring = ring;
    this.input = inputRing(ring);
    this.worker.on('message', (m: FromWorker) => this.receive(m));
    this.worker.on('error', (e) => this.abort(e));
    this.worker.on('exit', (code) => this.exited(code));
    // What it reported before this pipeline listened (a prestarted worker that failed to load).
    if (early.error !== null) this.abort(early.error);
    if (early.exitCode !== null) this.exited(early.exitCode);
  }

  private exited(code: number): void {
    if (this.failure === null && code !== 0) this.abort(new Error(`preparing worker exited with ${code}`));
  }

  private abort(e: Error): void {
    if (this.failure !== null) return;
    this.failure = e;
    this.fail?.(e);
    this.wakeChunk?.();
  }

  private receive(m: FromWorker): void {
    if (m.t === 'batch') {
      this.chain = this.chain.then(async () => {
        if (this.failure !== null) return;
        try {
          await this.sink(m.batch);
        } catch (e) {
          this.abort(e instanceof Error ? e : new Error(String(e)));
        }
        if (m.batch.counted) {
          Atomics.add(this.ring.released, 0, 1);
          Atomics.notify(this.ring.released, 0);
        }
      });
    } else if (m.t === 'consumed') {
      this.free = Math.max(this.free, m.free);
      const wake = this.wakeChunk;
      this.wakeChunk = null;
      wake?.();
    } else if (m.t === 'ended') {
      // The run is over: nothing of it is held any more.
      this.free = this.written;
      void this.chain.then(() => this.ended?.());
    } else {
      // A file-system error (the spill file on a full disk) keeps its code, so it is reported as one.
      const e: NodeJS.ErrnoException = new Error(m.message);
      if (m.code !== undefined) e.code = m.code;
      if (m.syscall !== undefined) e.syscall = m.syscall;
      this.abort(e);
    }
  }

  private post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  begin(sink: BatchSink, spillPath: string | null): void {
    this.sink = sink;
    this.post({ t: 'begin', spillPath, at: this.written, limits: this.limits });
  }

  /**
   * Where the next message of at most `max` bytes goes in the input ring (it never crosses the ring's end),
   * and its size, once the worker has freed room for it.
   */
  private async nextSlot(max: number): Promise<{ at: number; n: number }> {
    const at = this.written % this.input.length;
    const n = Math.min(max, INPUT_MESSAGE, this.input.length - at);
    while (this.written + n - this.free > this.input.length && this.failure === null) {
      await new Promise<void>((resolve) => (this.wakeChunk = resolve));
    }
    if (this.failure !== null) throw this.failure;
    return { at, n };
  }

  /** Hand the `length` bytes just put at the ring's write position to the worker. */
  private sent(length: number): void {
    this.post({ t: 'chunk', at: this.written, length });
    this.written += length;
  }

  /** Between runs the worker reads nothing from the input ring and writes no batch, and this thread writes nothing to them. */
  idleMemory(): Uint8Array {
    const { memory, inputAt, ringAt } = this.ring;
    return new Uint8Array(memory.buffer, inputAt, ringAt + RING_SLOTS * SLOT_BYTES - inputAt);
  }

  /** A file read straight into the input ring: no buffer per chunk, no copy. */
  async pushFrom(file: PlainReader, progress: (bytes: number) => void): Promise<number> {
    let total = 0;
    for (;;) {
      const { at, n } = await this.nextSlot(INPUT_MESSAGE);
      const got = await file.read(this.input, at, n);
      if (got === 0) return total;
      this.sent(got);
      total += got;
      progress(total);
    }
  }

  /**
   * Copy the chunk into the input ring, in messages that never cross its end, each once the worker has
   * freed room for it. The same memory over and over: no buffer per chunk, nothing to transfer or collect.
   */
  async push(chunk: Uint8Array): Promise<void> {
    for (let i = 0; i < chunk.length;) {
      const { at, n } = await this.nextSlot(chunk.length - i);
      this.input.set(chunk.subarray(i, i + n), at);
      this.sent(n);
      i += n;
    }
    if (this.failure !== null) throw this.failure;
  }

  end(damage: string | null = null): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.ended = () => {
        this.ended = null;
        this.fail = null;
        if (this.failure !== null) reject(this.failure);
        else resolve();
      };
      this.fail = reject;
      this.post({ t: 'end', damage });
    });
  }

  async close(): Promise<void> {
    // A worker waiting for a slot is woken first, so it can be stopped.
    Atomics.store(this.ring.released, 0, 1 << 30);
    Atomics.notify(this.ring.released, 0);
    await this.worker.terminate();
  }
}
