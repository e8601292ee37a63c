// Every way a token can be wrong, against a real OpenID provider. Forged
// tokens (alg none, HS256 keyed with the public key, a foreign signature) are
// built here with jose and node:crypto the way an attacker would.

import { createHmac, createPublicKey } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { type AgentgateError, isAgentgateError } from '../../common/errors.js';
import { createVerifier, type TokenVerifier } from '../../sidecar/identity/verifier.js';
import { type OidcHarness, startOidcProvider } from './oidc-harness.js';

let idp: OidcHarness;
let other: OidcHarness;
let verifier: TokenVerifier;
let offsetMs = 0;
const logLines: string[] = [];

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

async function refusal(token: string, v: TokenVerifier = verifier): Promise<AgentgateError> {
  try {
    await v.verify(token);
  } catch (e) {
    if (isAgentgateError(e)) return e;
    throw e;
  }
  throw new Error('token was accepted');
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: idp.issuer, aud: idp.audience, sub: 'agent-1', iat: now, exp: now + 600, ...extra };
}

beforeAll(async () => {
  idp = await startOidcProvider({ groups: ['ai-agents'] });
  other = await startOidcProvider({ alg: 'ES256' });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  verifier = await createVerifier(
    { issuers: [idp.issuer], audiences: [idp.audience], clockSkewSeconds: 5 },
    { clock: () => Date.now() + offsetMs, logger: pino({ level: 'debug' }, sink) },
  );
});

afterAll(async () => {
  verifier.close();
  await idp.close();
  await other.close();
});

