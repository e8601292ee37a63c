// Key handling against a real provider: rotation, rate-limited refresh on an
// unknown kid, the refresh schedule, several issuers, issuer outages (cached
// keys keep working, no keys fails closed), and TLS with a private CA.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { type AgentgateError, isAgentgateError } from '../../common/errors.js';
import type { VerifierOptions } from '../../sidecar/identity/config.js';
import { createVerifier, type TokenVerifier } from '../../sidecar/identity/verifier.js';
import { type OidcHarness, startOidcProvider } from './oidc-harness.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function provider(options: Parameters<typeof startOidcProvider>[0] = {}): Promise<OidcHarness> {
  const p = await startOidcProvider(options);
  cleanup.push(() => p.close());
  return p;
}

/** A verifier whose clock the test moves (ms offset from now). */
async function verifierFor(
  issuers: OidcHarness[],
  extra: Partial<VerifierOptions> = {},
): Promise<{ v: TokenVerifier; advance: (seconds: number) => void }> {
  let offset = 0;
  const v = await createVerifier(
    { issuers: issuers.map((i) => i.issuer), audiences: ['agentgate'], jwksCooldownSeconds: 30, ...extra },
    { clock: () => Date.now() + offset },
  );
  cleanup.push(() => v.close());
  const advance = (seconds: number): void => {
    offset += seconds * 1000;
  };
  return { v, advance };
}

