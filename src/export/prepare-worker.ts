// The worker thread of WorkerPipeline: reads a run's chunks, hands back batches of prepared tests.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './pipeline.js';
import { MAX_BATCHES, RunPreparer } from './pipeline.js';
import type { PreparedBatch } from './prepare.js';

const port = parentPort;
if (port === null) throw new Error('prepare-worker.js runs only as a worker thread');
const { credit } = workerData as { credit: Int32Array };

const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

/** Hand a batch over, first waiting while the main thread has MAX_BATCHES still to write. */
function emit(batch: PreparedBatch): void {
  for (;;) {
    const waiting = Atomics.load(credit, 0);
    if (waiting < MAX_BATCHES) break;
    Atomics.wait(credit, 0, waiting);
  }
  Atomics.add(credit, 0, 1);
  send({ t: 'batch', batch }, [batch.buffer, batch.nums.buffer as ArrayBuffer]);
}

let run: RunPreparer | null = null;

port.on('message', (m: ToWorker) => {
  try {
    if (m.t === 'begin') {
      run = new RunPreparer(emit, true, m.spillPath);
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
