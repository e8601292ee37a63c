// A large result through a sidecar process: the sidecar's resident memory must
// not grow with the result, also while the agent reads nothing for a while
// (backpressure reaches the upstream socket instead of piling up in the sidecar).

import { RawClient } from '../postgres/raw-client.js';
import {
  anonymousSidecarArgs,
  freePort,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from './sidecar-process.js';

let sidecar: SidecarProcess;
let port: number;

beforeAll(async () => {
  const files = policyFiles();
  port = await freePort();
  files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: bulk, namespace: default}
spec:
  targets: [{name: bulk-db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}]
  rules: [{name: reads, match: {operations: [SELECT]}, action: allow}]
`);
  files.writeCredentials('bulk-db', 'postgres', '');
  sidecar = await startSidecarProcess(anonymousSidecarArgs(files));
}, 60_000);

afterAll(async () => {
  await sidecar?.stop('SIGKILL');
});

test('streams a 1 GB result to a slow agent with bounded sidecar memory', async () => {
  const warm = new RawClient(port);
  await warm.login();
  warm.query('SELECT 1');
  await warm.until(
    (m) => m.name === 'readyForQuery' && warm.messages.filter((x) => x.name === 'readyForQuery').length === 2,
  );
  warm.end();

  const c = new RawClient(port);
  c.keep = false;
  await c.login();
  const baseline = sidecar.memory().rssKb;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, sidecar.memory().rssKb);
  }, 25);
  const rows = 1_048_576; // of 1,000 bytes each
  c.socket.pause(); // the agent reads nothing for a second: the sidecar must stop reading too
  c.query(`SELECT repeat('x', 1000) FROM generate_series(1, ${rows})`);
  await new Promise((r) => setTimeout(r, 1000));
  c.socket.resume();
  await c.until(
    (m) => m.name === 'readyForQuery' && c.messages.filter((x) => x.name === 'readyForQuery').length === 2,
  );
  clearInterval(timer);
  c.end();
  expect(c.bytes).toBeGreaterThan(rows * 1000);
  // Socket buffers and garbage not yet collected, not the result: a bare Node.js pipe grows about as much.
  expect((peak - baseline) / 1024).toBeLessThan(128);
}, 180_000);
