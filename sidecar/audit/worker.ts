// Entry of the audit worker thread: runs the pipeline loop until the sink
// closes it. Messages from the sink: `flush` (answer once everything recorded so
// far is in the spool) and `close` (drain, export what the collector will take
// within the timeout, stop). The ring itself carries no wake-ups: the hot path
// never pays for one; the loop polls every flushMs while idle.

import { setImmediate as yieldTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { Pipeline, type PipelineConfig } from './pipeline.js';

export type ToWorker = { type: 'flush'; id: number } | { type: 'close'; timeoutMs: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'flushed'; id: number }
  | { type: 'closed'; backlog: number }
  | { type: 'error'; message: string };

const port = parentPort!;
const cfg = workerData as PipelineConfig;
const pipeline = new Pipeline(cfg);
const flushes: number[] = [];
let closing: { timeoutMs: number } | undefined;
let wake: (() => void) | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'flush') flushes.push(m.id);
  else closing = { timeoutMs: m.timeoutMs };
  wake?.();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

async function run(): Promise<void> {
  pipeline.start();
  port.postMessage({ type: 'ready' } satisfies FromWorker);
  while (closing === undefined) {
    let n = pipeline.step(Date.now());
    if (flushes.length > 0) {
      while (n > 0) n = pipeline.step(Date.now());
      pipeline.flush();
      if (!pipeline.isWaiting()) {
        for (const id of flushes.splice(0)) port.postMessage({ type: 'flushed', id } satisfies FromWorker);
      }
    }
    if (n === 0) await sleep(cfg.flushMs);
    else await yieldTurn();
    wake = undefined;
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
