// Token lifetime on a live session: `agentgate sidecar` as a process, a token
// from a real OpenID provider, node-postgres as the agent. A session keeps
// working until its token's `exp` plus --token-grace-seconds, then every new
// command gets an authentication error and the agent must reconnect with a
// fresh token. Waits are computed from the token's own `exp`, not guessed.

import { decodeJwt } from 'jose';
import pg from 'pg';
import {
  freePort,
  oidcSidecarArgs,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from '../sidecar/sidecar-process.js';
import { type OidcHarness, startOidcProvider } from './oidc-harness.js';

const GRACE_SECONDS = 3;
let oidc: OidcHarness;
let sidecar: SidecarProcess;
let port: number;

beforeAll(async () => {
  oidc = await startOidcProvider({ audience: 'agentgate' });
  port = await freePort();
  const files = policyFiles();
  files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: expiry, namespace: shop}
spec:
  subjects: [{group: ai-agents}]
  targets:
    - {name: db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}
  rules:
    - {name: anything, match: {target: db}, action: allow}
  defaultAction: deny
`);
  // The machine's PostgreSQL trusts loopback; the password is never asked for.
  files.writeCredentials('db', 'postgres', 'unused');
  sidecar = await startSidecarProcess([
    ...oidcSidecarArgs(files, oidc.issuer),
    '--token-grace-seconds',
    String(GRACE_SECONDS),
  ]);
}, 60_000);

afterAll(async () => {
  await sidecar?.stop('SIGKILL');
  await oidc?.close();
});

async function connect(token: string): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: token, database: 'postgres' });
  c.on('error', () => {}); // the sidecar may close the session after refusing it
  await c.connect();
  return c;
}

/** Sleeps until the wall clock is past `epochSeconds` (plus a margin for the sidecar's clock read). */
async function until(epochSeconds: number): Promise<void> {
  const ms = epochSeconds * 1000 + 250 - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

test('a session runs commands through its grace after expiry, then gets 28000 token expired; a fresh token works', async () => {
  const token = await oidc.mintToken(['ai-agents'], { expiresIn: 2 });
  const exp = decodeJwt(token).exp!;
  const c = await connect(token);
  try {
    await expect(c.query('SELECT 1 AS n')).resolves.toMatchObject({ rows: [{ n: 1 }] });

    await until(exp); // expired, but within the grace
    await expect(c.query('SELECT 2 AS n')).resolves.toMatchObject({ rows: [{ n: 2 }] });

    await until(exp + GRACE_SECONDS);
    await expect(c.query('SELECT 3 AS n')).rejects.toMatchObject({
      code: '28000',
      message: expect.stringMatching(/expired/i) as unknown as string,
    });
  } finally {
    await c.end().catch(() => {});
  }

  const fresh = await connect(await oidc.mintToken(['ai-agents']));
  await expect(fresh.query('SELECT 4 AS n')).resolves.toMatchObject({ rows: [{ n: 4 }] });
  await fresh.end();
}, 30_000);

test('the expired message never carries the token', async () => {
  const token = await oidc.mintToken(['ai-agents'], { expiresIn: 1 });
  const exp = decodeJwt(token).exp!;
  const c = await connect(token);
  try {
    await until(exp + GRACE_SECONDS);
    const err = (await c.query('SELECT 1').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(token.split('.')[2]!);
  } finally {
    await c.end().catch(() => {});
  }
  expect(sidecar.log()).not.toContain(token.split('.')[2]!);
}, 30_000);
