// The worker thread of WorkerPipeline: reads a run's chunks, hands back batches of prepared tests.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, RingData, ToWorker } from './pipeline.js';
import { RingBuffers, RunPreparer } from './pipeline.js';
import type { PreparedBatch } from './prepare.js';

const port = parentPort;
if (port === null) throw new Error('prepare-worker.js runs only as a worker thread');
const buffers = new RingBuffers(workerData as RingData);

const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Hand a batch over: its numbers (and its buffer, when it is not a ring slot) are transferred. */
function emit(batch: PreparedBatch): void {
  const transfer = [batch.nums.buffer as ArrayBuffer];
  if (batch.buffer instanceof ArrayBuffer && batch.buffer.byteLength > 0) transfer.push(batch.buffer);
  send({ t: 'batch', batch }, transfer);
}

let run: RunPreparer | null = null;

port.on('message', (m: ToWorker) => {
  try {
    if (m.t === 'begin') {
      run = new RunPreparer(emit, true, m.spillPath, undefined, buffers);
    } else if (m.t === 'chunk') {
      (run as RunPreparer).push(new Uint8Array(m.buffer, m.offset, m.length));
      send({ t: 'consumed' });
    } else {
      const r = run as RunPreparer;
      run = null;
      r.end();
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
