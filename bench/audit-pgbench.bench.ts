// pgbench through the PostgreSQL gateway with audit off (NOOP_AUDIT) and on
// (the durable sink as the sidecar runs it: ring, worker, native span encoder,
// spool written per group commit and fsynced every 100 ms, export to a loopback
// OTLP/HTTP collector). Goal: at most 5% throughput lost to audit.
// Three workloads: select-only with prepared statements (the worst case: the
// cheapest transaction there is, one span each), select-only with the simple
// protocol, and pgbench's default TPC-B-like script (seven commands and seven
// spans per transaction, with writes and a commit that waits for the WAL).
// Runs come in off/on pairs so drifting load on the shared machine hits both alike.

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Target } from '../api/types.js';
import { type AuditSink, NOOP_AUDIT } from '../sidecar/audit/events.js';
import { createAuditSink, type DurableAuditSink } from '../sidecar/audit/sink.js';
import { loadSqlScanner, maskSqlLiterals } from '../sidecar/masking/index.js';
import { classifyPostgres, initClassifiers } from '../sidecar/policy/classify/postgres.js';
import { type GatewayContext, NOOP_METRICS } from '../sidecar/protocols/gateway-context.js';
import { CancelRegistry } from '../sidecar/protocols/postgres/cancel.js';
import { PgSession } from '../sidecar/protocols/postgres/session.js';
import { prepareDatabase } from './pgbench.bench.js';
import { median, medianInterval, round, verdict } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Audit: pgbench through the gateway, audit off vs on';

