// Workload identity through the whole sidecar: an agent connection that
// presents no token runs as the pod's service account, read from a projected
// token file and verified against the cluster issuer (a real provider serving
// HTTPS from a throwaway CA and wanting a bearer credential, as the API server
// does), but only when a policy names that service account.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Sidecar, startSidecar } from '../../sidecar/server/sidecar.js';
import { freePort, policyFiles } from '../sidecar/sidecar-process.js';
import { type OidcHarness, startOidcProvider } from './oidc-harness.js';

const API_SERVER_CREDENTIAL = 'sidecar-own-sa-token';
let cluster: OidcHarness;
let dir: string;
let saTokenFile: string;
let credentialFile: string;
const logs: string[] = [];
const log = {
  info: (m: string) => logs.push(m),
  warn: (m: string) => logs.push(m),
  error: (m: string) => logs.push(m),
};

beforeAll(async () => {
  cluster = await startOidcProvider({ tls: true, alg: 'ES256', requireBearer: API_SERVER_CREDENTIAL });
  dir = mkdtempSync(join(tmpdir(), 'agentgate-workload-'));
  saTokenFile = join(dir, 'token');
  credentialFile = join(dir, 'credential');
  writeFileSync(credentialFile, `${API_SERVER_CREDENTIAL}\n`);
  const saToken = await cluster.mintToken([], {
    subject: 'system:serviceaccount:shop:support-agent',
    claims: {
      'kubernetes.io': {
        namespace: 'shop',
        serviceaccount: { name: 'support-agent', uid: '0a7c-sa' },
        pod: { name: 'support-agent-7f9c', uid: '5e1d-pod' },
      },
    },
  });
  writeFileSync(saTokenFile, `${saToken}\n`);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A sidecar for pod shop/support-agent-7f9c whose one policy names `subjects`. */
async function sidecarWith(subjects: string): Promise<{ sidecar: Sidecar; port: number }> {
  const port = await freePort();
  const files = policyFiles();
  files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: workload, namespace: shop}
spec:
  subjects: ${subjects}
  targets:
    - {name: db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}
  rules:
    - {name: reads, match: {target: db, operations: [SELECT]}, action: allow}
  defaultAction: deny
`);
  // The machine's PostgreSQL trusts loopback; the password is never asked for.
  files.writeCredentials('db', 'postgres', 'unused');
  const sidecar = await startSidecar(
    {
      policyPaths: [files.policyFile],
      secretsDir: files.secretsDir,
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      transparent: false,
      localHost: '127.0.0.1',
      unknownDestination: 'deny',
      identity: {
        oidcIssuer: [],
        oidcAudience: [],
        workloadIssuer: cluster.issuer,
        workloadJwksUri: `${cluster.issuer}/jwks`,
        workloadCaFile: cluster.caFile!,
        workloadBearerTokenFile: credentialFile,
      },
      workloadTokenFile: saTokenFile,
      allowAnonymous: false,
      otlpEndpoint: undefined,
      spoolDir: undefined,
      namespace: 'shop',
      podName: 'support-agent-7f9c',
      podLabels: {},
      drainSeconds: 0,
      hashKey: undefined,
      tokenGraceSeconds: 0,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
    },
    log,
  );
  return { sidecar, port };
}

async function tokenless(port: number): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: '', database: 'postgres' });
  c.on('error', () => {});
  await c.connect();
  return c;
}

test('a tokenless connection runs as the pod service account a policy names', async () => {
  const { sidecar, port } = await sidecarWith('[{serviceAccount: support-agent}]');
  try {
    const c = await tokenless(port);
    await expect(c.query('SELECT 42 AS n')).resolves.toMatchObject({ rows: [{ n: 42 }] });
    await expect(c.query('DROP TABLE nothing_here')).rejects.toMatchObject({ code: '42501' });
    await c.end();
  } finally {
    await sidecar.shutdown();
  }
}, 30_000);

test('a tokenless connection is refused when no policy names the pod service account', async () => {
  const { sidecar, port } = await sidecarWith('[{serviceAccount: another-agent}, {group: ai-agents}]');
  try {
    await expect(tokenless(port)).rejects.toMatchObject({
      code: '28000',
      message: expect.stringMatching(/no policy allows the pod workload identity/) as unknown as string,
    });
  } finally {
    await sidecar.shutdown();
  }
}, 30_000);