describe('accepts', () => {
  test('a client-credentials access token from the provider, with subject, groups, jti and expiry', async () => {
    const token = await idp.mintToken(['ai-agents', 'dba']);
    const id = await verifier.verify(token);
    expect(id).toMatchObject({ kind: 'token', subject: 'test-agent', issuer: idp.issuer });
    expect(id.groups).toEqual(['ai-agents', 'dba']);
    expect(typeof id.tokenId).toBe('string');
    expect(id.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(verifier.ready()).toBe(true);
  });

  test('a token without a groups claim, as an identity with no groups', async () => {
    const id = await verifier.verify(await idp.sign(claims()));
    expect(id.groups).toEqual([]);
  });
});

describe('refuses', () => {
  test('an empty token as missing', async () => {
    expect((await refusal('')).code).toBe('AG_ERR_AUTH_TOKEN_MISSING');
  });

  test('alg none, even with the issuer, audience and kid right', async () => {
    const token = `${b64({ alg: 'none', kid: idp.currentKid() })}.${b64(claims())}.`;
    const e = await refusal(token);
    expect(e.code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    expect(e.message).toContain('algorithm is not allowed');
  });

  test('HS256 keyed with the issuer public key, as PEM and as JWK text', async () => {
    const jwk = idp.publicJwks()[0]!;
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [String(pem), JSON.stringify(jwk)]) {
      const input = `${b64({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })}.${b64(claims())}`;
      const sig = createHmac('sha256', secret).update(input).digest('base64url');
      const e = await refusal(`${input}.${sig}`);
      expect(e.code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
      expect(e.message).toContain('algorithm is not allowed');
    }
  });

  test('an expired token, once the clock passes expiry plus skew', async () => {
    const token = await idp.mintToken(['ai-agents'], { expiresIn: 60 });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    offsetMs = 66_000;
    try {
      const e = await refusal(token);
      expect(e.code).toBe('AG_ERR_AUTH_TOKEN_EXPIRED');
      expect(e.message).toContain('reconnect with a fresh token');
    } finally {
      offsetMs = 0;
    }
  });

  test('an expired token never seen before (no remembered verification)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const e = await refusal(await idp.sign(claims({ iat: now - 1000, exp: now - 100 })));
    expect(e.code).toBe('AG_ERR_AUTH_TOKEN_EXPIRED');
  });

  test('a token for another audience', async () => {
    const e = await refusal(await idp.mintToken(['ai-agents'], { audience: 'billing-api' }));
    expect(e.code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    expect(e.message).toContain('audience');
  });

  test('a token from an issuer that is not configured', async () => {
    const e = await refusal(await other.mintToken(['ai-agents'], { audience: idp.audience }));
    expect(e.code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    expect(e.message).toContain('issuer is not trusted');
  });

  test('a token claiming the trusted issuer but signed by another provider key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: idp.currentKid() })
      .sign(privateKey);
    const e = await refusal(forged);
    expect(e.code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    expect(e.message).toContain('signature');
  });

  test('a token whose payload was changed after signing', async () => {
    const [h, , s] = (await idp.mintToken(['ai-agents'])).split('.');
    const e = await refusal(`${h}.${b64(claims({ groups: ['dba'] }))}.${s}`);
    expect(e.message).toContain('signature does not verify');
  });

  test('a token that is not valid yet', async () => {
    const now = Math.floor(Date.now() / 1000);
    const e = await refusal(await idp.sign(claims({ nbf: now + 300 })));
    expect(e.code).toBe('AG_ERR_AUTH_TOKEN_INVALID');
    expect(e.message).toContain('not valid yet');
  });

  test('a token issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const e = await refusal(await idp.sign(claims({ iat: now + 300 })));
    expect(e.message).toContain('issue time is in the future');
  });

  test('a token without expiry', async () => {
    const c = claims();
    delete c['exp'];
    const e = await refusal(await idp.sign(c));
    expect(e.message).toContain('no expiry');
  });

  test('a token with no subject', async () => {
    const c = claims();
    delete c['sub'];
    expect((await refusal(await idp.sign(c))).message).toContain('subject');
  });

  test('a groups claim that is not a list of names', async () => {
    expect((await refusal(await idp.sign(claims({ groups: { a: 1 } })))).message).toContain('groups claim');
    expect((await refusal(await idp.sign(claims({ groups: ['ok', 7] })))).message).toContain('groups claim');
  });

  test('malformed tokens of every shape, with a reason', async () => {
    const good = await idp.mintToken(['ai-agents']);
    const [h, p, s] = good.split('.');
    const cases: [string, string][] = [
      ['not-a-jwt', 'not a compact JWS'],
      [`${h}.${p}`, 'not a compact JWS'],
      [`${h}.${p}.${s}.x.y`, 'not a compact JWS'],
      [`${h}!.${p}.${s}`, 'header is not base64url'],
      [`${b64('string')}.${p}.${s}`, 'header is not an object'],
      [`${Buffer.from('{not json').toString('base64url')}.${p}.${s}`, 'header is not JSON'],
      [`${b64({ kid: 'x' })}.${p}.${s}`, 'no algorithm'],
      [`${h}.${b64({ sub: 'x' })}.${s}`, 'no issuer'],
      [`${h}.${p}.${s}+`, 'signature is not base64url'],
      [`${h}.${p}.${'A'.repeat(20_000)}`, 'exceeds'],
    ];
    for (const [token, reason] of cases) {
      const e = await refusal(token);
      expect([e.code, e.message]).toEqual(['AG_ERR_AUTH_TOKEN_INVALID', expect.stringContaining(reason)]);
    }
  });

  test('a token whose typ differs from the one the issuer is configured to require', async () => {
    const strict = await createVerifier({
      issuers: [{ issuer: idp.issuer, typ: 'at+jwt' }],
      audiences: [idp.audience],
    });
    try {
      await expect(strict.verify(await idp.mintToken(['ai-agents']))).resolves.toMatchObject({
        kind: 'token',
      });
      const e = await refusal(await idp.sign(claims(), { typ: 'JWT' }), strict);
      expect(e.message).toContain('type');
    } finally {
      strict.close();
    }
  });
});

test('no refusal carries the token: not its message, JSON, stack or the logs', async () => {
  const now = Math.floor(Date.now() / 1000);
  const tokens = [
    await idp.mintToken(['ai-agents'], { audience: 'billing-api' }),
    await idp.sign(claims({ iat: now - 1000, exp: now - 100 })),
    await idp.sign(claims({ nbf: now + 300 })),
    `${b64({ alg: 'none' })}.${b64(claims())}.`,
    `${(await idp.mintToken()).slice(0, -4)}AAAA`,
  ];
  for (const token of tokens) {
    const e = await refusal(token);
    const signature = token.split('.')[2] ?? '';
    const payload = token.split('.')[1] ?? '';
    const seen = [e.message, JSON.stringify(e), String(e.stack), JSON.stringify(e.cause ?? null)].join('\n');
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(payload);
    if (signature !== '') expect(seen).not.toContain(signature);
  }
  // Nor does the Identity that policy and audit receive.
  const good = await idp.mintToken(['ai-agents']);
  const identity = JSON.stringify(await verifier.verify(good));
  for (const part of good.split('.')) expect(identity).not.toContain(part);
  const logs = logLines.join('');
  expect(logs).toContain('token refused');
  for (const token of tokens) {
    for (const part of token.split('.').filter((x) => x.length > 8)) expect(logs).not.toContain(part);
  }
});
