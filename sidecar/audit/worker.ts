// Entry of the audit worker thread: runs the pipeline loop until the sink
// closes it. Messages from the sink: `flush` (answer once everything recorded so
// far is in the spool) and `close` (drain, export what the collector will take
// within the timeout, stop). The ring itself carries no wake-ups: the hot path
// never pays for one. The loop reads everything the ring holds, then sleeps
// until the next group commit or export is due (at most flushMs), so that under
// load it works in large batches and wakes rarely; the sink wakes it early
// (CTRL.WAKE) only when the ring fills up.

import { parentPort, workerData } from 'node:worker_threads';
import { Pipeline, type PipelineConfig } from './pipeline.js';
import { CTRL } from './ring.js';

export type ToWorker = { type: 'flush'; id: number } | { type: 'close'; timeoutMs: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'flushed'; id: number }
  | { type: 'closed'; backlog: number }
  | { type: 'error'; message: string };

const port = parentPort!;
const cfg = workerData as PipelineConfig;
const ctrl = new Int32Array(cfg.buffers.ctrl);
const pipeline = new Pipeline(cfg);
const flushes: number[] = [];
let closing: { timeoutMs: number } | undefined;

function wake(): void {
  Atomics.store(ctrl, CTRL.WAKE, 1);
  Atomics.notify(ctrl, CTRL.WAKE);
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'flush') flushes.push(m.id);
  else closing = { timeoutMs: m.timeoutMs };
  wake();
});

/** Sleeps up to `ms`; a wake (ring filling up, a message) ends it early. Timers and I/O run meanwhile. */
async function sleep(ms: number): Promise<void> {
  if (ms > 0) {
    const w = Atomics.waitAsync(ctrl, CTRL.WAKE, 0, ms);
    if (w.async) await w.value;
  }
  Atomics.store(ctrl, CTRL.WAKE, 0);
}

/** A turn of the event loop, for export answers to arrive between full batches. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function run(): Promise<void> {
  pipeline.start();
  port.postMessage({ type: 'ready' } satisfies FromWorker);
  while (closing === undefined) {
    // A full batch means the ring may hold more: keep reading, yielding a turn between batches.
    while (pipeline.step(Date.now()) >= cfg.maxBatchSpans) await yieldTurn();
    if (flushes.length > 0) {
      while (pipeline.step(Date.now()) > 0);
      pipeline.flush();
      pipeline.readCpu(Date.now());
      if (!pipeline.isWaiting()) {
        for (const id of flushes.splice(0)) port.postMessage({ type: 'flushed', id } satisfies FromWorker);
      }
    }
    await sleep(pipeline.idleMs(Date.now()));
  }
  pipeline.drainForClose();
  for (const id of flushes.splice(0)) port.postMessage({ type: 'flushed', id } satisfies FromWorker);
  const deadline = Date.now() + closing.timeoutMs;
  while (pipeline.canExport() && pipeline.backlog() > 0 && Date.now() < deadline) {
    pipeline.exportNow();
    await pipeline.whenExportSettles();
    if (pipeline.backlog() > 0) await sleep(Math.min(cfg.retryMinMs, Math.max(0, deadline - Date.now())));
  }
  await pipeline.whenExportSettles();
  pipeline.close();
  port.postMessage({ type: 'closed', backlog: pipeline.backlog() } satisfies FromWorker);
  // The message listener would keep this thread alive; the sink waits for 'exit'.
  port.close();
}

run().catch((err: unknown) => {
  port.postMessage({
    type: 'error',
    message: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  throw err;
});
