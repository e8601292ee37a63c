// The audit worker's hot function alone: encodeCommand, one command record in
// the ring to one chained OTLP span in the batch, by the native encoder
// (sidecar/audit/native) and by the JavaScript one, interleaved in one process.
// CPU time of this thread (not wall time: the machine is a shared 2-core VM),
// per span, median of the rounds. 200,000 pgbench-like commands over 8 sessions
// per round; the batch is reset at 1 MiB as the worker's group commit does.

import { encodeCommand, useNativeEncoder } from '../sidecar/audit/command-encoder.js';
import { writeCommand } from '../sidecar/audit/event-codec.js';
import type { CommandEvent, SessionStart } from '../sidecar/audit/events.js';
import { SpanBatch } from '../sidecar/audit/otlp-encode.js';
import { createRingBuffers, RingReader, RingWriter } from '../sidecar/audit/ring.js';
import { openSession, type SessionState } from '../sidecar/audit/spans.js';
import { median, round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Audit: command span encoding in the worker, native vs JavaScript (CPU per span)';

const SESSIONS = 8;
const COMMANDS = 200_000;
const CHUNK = 20_000;
const ROUNDS = 5;
const T0 = 1_764_000_000_000;

function sid(i: number): string {
  return (0x2000_0000 + i).toString(16).padStart(32, 'b');
}

function session(i: number): SessionState {
  const start: SessionStart = {
    sessionId: sid(i),
    startedAt: T0,
    protocol: 'postgres',
    target: 'pgbench',
    serverAddress: '127.0.0.1',
    serverPort: 5432,
    clientAddress: '127.0.0.1',
    clientPort: 40000 + i,
    namespace: 'bench',
    podName: 'bench-0',
  };
  const st = openSession(start, (0x1000 + i).toString(16).padStart(16, '0'));
  st.auth = {
    sessionId: sid(i),
    at: T0,
    ok: true,
    identity: { kind: 'token', subject: 'agent-42', groups: ['ai-agents'], issuer: 'https://issuer.test' },
    database: 'pgbench',
  };
  return st;
}

type Shape = (seq: number, session: number) => CommandEvent;

const pgbench: Shape = (seq, s) => ({
  sessionId: sid(s),
  seq,
  startedAt: T0 + seq * 0.731,
  durationUs: 180 + (seq % 97),
  text: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  operations: ['SELECT'],
  tables: ['pgbench_accounts'],
  decision: 'allow',
  policy: 'bench/pgbench',
  rule: 'reads',
  rows: 1,
  bytes: 120 + (seq % 7),
});

/** The command bench/audit.bench.ts sends: a longer text and a masked count. */
const masked: Shape = (seq, s) => ({
  ...pgbench(seq, s),
  text: 'SELECT id, status, total FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?',
  tables: ['orders'],
  rows: 20,
  bytes: 1830,
  masked: { EMAIL_ADDRESS: 2 },
});

/** CPU microseconds of this thread spent in encodeCommand for COMMANDS commands. */
function cpuRun(shape: Shape, native: boolean): number {
  useNativeEncoder(native);
  const bufs = createRingBuffers(16 << 20);
  const w = new RingWriter(bufs);
  const r = new RingReader(bufs);
  const sessions = Array.from({ length: SESSIONS }, (_, i) => session(i));
  const batch = new SpanBatch({ resource: { 'service.name': 'bench' }, name: 'agentgate', version: '1' });
  const ids = Buffer.alloc(8 * 1024);
  let cpu = 0;
  for (let done = 0; done < COMMANDS; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) {
      const seq = done + i;
      if (!writeCommand(w, shape(seq, seq % SESSIONS), 4096)) throw new Error('ring full');
    }
    const t0 = process.threadCpuUsage();
    for (let i = 0; i < CHUNK; i++) {
      r.next();
      r.pos++; // the kind byte, as the pipeline does
      encodeCommand(r, sessions[(done + i) % SESSIONS]!, batch, ids, ((done + i) % 1024) * 8);
      if (batch.size() > 1 << 20) batch.reset();
      r.release();
    }
    const t = process.threadCpuUsage(t0);
    cpu += t.user + t.system;
  }
  return cpu;
}

function compare(label: string, shape: Shape): BenchResult[] {
  cpuRun(shape, true);
  cpuRun(shape, false);
  const nat: number[] = [];
  const js: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, alternating which goes first: drift on a shared machine hits both.
    if (i % 2 === 0) {
      nat.push(cpuRun(shape, true));
      js.push(cpuRun(shape, false));
    } else {
      js.push(cpuRun(shape, false));
      nat.push(cpuRun(shape, true));
    }
  }
  useNativeEncoder(true);
  const perSpan = (us: number): number => round((us * 1000) / COMMANDS, 0);
  const n = median(nat);
  const j = median(js);
  const runs = (xs: number[]): string => xs.map(perSpan).join(', ');
  return [
    { name: `${label}: native`, unit: 'ns CPU/span', value: perSpan(n), note: `runs ${runs(nat)}` },
    { name: `${label}: JavaScript`, unit: 'ns CPU/span', value: perSpan(j), note: `runs ${runs(js)}` },
    { name: `${label}: JavaScript / native`, unit: 'x', value: round(j / n, 1) },
  ];
}

export async function run(): Promise<BenchResult[]> {
  if (!useNativeEncoder(true)) throw new Error('the native encoder is not loaded (make native)');
  return [...compare('pgbench SELECT', pgbench), ...compare('audit.bench command (masked)', masked)];
}
