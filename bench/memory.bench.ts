// The sidecar's resident memory under issue 4's load (pgbench -S -M prepared
// -c 8 through bin/agentgate, policy and audit on), split into anonymous
// memory (V8 heaps, malloc, the audit ring) and file-backed pages (the parts of
// the node binary the process touched: clean, shared with every other Node.js
// process, dropped by the kernel under pressure), beside the floor: Node.js
// itself with one idle worker thread, measured in the same run.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pgbench, prepareDatabase, startCollector, startSidecar } from './pgbench.bench.js';
import { median } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Sidecar memory: pgbench -S -M prepared -c 8 through bin/agentgate';

const RUNS = 3;

interface Memory {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

/** MB, from /proc/<pid>/status. */
function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: mb('VmRSS'), anon: mb('RssAnon') + mb('RssShmem'), file: mb('RssFile') };
}

/** Node.js with the launcher's V8 flags and one idle worker: what any Node.js sidecar with an audit worker starts from. */
async function floor(): Promise<Memory> {
  const script = `const { Worker } = require('node:worker_threads');
new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => console.error('online'));`;
  const child = spawn(process.execPath, ['--max-semi-space-size=4', '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await once(child.stderr!, 'data');
  await sleep(1000);
  const m = memory(child.pid!);
  child.kill();
  await once(child, 'exit');
  return m;
}

const mb = (x: number) => Math.round(x * 10) / 10;

export async function run(): Promise<BenchResult[]> {
  await prepareDatabase();
  const collector = await startCollector();
  const base = await floor();
  const runs: { start: Memory; peak: number; end: Memory; cpuUs: number }[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const sidecar = await startSidecar(false, collector.url);
      try {
        await sleep(1000);
        const start = memory(sidecar.pid);
        let peak = start.rss;
        const sampler = setInterval(() => {
          peak = Math.max(peak, memory(sidecar.pid).rss);
        }, 100);
        const r = await pgbench(sidecar.port, 'prepared', 8, true, sidecar.pid).finally(() =>
          clearInterval(sampler),
        );
        runs.push({ start, peak, end: memory(sidecar.pid), cpuUs: r.proxyCpuUs ?? 0 });
      } finally {
        await sidecar.stop();
      }
    }
  } finally {
    await collector.stop();
  }
  const m = (f: (r: (typeof runs)[number]) => number) => mb(median(runs.map(f)));
  return [
    {
      name: 'RSS after start',
      unit: 'MB',
      value: m((r) => r.start.rss),
      note: `anonymous ${m((r) => r.start.anon)} + file-backed ${m((r) => r.start.file)} MB; median of ${RUNS} starts`,
    },
    {
      name: 'peak RSS, 8 clients',
      unit: 'MB',
      value: m((r) => r.peak),
      note: `highest ${mb(Math.max(...runs.map((r) => r.peak)))} MB; sampled every 100 ms; issue 4's goal is 80 MB`,
    },
    {
      name: 'after the run: anonymous',
      unit: 'MB',
      value: m((r) => r.end.anon),
      note: 'V8 heaps of both threads, malloc, the audit ring, WebAssembly',
    },
    {
      name: 'after the run: file-backed',
      unit: 'MB',
      value: m((r) => r.end.file),
      note: 'pages of the node binary and shared libraries the process touched',
    },
    {
      name: 'proxy CPU per transaction',
      unit: 'µs',
      value: Math.round(median(runs.map((r) => r.cpuUs))),
      note: 'sidecar, all threads',
    },
    {
      name: 'floor: Node.js with one idle worker thread',
      unit: 'MB',
      value: mb(base.rss),
      note: `anonymous ${mb(base.anon)} + file-backed ${mb(base.file)} MB, before any agentgate code`,
    },
  ];
}
