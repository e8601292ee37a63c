// The PostgreSQL gateway's own work per transaction, without sockets: the
// bytes of one pgbench -M prepared select-only transaction (Bind, Describe,
// Execute, Sync; then BindComplete, RowDescription, DataRow, CommandComplete,
// ReadyForQuery) fed through the real parsers, CommandProxy, policy engine and
// metrics, in process. What the socket round trips add is measured by
// pgbench.bench.ts; this isolates what our code costs, steady under machine load.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'pg-protocol';
import type { AgentPolicy, Target } from '../api/types.js';
import type { AuditSink } from '../sidecar/audit/events.js';
import { NOOP_AUDIT } from '../sidecar/audit/events.js';
import { createAuditSink } from '../sidecar/audit/sink.js';
import type { Identity } from '../sidecar/identity/identity.js';
import { maskSqlLiterals } from '../sidecar/masking/sql-literals.js';
import { classifyPostgres, initClassifiers } from '../sidecar/policy/classify/postgres.js';
import { PolicyEngine } from '../sidecar/policy/engine.js';
import { type LoadedPolicies, parsePolicyText } from '../sidecar/policy/loader.js';
import type { GatewayContext } from '../sidecar/protocols/gateway-context.js';
import { BackendParser } from '../sidecar/protocols/postgres/backend-parser.js';
import { FrontendParser } from '../sidecar/protocols/postgres/frontend-parser.js';
import { DEFAULT_PG_LIMITS } from '../sidecar/protocols/postgres/limits.js';
import { Outbox } from '../sidecar/protocols/postgres/outbox.js';
import { CommandProxy } from '../sidecar/protocols/postgres/proxy.js';
import * as ser from '../sidecar/protocols/postgres/serializer.js';
import { SidecarMetrics } from '../sidecar/server/metrics.js';
import { ShapeCache } from '../sidecar/server/shape-cache.js';
import { round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'PostgreSQL gateway: our code per transaction, in process (no sockets)';

const POLICY = `apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: bench, namespace: default}
spec:
  targets: [{name: bench-db, protocol: postgres, address: 127.0.0.1:5432}]
  rules:
    - {name: no-ddl, match: {target: bench-db, operations: [DROP, TRUNCATE, ALTER, CREATE]}, action: deny}
    - {name: no-secrets, match: {target: bench-db, tables: [secrets, vault.credentials]}, action: deny}
    - {name: deletes-reviewed, match: {target: bench-db, operations: [DELETE]}, action: review, review: {approvers: [{group: dba}]}}
    - {name: reads-and-writes, match: {target: bench-db, operations: [SELECT, INSERT, UPDATE, TRANSACTION]}, action: allow}
  defaultAction: deny
`;
const SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';

function backendTransaction(): Buffer {
  const rowDescription = (() => {
    const name = Buffer.from('abalance\0');
    const b = Buffer.alloc(7 + name.length + 18);
    b[0] = 0x54;
    b.writeInt32BE(b.length - 1, 1);
    b.writeInt16BE(1, 5);
    name.copy(b, 7);
    let o = 7 + name.length;
    o = b.writeInt32BE(16403, o);
    o = b.writeInt16BE(3, o);
    o = b.writeInt32BE(23, o);
    o = b.writeInt16BE(4, o);
    o = b.writeInt32BE(-1, o);
    b.writeInt16BE(0, o);
    return b;
  })();
  const tagged = (code: number, body: Buffer) => {
    const b = Buffer.alloc(5 + body.length);
    b[0] = code;
    b.writeInt32BE(4 + body.length, 1);
    body.copy(b, 5);
    return b;
  };
  return Buffer.concat([
    tagged(0x32, Buffer.alloc(0)), // BindComplete
    rowDescription,
    ser.dataRow([Buffer.from('0')]),
    tagged(0x43, Buffer.from('SELECT 1\0')),
    ser.readyForQuery(0x49),
  ]);
}

interface Loop {
  txn(): void;
}

export async function gateway(audit: AuditSink, mode: 'prepared' | 'simple' = 'prepared'): Promise<Loop> {
  const loaded: LoadedPolicies = { policies: [], sources: new Map(), skipped: [] };
  const problems: string[] = [];
  parsePolicyText('bench.yaml', POLICY, loaded, problems);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const policies = loaded.policies;
  const pod = PolicyEngine.compile(policies as AgentPolicy[]).forPod({ namespace: 'default', labels: {} });
  const target = pod.target('bench-db') as Target;
  const shapes = new ShapeCache();
  const ctx: GatewayContext = {
    namespace: 'bench',
    podName: 'bench-0',
    authenticate: () => Promise.reject(new Error('unused')),
    classify: (_p, text) => shapes.classify(text, classifyPostgres),
    decide: (c) => pod.decide(c),
    masker: () => null,
    credentials: () => undefined,
    caCertificate: () => undefined,
    auditText: (_p, text) => maskSqlLiterals(text),
    audit,
    metrics: new SidecarMetrics(),
  };
  const identity: Identity = {
    kind: 'token',
    subject: 'bench-agent',
    groups: ['ai-agents'],
    issuer: 'https://idp',
  };
  const toAgent = new Outbox();
  const toUpstream = new Outbox();
  const proxy = new CommandProxy({
    ctx,
    target,
    sessionId: '0123456789abcdef0123456789abcdef',
    identity,
    expiresAtMs: Number.POSITIVE_INFINITY,
    toAgent,
    toUpstream,
    limits: DEFAULT_PG_LIMITS,
    host: { draining: false, terminate() {}, drained() {} },
    txStatus: 0x49,
    standardConformingStrings: true,
  });
  const fe = new FrontendParser();
  const be = new BackendParser();
  fe.parse(serialize.startup({ user: 'postgres', database: 'bench' }), () => {});
  const onFe = proxy.frontend.bind(proxy);
  const onBe = proxy.backend.bind(proxy);
  // Prepare once, as pgbench -M prepared does per connection.
  fe.parse(Buffer.concat([serialize.parse({ name: 'P_1', text: SQL, types: [] }), serialize.sync()]), onFe);
  be.parse(Buffer.concat([Buffer.from([0x31, 0, 0, 0, 4]), ser.readyForQuery(0x49)]), onBe);
  const request = Buffer.concat([
    serialize.bind({ statement: 'P_1', values: ['12345'] }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
  const response = backendTransaction();
  if (mode === 'simple') {
    // -M simple: a new text every time (aid varies), answered without BindComplete.
    const simpleResponse = response.subarray(5);
    let aid = 0;
    return {
      txn() {
        const sql = `SELECT abalance FROM pgbench_accounts WHERE aid = ${(aid++ % 1_000_000) + 1};`;
        fe.parse(serialize.query(sql), onFe);
        toUpstream.flush();
        be.parse(Buffer.from(simpleResponse), onBe);
        toAgent.flush();
        proxy.settle();
      },
    };
  }
  return {
    txn() {
      // Fresh copies, as every read off a socket is a fresh buffer.
      fe.parse(Buffer.from(request), onFe);
      toUpstream.flush();
      be.parse(Buffer.from(response), onBe);
      toAgent.flush();
      proxy.settle();
    },
  };
}

/** Median main-thread CPU nanoseconds per call (process.threadCpuUsage: the audit worker's CPU is not ours). */
function medianCpuNs(fn: () => void, iterations: number, batches: number): number {
  for (let i = 0; i < 5_000; i++) fn();
  const per: number[] = [];
  const n = Math.floor(iterations / batches);
  for (let b = 0; b < batches; b++) {
    const t0 = process.threadCpuUsage();
    for (let i = 0; i < n; i++) fn();
    const t = process.threadCpuUsage(t0);
    per.push(((t.user + t.system) * 1000) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

export async function run(): Promise<BenchResult[]> {
  await initClassifiers();
  const off = await gateway(NOOP_AUDIT);
  const offNs = medianCpuNs(() => off.txn(), 300_000, 30);
  const simple = await gateway(NOOP_AUDIT, 'simple');
  const simpleNs = medianCpuNs(() => simple.txn(), 200_000, 20);
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-loop-'));
  const sink = createAuditSink({ spoolDir: join(dir, 'spool'), ringBytes: 64 << 20 });
  await sink.ready();
  const on = await gateway(sink);
  const onNs = medianCpuNs(() => on.txn(), 100_000, 20);
  const simpleOn = await gateway(sink, 'simple');
  const simpleOnNs = medianCpuNs(() => simpleOn.txn(), 100_000, 20);
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      name: 'one pgbench -M prepared transaction (9 messages), audit off',
      unit: 'µs',
      value: round(offNs / 1000),
      note: 'main-thread CPU, median: parsers, pending queue, prepared state, policy decision, metrics',
    },
    {
      name: 'the same, audit on (event loop side only)',
      unit: 'µs',
      value: round(onNs / 1000),
      note: 'adds recording the command into the audit ring',
    },
    {
      name: 'one pgbench -M simple transaction (a new text each time), audit off',
      unit: 'µs',
      value: round(simpleNs / 1000),
      note: 'classification by statement shape (cached), decision',
    },
    {
      name: 'the same, audit on (event loop side only)',
      unit: 'µs',
      value: round(simpleOnNs / 1000),
      note: 'adds masking the literals of each text for audit and recording it',
    },
  ];
}