async function refusal(v: TokenVerifier, token: string): Promise<AgentgateError> {
  try {
    await v.verify(token);
  } catch (e) {
    if (isAgentgateError(e)) return e;
    throw e;
  }
  throw new Error('token was accepted');
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('key rotation', () => {
  test('picks up a new kid the issuer starts signing with', async () => {
    const idp = await provider();
    const { v } = await verifierFor([idp], { jwksCooldownSeconds: 0 });
    await v.verify(await idp.mintToken(['a']));
    const newKid = await idp.rotateKeys();
    const token = await idp.mintToken(['a']);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(newKid);
    await expect(v.verify(token)).resolves.toMatchObject({ groups: ['a'] });
  });

  test('refreshes on an unknown kid at most once per cooldown', async () => {
    const idp = await provider();
    const { v, advance } = await verifierFor([idp], { jwksCooldownSeconds: 60 });
    advance(61);
    const fetched = idp.jwksRequests();
    const unknown = await idp.sign(
      { iss: idp.issuer, aud: 'agentgate', sub: 's', exp: 4e9 },
      { kid: 'nope-1' },
    );
    expect((await refusal(v, unknown)).message).toContain("matches the token's key id");
    expect(idp.jwksRequests()).toBe(fetched + 1);
    // A burst of made-up kids inside the cooldown costs the issuer nothing.
    for (let i = 0; i < 5; i++) {
      const t = await idp.sign(
        { iss: idp.issuer, aud: 'agentgate', sub: 's', exp: 4e9 },
        { kid: `nope-x${i}` },
      );
      await refusal(v, t);
    }
    expect(idp.jwksRequests()).toBe(fetched + 1);
    // Rotated keys inside the cooldown are not seen yet, and are once it has passed.
    await idp.rotateKeys();
    const rotated = await idp.mintToken(['a']);
    expect((await refusal(v, rotated)).code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    advance(61);
    await expect(v.verify(rotated)).resolves.toMatchObject({ kind: 'token' });
  });

  test('refreshes on its schedule without being asked', async () => {
    const idp = await provider();
    await verifierFor([idp], { jwksRefreshSeconds: 0.02 });
    const before = idp.jwksRequests();
    await eventually(() => idp.jwksRequests() >= before + 2);
  });

  test('forgets remembered verifications when a key is retired', async () => {
    const idp = await provider();
    const { v } = await verifierFor([idp], { jwksCooldownSeconds: 0 });
    const old = await idp.mintToken(['a']);
    await v.verify(old);
    await idp.rotateKeys();
    idp.retireOldKeys();
    await v.verify(await idp.mintToken(['a'])); // unknown kid: refresh drops the old key
    expect((await refusal(v, old)).message).toContain("matches the token's key id");
  });
});

test('verifies tokens of two issuers at once, each against its own keys only', async () => {
  const a = await provider({ alg: 'RS256' });
  const b = await provider({ alg: 'ES256' });
  const { v } = await verifierFor([a, b]);
  await expect(v.verify(await a.mintToken(['from-a']))).resolves.toMatchObject({
    issuer: a.issuer,
    groups: ['from-a'],
  });
  await expect(v.verify(await b.mintToken(['from-b']))).resolves.toMatchObject({
    issuer: b.issuer,
    groups: ['from-b'],
  });
  // b's key signing a token that claims to come from a: a's keys do not verify it.
  const crossed = await b.sign(
    { iss: a.issuer, aud: 'agentgate', sub: 's', exp: 4e9 },
    { kid: a.currentKid() },
  );
  expect((await refusal(v, crossed)).code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
  expect(v.ready()).toBe(true);
});

test('takes no keys from a discovery document that names another issuer', async () => {
  const idp = await provider();
  // Same server, other spelling: the document says 127.0.0.1, we were told localhost.
  const alias = idp.issuer.replace('127.0.0.1', 'localhost');
  const v = await createVerifier({ issuers: [alias], audiences: ['agentgate'] });
  cleanup.push(() => v.close());
  expect(v.ready()).toBe(false);
  const e = await refusal(v, await idp.sign({ iss: alias, aud: 'agentgate', sub: 's', exp: 4e9 }));
  expect(e.code).toBe('AG_ERR_AUTH_ISSUER_UNAVAILABLE');
  expect(e.message).toContain('issuer does not match');
});

describe('issuer outage', () => {
  test('cached keys keep verifying while the issuer is unreachable', async () => {
    const idp = await provider();
    // cacheSize 0: every call really checks the signature with the cached key.
    const { v, advance } = await verifierFor([idp], { cacheSize: 0, jwksCooldownSeconds: 0 });
    const token = await idp.mintToken(['a']);
    idp.setDown(true);
    advance(120);
    // An unknown kid makes the verifier try the issuer, which fails: the old keys must survive that.
    const unknown = await idp.sign({ iss: idp.issuer, aud: 'agentgate', sub: 's', exp: 4e9 }, { kid: 'new' });
    expect((await refusal(v, unknown)).code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    await expect(v.verify(token)).resolves.toMatchObject({ groups: ['a'] });
    expect(v.ready()).toBe(true);
  });

  test('with no cached keys, fails closed with issuer unavailable, and recovers', async () => {
    const idp = await provider();
    idp.setDown(true);
    const token = await idp.sign({ iss: idp.issuer, aud: 'agentgate', sub: 's', exp: 4e9 });
    const { v, advance } = await verifierFor([idp]);
    expect(v.ready()).toBe(false);
    expect(v.status()[0]).toMatchObject({ ready: false, keyIds: [], lastError: expect.any(String) });
    const e = await refusal(v, token);
    expect(e.code).toBe('AG_ERR_AUTH_ISSUER_UNAVAILABLE');
    expect(e.message).toContain(idp.issuer);
    idp.setDown(false);
    // Within the cooldown the verifier does not hammer the issuer: still closed.
    expect((await refusal(v, token)).code).toBe('AG_ERR_AUTH_ISSUER_UNAVAILABLE');
    advance(31);
    await expect(v.verify(token)).resolves.toMatchObject({ subject: 's' });
    expect(v.ready()).toBe(true);
  });

  test('keys older than the stale limit stop working during a long outage', async () => {
    const idp = await provider();
    const { v, advance } = await verifierFor([idp], { cacheSize: 0, jwksMaxStaleSeconds: 3600 });
    const token = await idp.sign({ iss: idp.issuer, aud: 'agentgate', sub: 's', exp: 4e9 });
    await v.verify(token);
    idp.setDown(true);
    advance(3601);
    expect((await refusal(v, token)).code).toBe('AG_ERR_AUTH_ISSUER_UNAVAILABLE');
    expect(v.ready()).toBe(false);
  });

  test('a remembered verification ends with its issuer keys', async () => {
    const idp = await provider();
    const { v, advance } = await verifierFor([idp], { jwksMaxStaleSeconds: 3600 });
    const token = await idp.mintToken(['a'], { expiresIn: 86_400 });
    await v.verify(token);
    idp.setDown(true);
    advance(1800);
    await expect(v.verify(token)).resolves.toMatchObject({ groups: ['a'] });
    advance(1801);
    expect((await refusal(v, token)).code).toBe('AG_ERR_AUTH_ISSUER_UNAVAILABLE');
    const [status] = v.status();
    expect(status).toMatchObject({ issuer: idp.issuer, ready: false, keyIds: [] });
    expect(status?.lastError).toMatch(/socket hang up|ECONNRESET/);
  });
});

test('sends the configured bearer credential to an issuer that wants one (the cluster API server)', async () => {
  const idp = await provider({ requireBearer: 'sidecar-sa-token' });
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-bearer-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 'sidecar-sa-token\n');
  const token = await idp.mintToken(['a']);

  const anonymous = await verifierFor([idp]);
  expect((await refusal(anonymous.v, token)).message).toContain('unavailable');
  const authed = await createVerifier({
    issuers: [{ issuer: idp.issuer, bearerTokenFile: join(dir, 'token') }],
    audiences: ['agentgate'],
  });
  cleanup.push(() => authed.close());
  await expect(authed.verify(token)).resolves.toMatchObject({ groups: ['a'] });
});

describe('issuer TLS', () => {
  test('verifies the issuer certificate against the given CA file', async () => {
    const idp = await provider({ tls: true });
    expect(idp.issuer.startsWith('https://')).toBe(true);
    const { v } = await verifierFor([idp], { caFile: idp.caFile! });
    await expect(v.verify(await idp.mintToken(['a']))).resolves.toMatchObject({ issuer: idp.issuer });
  });

  test('refuses an issuer whose certificate the system CAs do not know', async () => {
    const idp = await provider({ tls: true });
    const { v } = await verifierFor([idp]);
    expect(v.ready()).toBe(false);
    const e = await refusal(v, await idp.mintToken(['a']));
    expect(e.code).toBe('AG_ERR_AUTH_ISSUER_UNAVAILABLE');
    expect(e.message).toMatch(/certificate/i);
  });

  test('a missing CA file is a configuration error at start', async () => {
    await expect(
      createVerifier({ issuers: ['https://127.0.0.1:1'], audiences: ['a'], caFile: '/nonexistent/ca.pem' }),
    ).rejects.toMatchObject({ code: 'AG_ERR_CONFIG_INVALID' });
  });
});
