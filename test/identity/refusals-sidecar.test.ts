// The token refusals of issue 3, through the whole sidecar with its real
// verifier: each reaches the agent as PostgreSQL's authentication error (28000)
// with a reason, and the audit spool as a refused session carrying the error
// code; the token itself reaches neither, nor the sidecar's log.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { loadSpans } from '../../sidecar/audit/session-store.js';
import { type Sidecar, startSidecar } from '../../sidecar/server/sidecar.js';
import { freePort, policyFiles } from '../sidecar/sidecar-process.js';
import { type OidcHarness, startOidcProvider } from './oidc-harness.js';

let idp: OidcHarness;
let other: OidcHarness;
let sidecar: Sidecar;
let port: number;
let spoolDir: string;
const logs: string[] = [];
const log = {
  info: (m: string) => logs.push(m),
  warn: (m: string) => logs.push(m),
  error: (m: string) => logs.push(m),
};

const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  idp = await startOidcProvider({ audience: 'agentgate' });
  other = await startOidcProvider({ audience: 'agentgate' });
  port = await freePort();
  const files = policyFiles();
  spoolDir = join(files.dir, 'spool');
  files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: refusals, namespace: shop}
spec:
  subjects: [{group: ai-agents}]
  targets:
    - {name: db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}
  rules:
    - {name: anything, match: {target: db}, action: allow}
  defaultAction: deny
`);
  files.writeCredentials('db', 'postgres', 'unused'); // loopback trust: never asked for
  sidecar = await startSidecar(
    {
      policyPaths: [files.policyFile],
      secretsDir: files.secretsDir,
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      transparent: false,
      localHost: '127.0.0.1',
      unknownDestination: 'deny',
      identity: { oidcIssuer: [idp.issuer], oidcAudience: ['agentgate'] },
      workloadTokenFile: undefined,
      allowAnonymous: false,
      otlpEndpoint: undefined,
      spoolDir,
      namespace: 'shop',
      podName: 'agent-1',
      podLabels: {},
      drainSeconds: 0,
      hashKey: undefined,
      tokenGraceSeconds: 0,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
    },
    log,
  );
}, 60_000);

afterAll(async () => {
  await sidecar?.shutdown();
  await idp?.close();
  await other?.close();
});

async function refusal(token: string): Promise<{ code: string; message: string }> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: token, database: 'postgres' });
  c.on('error', () => {});
  const err = await c.connect().then(
    () => null,
    (e: unknown) => e as { code: string; message: string },
  );
  await c.end().catch(() => {});
  if (err === null) throw new Error('the sidecar accepted the token');
  return err;
}

const tokens: string[] = [];
async function bad(make: () => Promise<string> | string): Promise<string> {
  const t = await make();
  tokens.push(t);
  return t;
}

test.each([
  [
    'alg none',
    () =>
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, aud: 'agentgate', sub: 'x', exp: now() + 600 })}.`,
    /algorithm|alg/i,
  ],
  [
    'HS256 keyed with the public key',
    async () =>
      new SignJWT({ groups: ['ai-agents'] })
        .setProtectedHeader({ alg: 'HS256', kid: idp.currentKid() })
        .setIssuer(idp.issuer)
        .setAudience('agentgate')
        .setSubject('x')
        .setExpirationTime(now() + 600)
        .sign(new TextEncoder().encode(JSON.stringify(idp.publicJwks()[0]))),
    /algorithm|alg/i,
  ],
  [
    'an expired token',
    () => idp.sign({ iss: idp.issuer, aud: 'agentgate', sub: 'x', iat: now() - 7200, exp: now() - 3600 }),
    /expired/i,
  ],
  [
    'a token for another audience',
    () => idp.mintToken(['ai-agents'], { audience: 'some-other-api' }),
    /audience/i,
  ],
  ['a token from another issuer', () => other.mintToken(['ai-agents']), /issuer/i],
  ['a malformed token', () => 'not.a-jwt', /malformed|compact|JWS|token/i],
])('%s reaches the agent as 28000 with its reason', async (_what, make, reason) => {
  const err = await refusal(await bad(make));
  expect(err.code).toBe('28000');
  expect(err.message).toMatch(reason);
});

test('every refusal is audited as a refused session with its error code, and no token is in the spool or the log', async () => {
  await sidecar.shutdown(); // flushes the spool
  const refused = loadSpans(spoolDir).filter((s) => s.attributes['agentgate.auth.result'] === 'refused');
  expect(refused).toHaveLength(tokens.length);
  for (const s of refused) expect(String(s.attributes['agentgate.auth.error.code'])).toMatch(/^AG_ERR_AUTH_/);

  const spool = readdirSync(spoolDir).map((f) => readFileSync(join(spoolDir, f)).toString('latin1'));
  const everything = [...spool, ...logs].join('\n');
  for (const t of tokens) {
    const secretPart = t.split('.').find((p) => p.length > 16) ?? t;
    expect(everything).not.toContain(secretPart);
  }
});
