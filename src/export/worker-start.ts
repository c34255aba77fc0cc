// Starting the preparing worker thread, possibly early: a worker boots (isolate, modules) in ~45 ms, which the
// CLI overlaps with loading its own modules and checking its inputs. Kept tiny: it is imported first.
import { Worker } from 'node:worker_threads';
import { ESCAPER_BYTES, PAGE, sharedMemory, type SharedMemory } from './shared-memory.js';

/** Batches the worker may have handed over before the main thread has written them (memory bound). */
export const RING_SLOTS = 4;
/**
 * Bytes of a ring slot: a batch closes at about 1 MiB, and details are escaped in pieces sized to the room
 * left (TestPreparer.pieceBytes), so a batch stays within its slot.
 */
export const SLOT_BYTES = 2 * 1024 * 1024;

/**
 * Bytes of the input ring: the main thread copies input there, the worker reads it in place. It holds the
 * bytes the worker may still point into (the spill age and its scan step, a packet being read) plus one
 * message read ahead: the least WorkerPipeline accepts. 16 MiB was no faster, and cost peak RSS.
 */
export const INPUT_BYTES = 14 * 1024 * 1024;
/** Input bytes handed to the worker per message (larger chunks are split). */
export const INPUT_MESSAGE = 1024 * 1024;

/**
 * What the worker is given at its start: the rings, and the writer's count of batches done. Both rings are
 * in one shared memory (shared-memory.ts), after the escaper's area:
 * [escaper | input ring | batch slots].
 */
export interface RingData {
  memory: SharedMemory;
  /** Where the input ring starts in the memory, and its bytes. */
  inputAt: number;
  inputBytes: number;
  /** Where the batch slots start in the memory (RING_SLOTS of SLOT_BYTES). */
  ringAt: number;
  /** [0]: batches the main thread has written (and whose slots are free again). */
  released: Int32Array;
}

/** The input ring: a view of the shared memory. */
export const inputRing = (r: RingData): Uint8Array =>
  new Uint8Array(r.memory.buffer, r.inputAt, r.inputBytes);

/** A started worker, with its ring and the first error or exit code it reported before anyone listened. */
export interface StartedWorker {
  worker: Worker;
  ring: RingData;
  early: { error: Error | null; exitCode: number | null };
}

function start(url: URL, inputBytes = INPUT_BYTES): StartedWorker {
  const inputAt = ESCAPER_BYTES;
  // The batch slots start on a page of their own (an input ring of any size may be asked for).
  const ringAt = Math.ceil((inputAt + inputBytes) / PAGE) * PAGE;
  const ring: RingData = {
    memory: sharedMemory(ringAt + RING_SLOTS * SLOT_BYTES),
    inputAt,
    inputBytes,
    ringAt,
    released: new Int32Array(new SharedArrayBuffer(4)),
  };
  // A small young generation: the worker's live objects are few (open tests, one batch), and the default
  // (tens of MB) costs that much peak RSS for no measured speed (1 GB stream: 280 -> 237 MB; 24 MB: no faster).
  // The commands' launcher passes --max-semi-space-size=1, a process-wide V8 flag that overrides this limit:
  // the worker then has 1 MB semi-spaces like the main thread (8 MB here is ~9% faster on the 207 MB stream
  // but 10-15 MB more peak RSS on the 1 GB one, over its target: docs/performance.md).
  const resourceLimits = { maxYoungGenerationSizeMb: 8 };
  const worker = new Worker(url, { workerData: ring, resourceLimits });
  const early: StartedWorker['early'] = { error: null, exitCode: null };
  const onError = (e: Error): void => {
    early.error ??= e;
  };
  const onExit = (code: number): void => {
    early.exitCode ??= code;
  };
  worker.on('error', onError);
  worker.once('exit', onExit);
  return { worker, ring, early };
}

let prestarted: { href: string; started: StartedWorker } | null = null;

/**
 * Start the worker of `url` now, for a later `takeWorker(url)`. Unreferenced until taken, so a process that
 * never needs it (`--help`, a usage error) exits as if it had not been started.
 */
export function prestartWorker(url: URL): Worker {
  if (prestarted !== null) return prestarted.started.worker;
  const started = start(url);
  started.worker.unref();
  prestarted = { href: url.href, started };
  return started.worker;
}

/** The prestarted worker of `url`, or a new one (always new for an input ring of another size). */
export function takeWorker(url: URL, inputBytes = INPUT_BYTES): StartedWorker {
  const p = prestarted;
  if (p !== null && p.href === url.href && inputBytes === INPUT_BYTES) {
    prestarted = null;
    p.started.worker.ref();
    return p.started;
  }
  return start(url, inputBytes);
}
