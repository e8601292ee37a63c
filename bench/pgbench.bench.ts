// pgbench through the sidecar against the same PostgreSQL direct and through
// PgBouncer (session pooling, the peer proxy everyone knows), all measured in
// one run and interleaved, so the ratios hold on this shared 2-core machine
// where every proxy competes with PostgreSQL and pgbench for CPU.
//
// The sidecar is the real `agentgate sidecar` process (bin/agentgate) with
// a policy of several rules and audit on (durable spool, exported to a loopback
// collector); for select-only a second sidecar without audit runs too, to
// separate the gateway's cost from audit's; one extra run turns masking on.
// PgBouncer is skipped when it is
// not installed (CI has none).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'PostgreSQL gateway: pgbench direct, through PgBouncer and through the sidecar';

const exec = promisify(execFile);
const DB = 'agentgate_pgbench';
const SECONDS = Number(process.env['PGBENCH_SECONDS'] ?? 5);
const PGBOUNCER = '/usr/sbin/pgbouncer';
/** Rounds of the 1-client select-only latency runs (see run()). */
const LATENCY_ROUNDS = 3;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function psql(sql: string, db = 'postgres'): Promise<string> {
  const { stdout } = await exec('psql', [
    '-X',
    '-q',
    '-A',
    '-t',
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-d',
    db,
    '-c',
    sql,
  ]);
  return stdout.trim();
}

function policyYaml(port: number, masking: boolean): string {
  return `apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: bench, namespace: default}
spec:
  targets: [{name: bench-db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}]
  rules:
    - {name: no-ddl, match: {target: bench-db, operations: [DROP, TRUNCATE, ALTER, CREATE]}, action: deny}
    - {name: no-secrets, match: {target: bench-db, tables: [secrets, vault.credentials]}, action: deny}
    - {name: deletes-reviewed, match: {target: bench-db, operations: [DELETE]}, action: review, review: {approvers: [{group: dba}]}}
    - {name: reads-and-writes, match: {target: bench-db, operations: [SELECT, INSERT, UPDATE, TRANSACTION]}, action: allow}
${masking ? '  masking: [{target: bench-db, entities: [EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE]}]\n' : ''}  defaultAction: deny
`;
}

