// The whole transparent path in real network namespaces: an agent process in
// the "pod" dials the database host's address; the pod's redirect rules (the
// real `agentgate iptables`) send it to the sidecar's transparent listener,
// which reads the original destination (SO_ORIGINAL_DST, IPv4 and IPv6), finds
// the declared target and runs the session. The "database host" forwards to
// the machine's PostgreSQL through its Unix socket (a file, so it crosses
// namespaces). Needs root; skipped otherwise.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTopology,
  destroyTopology,
  FROM_SOURCE,
  inNs,
  NODE,
  ROOT,
  startIn,
  stop,
  type Topology,
  unsupportedReason,
} from '../intercept/netns.js';
import { policyFiles } from './sidecar-process.js';

const PROXY = { uid: 1337, gid: 1337 };
const AGENT = { uid: 2000, gid: 2000 };
const DB_PORT = 5432;
const OTHER_PORT = 5433;

const reason = await unsupportedReason();
if (reason !== null) process.stderr.write(`test/sidecar/transparent.test.ts skipped: ${reason}\n`);
const describeNs = reason === null ? describe : describe.skip;

const FORWARDER = `
import { createServer, connect } from 'node:net';
const ports = process.argv.slice(2).map(Number);
let n = 0;
for (const port of ports) for (const host of ['0.0.0.0', '::']) {
  createServer((c) => {
    const u = connect('/var/run/postgresql/.s.PGSQL.5432');
    c.pipe(u); u.pipe(c);
    c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  }).listen({ host, port, ipv6Only: host === '::' }, () => { if (++n === ports.length * 2) console.log('ready'); });
}`;

async function psqlAsAgent(t: Topology, host: string, port: number, sql: string): Promise<string> {
  return inNs(t.pod, 'setpriv', [
    `--reuid=${AGENT.uid}`,
    `--regid=${AGENT.gid}`,
    '--clear-groups',
    'env',
    'PGPASSWORD=agent-token',
    'PGCONNECT_TIMEOUT=5',
    'psql',
    '-X',
    '-A',
    '-t',
    `host=${host} port=${port} user=agent dbname=postgres sslmode=prefer`,
    '-c',
    sql,
  ]).catch((e: Error) => `error: ${e.message}`);
}

describeNs('the transparent listener in a real network namespace', () => {
  let t: Topology;
  let forwarder: ChildProcess | undefined;
  let sidecar: ChildProcess | undefined;
  let sidecarLog = '';

  beforeAll(async () => {
    t = await createTopology(`tp${process.pid}`);
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-transparent-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'forwarder.mjs'), FORWARDER);
    forwarder = await startIn(t.db, undefined, [
      NODE,
      join(dir, 'forwarder.mjs'),
      String(DB_PORT),
      String(OTHER_PORT),
    ]);

    const files = policyFiles();
    chmodSync(files.dir, 0o755);
    files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: transparent, namespace: default}
spec:
  targets:
    - {name: orders-db, protocol: postgres, address: "${t.dbV4}:${DB_PORT}"}
    - {name: orders-db-v6, protocol: postgres, address: "[${t.dbV6}]:${DB_PORT}"}
  rules:
    - {name: no-ddl, match: {operations: [DROP]}, action: deny}
    - {name: rest, action: allow}
`);
    files.writeCredentials('orders-db', 'postgres', '');
    files.writeCredentials('orders-db-v6', 'postgres', '');
    chmodSync(files.secretsDir, 0o755);

    await inNs(t.pod, NODE, [
      ...FROM_SOURCE,
      `${ROOT}cli/main.ts`,
      'iptables',
      '--proxy-port=15001',
      `--proxy-uid=${PROXY.uid}`,
      `--proxy-gid=${PROXY.gid}`,
    ]);
    sidecar = spawn(
      'ip',
      [
        'netns',
        'exec',
        t.pod,
        'setpriv',
        `--reuid=${PROXY.uid}`,
        `--regid=${PROXY.gid}`,
        '--clear-groups',
        NODE,
        '--experimental-transform-types',
        ...FROM_SOURCE,
        `${ROOT}cli/main.ts`,
        'sidecar',
        '--policy',
        files.policyFile,
        '--secrets-dir',
        files.secretsDir,
        '--allow-anonymous',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: '/tmp' } },
    );
    await new Promise<void>((resolve, reject) => {
      sidecar!.stderr!.on('data', (c: Buffer) => {
        sidecarLog += c.toString();
        if (sidecarLog.includes('sidecar ready')) resolve();
      });
      sidecar!.once('exit', (code) => reject(new Error(`sidecar exited ${code}: ${sidecarLog}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (sidecar && sidecar.exitCode === null) {
      const exited = once(sidecar, 'exit');
      sidecar.kill('SIGTERM');
      await exited;
    }
    await stop(forwarder);
    if (t) await destroyTopology(t);
  });

  test('an agent dialling the database address is served by the sidecar, which decides its commands', async () => {
    expect((await psqlAsAgent(t, t.dbV4, DB_PORT, 'SELECT 40 + 2')).trim()).toBe('42');
    expect(await psqlAsAgent(t, t.dbV4, DB_PORT, 'DROP TABLE IF EXISTS ag_never')).toMatch(
      /agentgate: denied by policy default\/transparent rule no-ddl/,
    );
  });

  test('an IPv6 destination is looked up by its IPv6 address', async () => {
    expect((await psqlAsAgent(t, t.dbV6, DB_PORT, 'SELECT 7')).trim()).toBe('7');
  });

  test('a destination no target declares is refused', async () => {
    expect(await psqlAsAgent(t, t.dbV4, OTHER_PORT, 'SELECT 1')).toMatch(/^error:/);
    expect(sidecarLog).toContain(`denied connection to ${t.dbV4}:${OTHER_PORT}`);
  });
});
