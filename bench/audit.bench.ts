// Audit cost on the event loop (one sink.command() call: the binary write into
// the shared ring) and throughput of the off-loop path (worker: spans built,
// chained, serialized, spooled (written per group commit, fsynced at most
// every 100 ms), exported over OTLP/HTTP to a loopback collector that answers 200). Goal: under 2 µs per
// command on the event loop. For comparison, the same command as an
// OpenTelemetry SDK span created and ended on the event loop.

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { CommandEvent } from '../sidecar/audit/events.js';
import { createAuditSink, type DurableAuditSink } from '../sidecar/audit/sink.js';
import { round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Audit: cost per command on the event loop, export throughput';

const TEXT = 'SELECT id, status, total FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?';

function command(sessionId: string, seq: number): CommandEvent {
  return {
    sessionId,
    seq,
    startedAt: 1_764_000_000_000 + seq,
    durationUs: 420,
    text: TEXT,
    operations: ['SELECT'],
    tables: ['orders'],
    decision: 'allow',
    policy: 'shop/support-agent',
    rule: 'reads',
    rows: 20,
    bytes: 1830,
    masked: { EMAIL_ADDRESS: 2 },
  };
}

function sid(i: number): string {
  return (0x1000_0000 + i).toString(16).padStart(32, 'a');
}

function startSession(sink: DurableAuditSink, id: string): void {
  sink.sessionStart({
    sessionId: id,
    startedAt: Date.now(),
    protocol: 'postgres',
    target: 'orders-db',
    serverAddress: '127.0.0.1',
    serverPort: 5432,
    clientAddress: '127.0.0.1',
    clientPort: 40000,
    namespace: 'bench',
    podName: 'bench-0',
  });
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

/** Median ns per sink.command() over batches, letting the worker drain the ring between batches. */
async function hotPathNs(sink: DurableAuditSink): Promise<number> {
  const id = sid(0);
  startSession(sink, id);
  const events: CommandEvent[] = [];
  for (let i = 0; i < 1000; i++) events.push(command(id, i + 1));
  const per: number[] = [];
  for (let b = 0; b < 120; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < events.length; i++) sink.command(events[i]!);
    per.push(Number(process.hrtime.bigint() - t0) / events.length);
    await until(() => sink.writable());
    if (b % 10 === 9) await sink.flush();
  }
  per.splice(0, 20); // JIT warm-up
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

function otelSdkSpanNs(): number {
  const tracer = new TracerProvider().getTracer('bench');
  const e = command(sid(1), 1);
  const run = (): void => {
    const span = tracer.startSpan('agentgate.command');
    span.setAttributes({
      'db.query.text': e.text,
      'db.operation.name': 'SELECT',
      'db.collection.name': 'orders',
      'agentgate.decision': e.decision,
      'agentgate.policy': e.policy,
      'agentgate.rule': e.rule,
      'agentgate.rows': 20,
      'agentgate.bytes': 1830,
      'agentgate.masked.count': 2,
    });
    span.end();
  };
  for (let i = 0; i < 5000; i++) run();
  const per: number[] = [];
  for (let b = 0; b < 50; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) run();
    per.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

/**
 * Spans per second from the first event until the collector has acknowledged
 * them all, and CPU microseconds per span the whole process spent (all threads:
 * the event loop's writes, the worker, the HTTP client; robust to other load),
 * and of that what the threads other than the event loop spent (the audit
 * worker, and the garbage collector's and libuv's helpers).
 */
async function exportThroughput(
  endpoint: string | undefined,
  spans: number,
): Promise<{ perSecond: number; cpuUs: number; offLoopUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-audit-'));
  const sink = createAuditSink({
    spoolDir: dir,
    ...(endpoint === undefined ? {} : { otlpEndpoint: endpoint }),
  });
  try {
    await sink.ready();
    // Warm-up: the worker's first-use costs (JIT, crypto set-up, HTTP client) are not per span.
    const warm = sid(99);
    startSession(sink, warm);
    for (let i = 1; i <= 2000; i++) {
      if (!sink.writable()) await sink.whenWritable();
      sink.command(command(warm, i));
    }
    await sink.flush();
    if (endpoint !== undefined) await until(() => sink.stats().spansExported >= 2000);
    const exported0 = sink.stats().spansExported;
    const sessions = 100;
    const perSession = Math.floor(spans / sessions);
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const main0 = process.threadCpuUsage();
    for (let s = 0; s < sessions; s++) {
      const id = sid(100 + s);
      startSession(sink, id);
      for (let i = 1; i <= perSession; i++) {
        if (!sink.writable()) await sink.whenWritable();
        sink.command(command(id, i));
      }
    }
    const total = sessions * perSession;
    if (endpoint === undefined) await sink.flush();
    else await until(() => sink.stats().spansExported - exported0 >= total);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const main = process.threadCpuUsage(main0);
    const all = cpu.user + cpu.system;
    return {
      perSecond: total / seconds,
      cpuUs: all / total,
      offLoopUs: (all - main.user - main.system) / total,
    };
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const collector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-audit-'));
  const sink = createAuditSink({ spoolDir: dir, otlpEndpoint: endpoint });
  try {
    await sink.ready();
    const hot = await hotPathNs(sink);
    const sdk = otelSdkSpanNs();
    const spooled = await exportThroughput(undefined, 100_000);
    const exported = await exportThroughput(endpoint, 100_000);
    return [
      {
        name: 'sink.command() on the event loop (median)',
        unit: 'ns/command',
        value: round(hot, 0),
        note: 'goal < 2000 ns; binary write into the shared ring',
      },
      {
        name: 'OpenTelemetry SDK span start+setAttributes+end on the event loop (median)',
        unit: 'ns/command',
        value: round(sdk, 0),
        note: `for comparison: ${round(sdk / hot, 1)}x the sink's cost, before any serialization`,
      },
      {
        name: 'worker: spans built, chained, serialized and spooled (fsync at most every 100 ms)',
        unit: 'spans/s',
        value: round(spooled.perSecond, 0),
        note: `${round(spooled.cpuUs, 1)} µs CPU per span, all threads; ${round(spooled.offLoopUs, 1)} µs off the event loop (audit worker, GC helpers)`,
      },
      {
        name: 'end to end: spooled and acknowledged by a loopback OTLP/HTTP collector',
        unit: 'spans/s',
        value: round(exported.perSecond, 0),
        note: `${round(exported.cpuUs, 1)} µs CPU per span, all threads (collector in-process); ${round(exported.offLoopUs, 1)} µs off the event loop`,
      },
    ];
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
    collector.close();
  }
}
