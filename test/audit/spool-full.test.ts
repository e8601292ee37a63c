// A sidecar whose audit spool fills (no collector, a 1 MiB spool) with the
// default onFull: block. Commands must wait rather than run unrecorded, and
// the log must say why, since the agent only sees its queries stall.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  anonymousSidecarArgs,
  freePort,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from '../sidecar/sidecar-process.js';

let sidecar: SidecarProcess;
let port: number;
let spoolDir: string;

beforeAll(async () => {
  const files = policyFiles();
  port = await freePort();
  files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: full, namespace: default}
spec:
  targets: [{name: db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}]
  rules: [{name: reads, match: {operations: [SELECT]}, action: allow}]
`);
  files.writeCredentials('db', 'postgres', '');
  spoolDir = mkdtempSync(join(tmpdir(), 'agentgate-spool-full-'));
  sidecar = await startSidecarProcess([
    ...anonymousSidecarArgs(files),
    '--spool-dir',
    spoolDir,
    '--spool-max-mb',
    '1',
  ]);
}, 60_000);

afterAll(async () => {
  await sidecar?.stop('SIGKILL');
  rmSync(spoolDir, { recursive: true, force: true });
});

async function until(what: () => boolean, why: string): Promise<void> {
  for (let i = 0; i < 600 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!what()) throw new Error(`gave up waiting: ${why}`);
}

test('says at start that spans stay in the spool without a collector', () => {
  expect(sidecar.log()).toContain('audit: no --otlp-endpoint: spans stay in the spool');
});

test('when the spool is full, commands wait and the log says why', async () => {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: '', database: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  let answered = 0;
  const sent = 20_000;
  // node-postgres queues these: each waits for the one before.
  for (let i = 0; i < sent; i++) {
    c.query(`SELECT ${i} AS n, repeat('x', 200) AS filler`).then(
      () => answered++,
      () => {},
    );
  }
  await until(() => sidecar.log().includes('the spool is full'), 'the spool-full warning');
  expect(sidecar.log()).toMatch(
    /audit: the spool is full \(\d+ MiB, \d+ spans not yet exported\); agent commands wait/,
  );
  const stalled = answered;
  expect(stalled).toBeGreaterThan(0);
  expect(stalled).toBeLessThan(sent);
  // Still waiting a moment later: nothing runs unrecorded.
  await new Promise((r) => setTimeout(r, 500));
  expect(answered).toBe(stalled);
  // The sidecar itself still answers its health checks.
  const live = await fetch(`http://127.0.0.1:${sidecar.adminPort}/healthz/live`);
  expect(live.status).toBe(200);
}, 60_000);