const exec = promisify(execFile);
const COLLECTOR = `
const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.writeHead(200).end()); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
interface Workload {
  /** Names the rows: pgbench's own flags for it. */
  readonly label: string;
  readonly args: readonly string[];
  readonly db: string;
  /** pgbench's scale: at least the clients for TPC-B-like, or they queue on one branch row. */
  readonly scale: number;
}
/**
 * With prepared statements a select-only transaction costs the gateway least
 * (the audit text is masked once, at Parse), so audit's share is largest: the
 * figure to hold the goal against.
 */
const WORKLOADS: readonly Workload[] = [
  { label: '-S -M prepared', args: ['-S', '-M', 'prepared'], db: 'agentgate_audit_bench', scale: 1 },
  { label: '-S -M simple', args: ['-S', '-M', 'simple'], db: 'agentgate_audit_bench', scale: 1 },
  { label: 'TPC-B-like -M simple', args: ['-M', 'simple'], db: 'agentgate_audit_bench_tpcb', scale: 10 },
];
const CLIENTS = 8;
// Twelve short pairs rather than six long ones: the host's load drifts within
// seconds, and a pair's two halves should see the same machine. With twelve the
// median's distribution-free 95 % interval is the 3rd to the 10th pair.
const SECONDS = 3;
const ROUNDS = 12;

interface Gateway {
  port: number;
  audit: AuditSink;
  close(): Promise<void>;
}

async function startGateway(): Promise<Gateway> {
  const target: Target = { name: 'bench-db', protocol: 'postgres', address: '127.0.0.1:5432' };
  const gw: Gateway = { port: 0, audit: NOOP_AUDIT, close: async () => {} };
  const ctx: GatewayContext = {
    namespace: 'bench',
    podName: 'bench-0',
    authenticate: async () => ({
      kind: 'token',
      subject: 'bench-agent',
      groups: ['ai-agents'],
      issuer: 'https://idp',
    }),
    classify: (_p, text) => classifyPostgres(text),
    decide: () => ({ action: 'allow', policy: 'bench/allow', rule: 'all', reason: 'bench', masking: [] }),
    masker: () => null,
    credentials: () => ({ username: 'postgres', password: '' }),
    caCertificate: () => undefined,
    auditText: (_p, text) => maskSqlLiterals(text),
    get audit() {
      return gw.audit;
    },
    metrics: NOOP_METRICS,
  };
  const cancels = new CancelRegistry();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new PgSession({
      ctx,
      target,
      agent: socket,
      sessionId: randomBytes(16).toString('hex'),
      cancels,
      serverAddress: '127.0.0.1',
      serverPort: gw.port,
    }).start();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  gw.port = (server.address() as AddressInfo).port;
  gw.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return gw;
}

/**
 * tps, and CPU microseconds per transaction this process (gateway and audit
 * worker) spent, and of that the threads other than the event loop (the audit
 * worker, the garbage collector's and libuv's helpers).
 */
async function measured(
  port: number,
  wl: Workload,
): Promise<{ tps: number; cpuUs: number; offLoopUs: number }> {
  const c0 = process.cpuUsage();
  const m0 = process.threadCpuUsage();
  const tps = await pgbench(port, wl);
  const c = process.cpuUsage(c0);
  const m = process.threadCpuUsage(m0);
  const tx = tps * SECONDS;
  return { tps, cpuUs: (c.user + c.system) / tx, offLoopUs: (c.user + c.system - m.user - m.system) / tx };
}

async function pgbench(port: number, wl: Workload): Promise<number> {
  const { stdout } = await exec(
    'pgbench',
    [
      ...wl.args,
      '-n',
      '-c',
      String(CLIENTS),
      '-j',
      '2',
      '-T',
      String(SECONDS),
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'agent',
      wl.db,
    ],
    { env: { ...process.env, PGPASSWORD: 'bench-token', PGSSLMODE: 'disable' } },
  );
  const m = /tps = ([\d.]+)/.exec(stdout);
  if (m === null) throw new Error(`pgbench printed no tps: ${stdout}`);
  return Number(m[1]);
}

/** Off/on pairs through one gateway for one workload; the rows name it. */
async function pairs(gw: Gateway, sink: DurableAuditSink, wl: Workload): Promise<BenchResult[]> {
  const off: number[] = [];
  const on: number[] = [];
  const cpuOff: number[] = [];
  const cpuOn: number[] = [];
  const offOff: number[] = [];
  const offOn: number[] = [];
  const workerUs: number[] = [];
  const ratios: number[] = [];
  const exported0 = sink.stats();
  const audited = async (): Promise<void> => {
    gw.audit = sink;
    await sink.flush();
    const w0 = sink.stats();
    const b = await measured(gw.port, wl);
    await sink.flush();
    const w1 = sink.stats();
    workerUs.push((w1.workerCpuUs - w0.workerCpuUs) / Math.max(1, w1.spansSpooled - w0.spansSpooled));
    on.push(b.tps);
    cpuOn.push(b.cpuUs);
    offOn.push(b.offLoopUs);
  };
  const unaudited = async (): Promise<void> => {
    gw.audit = NOOP_AUDIT;
    const a = await measured(gw.port, wl);
    off.push(a.tps);
    cpuOff.push(a.cpuUs);
    offOff.push(a.offLoopUs);
  };
  // Pairs in alternating order (off-on, on-off, ...), each pair's ratio taken
  // on its own: a machine whose load drifts over the minute moves both halves
  // of a pair alike.
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      await unaudited();
      await audited();
    } else {
      await audited();
      await unaudited();
    }
    ratios.push(on[i]! / off[i]!);
  }
  const exported = sink.stats();
  const tpsOff = median(off);
  const tpsOn = median(on);
  const ci = medianInterval(ratios);
  const interval =
    ci === undefined
      ? ''
      : ` (${round(100 * ci.coverage, 0)} % interval for the median ${round(100 * ci.lo, 1)}-${round(100 * ci.hi, 1)})`;
  const label = `pgbench ${wl.label} -c ${CLIENTS}`;
  return [
    {
      name: `${label}: audit off (median of ${ROUNDS})`,
      unit: 'tps',
      value: round(tpsOff, 0),
    },
    {
      name: `${label}: audit on (median of ${ROUNDS})`,
      unit: 'tps',
      value: round(tpsOn, 0),
      note: `${exported.spansExported - exported0.spansExported} spans exported, ${exported.spansDropped - exported0.spansDropped} dropped`,
    },
    {
      name: `${label}: throughput with audit on / off`,
      unit: '%',
      value: round(100 * median(ratios), 1),
      note: `goal >= 95%: ${verdict(ci, 0.95)}; median of ${ROUNDS} pairs run back to back, in alternating order${interval}: ${ratios.map((r) => round(100 * r, 1)).join(', ')}`,
    },
    {
      name: `${label}: gateway process CPU per transaction, audit off`,
      unit: 'µs',
      value: round(median(cpuOff), 1),
      note: `${round(median(offOff), 1)} µs of it off the event loop (GC helpers)`,
    },
    {
      name: `${label}: gateway process CPU per transaction, audit on (event loop + audit worker)`,
      unit: 'µs',
      value: round(median(cpuOn), 1),
      note: `the difference is what audit costs a command in CPU, whatever the load; ${round(median(offOn), 1)} µs of it off the event loop (audit worker, GC helpers)`,
    },
    {
      name: `${label}: audit's CPU per transaction as a share of the whole machine's`,
      unit: '%',
      value: round((100 * (median(cpuOn) - median(cpuOff)) * tpsOff) / (availableParallelism() * 1e6), 1),
      note: `(gateway CPU on - off) / (${availableParallelism()} cores / audit-off tps): what pgbench, PostgreSQL and the gateway would lose to audit if the machine were saturated`,
    },
    {
      name: `${label}: audit worker thread CPU per command span, audit on`,
      unit: 'µs',
      value: round(median(workerUs), 1),
      note: `the worker's own clock (built, chained, spooled, exported); runs ${workerUs.map((x) => round(x, 1)).join(', ')}`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  await initClassifiers();
  await loadSqlScanner();
  const databases = new Map(WORKLOADS.map((wl) => [wl.db, wl.scale]));
  for (const [db, scale] of databases) await prepareDatabase(db, scale);
  // The collector runs in its own process, as it would in a cluster: its request
  // handling must not land on the gateway's event loop.
  const collector = spawn(process.execPath, ['-e', COLLECTOR], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [portLine] = (await once(collector.stdout!, 'data')) as [Buffer];
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-pgbench-'));
  const sink = createAuditSink({
    spoolDir: dir,
    otlpEndpoint: `http://127.0.0.1:${portLine.toString().trim()}`,
  });
  await sink.ready();
  const gw = await startGateway();
  try {
    // Warm-up with audit on: JIT, classifier cache, upstream connections, and the
    // audit worker's own first-use costs (module loading, crypto set-up), which
    // would otherwise land in the first measured round.
    gw.audit = sink;
    for (const wl of WORKLOADS) await pgbench(gw.port, wl);
    const rows: BenchResult[] = [];
    for (const wl of WORKLOADS) rows.push(...(await pairs(gw, sink, wl)));
    return rows;
  } finally {
    await gw.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
    collector.kill();
  }
}
