// The worker thread of WorkerPipeline: reads a run's chunks, hands back batches of prepared tests.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, RingData, ToWorker } from './pipeline.js';
import { RingBuffers, RunPreparer } from './pipeline.js';
import type { PreparedBatch } from './prepare.js';
import { escapeInMemory } from './json-bytes.js';
import { inputRing } from './worker-start.js';

const port = parentPort;
if (port === null) throw new Error('prepare-worker.js runs only as a worker thread');
const rings = workerData as RingData;
const buffers = new RingBuffers(rings);
const input = inputRing(rings);
// Attachment bytes are escaped where the input ring holds them, straight into the batch slots.
escapeInMemory(rings.memory);

const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Hand a batch over: its numbers (and its buffer, when it is not a ring slot) are transferred. */
function emit(batch: PreparedBatch): void {
  const transfer = [batch.nums.buffer as ArrayBuffer];
  if (batch.buffer instanceof ArrayBuffer && batch.buffer.byteLength > 0) transfer.push(batch.buffer);
  send({ t: 'batch', batch }, transfer);
}

let run: RunPreparer | null = null;
/** Ring position of the run's first byte. */
let base = 0;
/** Views into the ring may be kept only while a spill file can take them before the ring comes round. */
let views = false;

port.on('message', (m: ToWorker) => {
  try {
    if (m.t === 'begin') {
      base = m.at;
      views = m.spillPath !== null;
      run = new RunPreparer(emit, views, m.spillPath, m.limits, buffers);
    } else if (m.t === 'chunk') {
      const at = m.at % input.length;
      const bytes = input.subarray(at, at + m.length);
      if (views) {
        const free = (run as RunPreparer).push(bytes);
        send({ t: 'consumed', free: base + free });
      } else {
        (run as RunPreparer).push(bytes.slice());
        send({ t: 'consumed', free: m.at + m.length });
      }
    } else {
      const r = run as RunPreparer;
      run = null;
      r.end(m.damage);
      send({ t: 'ended' });
    }
  } catch (e) {
    const { code, syscall } = e as NodeJS.ErrnoException;
    send({
      t: 'error',
      message: e instanceof Error ? e.message : String(e),
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof syscall === 'string' ? { syscall } : {}),
    });
  }
});