interface Proxy {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * A loopback OTLP/HTTP collector that acknowledges every export, as a real one
 * would: without one the spool is the only store, fills (256 MB, about 270,000
 * spans) and, with audit.onFull block, rightly stops the agent.
 */
export async function startCollector(): Promise<{ url: string; stop(): Promise<void> }> {
  const script = `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.writeHead(200).end()); });
s.listen(0, '127.0.0.1', () => console.error('collector ' + s.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /collector (\d+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`collector exited (${code}): ${err}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** The sidecar as a pod runs it; `otlpEndpoint` null: audit off (no spool, no export), to show what audit costs. */
export async function startSidecar(masking: boolean, otlpEndpoint: string | null): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-bench-'));
  const port = await freePort();
  writeFileSync(join(dir, 'policy.yaml'), policyYaml(port, masking));
  mkdirSync(join(dir, 'secrets', 'bench-db'), { recursive: true });
  writeFileSync(join(dir, 'secrets', 'bench-db', 'username'), 'postgres');
  writeFileSync(join(dir, 'secrets', 'bench-db', 'password'), '');
  // bin/agentgate, as a pod runs it: its V8 and malloc settings are part of what is measured.
  const agentgate = fileURLToPath(new URL('../../bin/agentgate', import.meta.url));
  const child = spawn(
    agentgate,
    [
      'sidecar',
      '--policy',
      join(dir, 'policy.yaml'),
      '--secrets-dir',
      join(dir, 'secrets'),
      '--no-transparent',
      '--allow-anonymous',
      '--admin',
      `127.0.0.1:${await freePort()}`,
      ...(otlpEndpoint === null ? [] : ['--spool-dir', join(dir, 'spool'), '--otlp-endpoint', otlpEndpoint]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await waitFor(child, 'sidecar ready');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

async function startPgBouncer(): Promise<Proxy | null> {
  if (!existsSync(PGBOUNCER)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    `[databases]\n* = host=127.0.0.1 port=5432\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\n` +
      `auth_type = trust\nauth_file = ${dir}/users.txt\npool_mode = session\nmax_client_conn = 100\n` +
      `default_pool_size = 20\nunix_socket_dir =\nignore_startup_parameters = extra_float_digits\n`,
  );
  // PgBouncer refuses to run as root.
  const child = spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER, join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  for (let i = 0; ; i++) {
    try {
      await exec('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]);
      break;
    } catch {
      if (child.exitCode !== null || i > 100) throw new Error(`pgbouncer did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // runuser may stay as the parent: measure PgBouncer itself.
  const { stdout } = await exec('pgrep', ['-n', '-f', `${PGBOUNCER} ${join(dir, 'pgbouncer.ini')}`]).catch(
    () => ({ stdout: '' }),
  );
  const pid = Number(stdout.trim().split('\n').pop()) || child.pid!;
  return {
    port,
    pid,
    stop: async () => {
      // runuser does not pass SIGTERM on: stop PgBouncer itself, then wait for runuser.
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await stopChild(child);
    },
  };
}

/**
 * The floor for any Node.js proxy: a bare socket pipe, no parsing, no policy,
 * no audit, reading both sockets the way the sidecar does (`onread` buffers,
 * the accepted socket re-wrapped around its handle: sidecar/protocols/chunk-reader.ts).
 * What the sidecar costs beyond it is agentgate's own; what the pipe costs
 * beyond PgBouncer is Node.js's.
 */
async function startNodePipe(): Promise<Proxy> {
  const port = await freePort();
  const script = `const net = require('node:net');
function onread(to) {
  let region = Buffer.allocUnsafe(65536), used = 0;
  return {
    buffer: () => { if (65536 - used < 4096) { region = Buffer.allocUnsafe(65536); used = 0; } return region.subarray(used); },
    callback: (n, buf) => { used += n; to().write(buf.subarray(0, n)); return true; },
  };
}
net.createServer({ noDelay: true, pauseOnConnect: true }, (raw) => {
  let a = null;
  const u = net.connect({ port: 5432, host: '127.0.0.1', noDelay: true, onread: onread(() => a) });
  const handle = raw._handle; raw._handle = null; raw.destroy();
  a = new net.Socket({ handle, onread: onread(() => u) });
  a.resume(); u.resume();
  a.on('error', () => u.destroy()); u.on('error', () => a.destroy());
  a.on('close', () => u.destroy()); u.on('close', () => a.destroy());
}).listen(${port}, '127.0.0.1', () => console.error('pipe ready'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(child, 'pipe ready');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

function waitFor(child: ChildProcess, marker: string): Promise<void> {
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes(marker)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}): ${err}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

interface Run {
  readonly tps: number;
  readonly latencyMs: number;
  /** Median of the per-transaction latencies pgbench logged (at 1 client only: logging costs pgbench time). */
  readonly medianUs?: number;
  readonly transactions: number;
  /** CPU microseconds per transaction spent by the proxy process, when one was measured. */
  readonly proxyCpuUs?: number;
}

export async function pgbench(
  port: number,
  mode: string,
  clients: number,
  selectOnly: boolean,
  proxyPid?: number,
): Promise<Run> {
  const cpu0 = proxyPid === undefined ? 0 : cpuSeconds(proxyPid);
  const r = await pgbenchOnce(port, mode, clients, selectOnly);
  if (proxyPid === undefined) return r;
  return { ...r, proxyCpuUs: ((cpuSeconds(proxyPid) - cpu0) * 1e6) / r.transactions };
}

async function pgbenchOnce(port: number, mode: string, clients: number, selectOnly: boolean): Promise<Run> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    '-M',
    mode,
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-T',
    String(SECONDS),
    '-n',
  ];
  if (selectOnly) args.push('-S');
  // Issue 4's latency goal is a median: at 1 client pgbench logs every transaction's latency.
  const logDir = clients === 1 ? mkdtempSync(join(tmpdir(), 'agentgate-pgbench-log-')) : null;
  if (logDir !== null) args.push('-l', `--log-prefix=${join(logDir, 'tx')}`);
  try {
    const { stdout } = await exec('pgbench', [...args, DB], {
      env: { ...process.env, PGPASSWORD: 'bench' },
      ...(logDir === null ? {} : { cwd: logDir }),
    });
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
    const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1]);
    const transactions = Number(/actually processed: (\d+)/.exec(stdout)?.[1]);
    if (!(tps > 0)) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return {
      tps,
      latencyMs,
      transactions,
      ...(logDir === null ? {} : { medianUs: medianLoggedLatency(logDir) }),
    };
  } finally {
    if (logDir !== null) rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * Per peer, its median per-transaction latency minus direct's, one entry per
 * round; the first round is the one already run. One round moves by ±10 µs
 * on this host, so a goal figure takes more rounds: those run the peers in
 * reverse order, with direct before and after them (the host drifts within a
 * round too).
 */
async function addedLatencies(
  direct: Run,
  peers: readonly { name: string; port: number; first: Run }[],
  mode: string,
  selectOnly: boolean,
  rounds: number,
): Promise<Map<string, number[]>> {
  const diffs = new Map(peers.map((p) => [p.name, [(p.first.medianUs ?? 0) - (direct.medianUs ?? 0)]]));
  for (let r = 1; r < rounds; r++) {
    const before = (await pgbench(5432, mode, 1, selectOnly)).medianUs ?? 0;
    const via = new Map<string, number>();
    for (const p of [...peers].reverse())
      via.set(p.name, (await pgbench(p.port, mode, 1, selectOnly)).medianUs ?? 0);
    const base = (before + ((await pgbench(5432, mode, 1, selectOnly)).medianUs ?? 0)) / 2;
    for (const [name, us] of via) diffs.get(name)!.push(us - base);
  }
  return diffs;
}

/** The median of the third field ("time", µs) of every line pgbench -l wrote into `dir`. */
function medianLoggedLatency(dir: string): number {
  const us: number[] = [];
  for (const f of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const t = Number(line.split(' ')[2]);
      if (t > 0) us.push(t);
    }
  }
  if (us.length === 0) throw new Error('pgbench -l logged no transactions');
  return median(us);
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return 0;
  }
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A pgbench database (this bench's, at scale 10, unless told), created if missing and initialised afresh. */
export async function prepareDatabase(db = DB, scale = 10): Promise<void> {
  if ((await psql(`SELECT 1 FROM pg_database WHERE datname = '${db}'`)) !== '1')
    await psql(`CREATE DATABASE ${db}`);
  await exec('pgbench', ['-i', '-q', '-s', String(scale), '-h', '127.0.0.1', '-U', 'postgres', db]);
}

export async function run(): Promise<BenchResult[]> {
  await prepareDatabase();
  const collector = await startCollector();
  const sidecar = await startSidecar(false, collector.url);
  const bouncer = await startPgBouncer();
  const pipe = await startNodePipe();
  const unaudited = await startSidecar(false, null);
  const results: BenchResult[] = [];
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssKb(sidecar.pid));
  }, 100);
  try {
    for (const selectOnly of [true, false]) {
      const workload = selectOnly ? 'select-only' : 'TPC-B-like';
      for (const mode of ['simple', 'prepared']) {
        for (const clients of [1, 8]) {
          // Interleaved: direct, PgBouncer, sidecar back to back for each configuration.
          const direct = await pgbench(5432, mode, clients, selectOnly);
          const viaBouncer = bouncer
            ? await pgbench(bouncer.port, mode, clients, selectOnly, bouncer.pid)
            : null;
          const viaPipe = await pgbench(pipe.port, mode, clients, selectOnly, pipe.pid);
          const viaSidecar = await pgbench(sidecar.port, mode, clients, selectOnly, sidecar.pid);
          // Select-only is where the proxy's own cost shows; one more peer there: the sidecar without audit.
          const viaUnaudited = selectOnly
            ? await pgbench(unaudited.port, mode, clients, selectOnly, unaudited.pid)
            : null;
          const label = `${workload} -M ${mode} -c ${clients}`;
          results.push({ name: `${label}: direct`, unit: 'tps', value: Math.round(direct.tps) });
          if (viaBouncer) {
            results.push({
              name: `${label}: PgBouncer`,
              unit: 'tps',
              value: Math.round(viaBouncer.tps),
              note: `${round(viaBouncer.tps / direct.tps)}x direct`,
            });
          }
          results.push({
            name: `${label}: bare Node.js pipe`,
            unit: 'tps',
            value: Math.round(viaPipe.tps),
            note:
              `${round(viaPipe.tps / direct.tps)}x direct` +
              (viaBouncer ? `, ${round(viaPipe.tps / viaBouncer.tps)}x PgBouncer` : '') +
              `; proxy CPU ${Math.round(viaPipe.proxyCpuUs ?? 0)} µs per transaction`,
          });
          results.push({
            name: `${label}: sidecar`,
            unit: 'tps',
            value: Math.round(viaSidecar.tps),
            note:
              `${round(viaSidecar.tps / direct.tps)}x direct` +
              (viaBouncer ? `, ${round(viaSidecar.tps / viaBouncer.tps)}x PgBouncer` : '') +
              `, ${round(viaSidecar.tps / viaPipe.tps)}x the bare pipe`,
          });
          if (viaUnaudited) {
            results.push({
              name: `${label}: sidecar, audit off`,
              unit: 'tps',
              value: Math.round(viaUnaudited.tps),
              note:
                `${round(viaUnaudited.tps / viaPipe.tps)}x the bare pipe` +
                (viaBouncer ? `, ${round(viaUnaudited.tps / viaBouncer.tps)}x PgBouncer` : '') +
                `; proxy CPU ${Math.round(viaUnaudited.proxyCpuUs ?? 0)} µs per transaction (policy on, no spool, no export)`,
            });
          }
          results.push({
            name: `${label}: proxy CPU per transaction`,
            unit: 'µs',
            value: Math.round(viaSidecar.proxyCpuUs ?? 0),
            note: `sidecar (all threads, audit worker included)${viaBouncer ? `; PgBouncer ${Math.round(viaBouncer.proxyCpuUs ?? 0)} µs` : ''}; steadier than tps under machine load`,
          });
          if (clients === 1) {
            const peers = [
              { name: 'sidecar', port: sidecar.port, first: viaSidecar },
              { name: 'pipe', port: pipe.port, first: viaPipe },
              ...(bouncer && viaBouncer ? [{ name: 'bouncer', port: bouncer.port, first: viaBouncer }] : []),
              ...(viaUnaudited ? [{ name: 'unaudited', port: unaudited.port, first: viaUnaudited }] : []),
            ];
            const diffs = await addedLatencies(
              direct,
              peers,
              mode,
              selectOnly,
              selectOnly ? LATENCY_ROUNDS : 1,
            );
            const added = (name: string): number => Math.round(median(diffs.get(name)!));
            const rounds = diffs.get('sidecar')!.length;
            results.push({
              name: `${label}: added median latency, sidecar`,
              unit: 'µs',
              value: added('sidecar'),
              note:
                (selectOnly ? 'goal < 30 µs; ' : '') +
                (rounds > 1
                  ? `median of ${rounds} rounds (${diffs.get('sidecar')!.map(Math.round).join(', ')}); `
                  : '') +
                (diffs.has('bouncer') ? `PgBouncer adds ${added('bouncer')} µs, ` : '') +
                `the bare Node.js pipe ${added('pipe')} µs` +
                (diffs.has('unaudited') ? `, the sidecar without audit ${added('unaudited')} µs` : '') +
                `; direct median ${Math.round(direct.medianUs ?? 0)} µs`,
            });
          }
        }
      }
    }
  } finally {
    clearInterval(sampler);
    await sidecar.stop();
    await unaudited.stop();
  }
  results.push({ name: 'sidecar RSS, peak during the runs above', unit: 'MB', value: round(peakRss / 1024) });

  const masked = await startSidecar(true, collector.url);
  try {
    const direct = await pgbench(5432, 'prepared', 8, true);
    const viaMasked = await pgbench(masked.port, 'prepared', 8, true);
    results.push({
      name: 'select-only -M prepared -c 8: sidecar with masking on',
      unit: 'tps',
      value: Math.round(viaMasked.tps),
      note: `${round(viaMasked.tps / direct.tps)}x direct (five entity recognizers over every text column)`,
    });
  } finally {
    await masked.stop();
    await bouncer?.stop();
    await pipe.stop();
    await collector.stop();
  }
  return results;
}
