// Token validation per connection with a warm JWKS cache: what a connecting
// agent pays before its first command. Goal: under 100 µs median.
// "first sight" tokens are all distinct, so each call runs the full jose
// verification (signature, iss, aud, exp, nbf, iat); "repeat" is the same
// token on a new connection, answered from the verified-token cache.
// The issuer is a minimal discovery + JWKS server on loopback (the real
// provider harness lives under test/, which the build leaves out).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { createVerifier } from '../sidecar/identity/verifier.js';
import { round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Token validation per connection (warm JWKS cache)';

type Alg = 'RS256' | 'ES256' | 'EdDSA';

interface Issuer {
  readonly url: string;
  readonly keys: Map<Alg, CryptoKey>;
  readonly publicJwks: Map<Alg, JWK>;
  close(): Promise<void>;
}

async function startIssuer(algs: readonly Alg[]): Promise<Issuer> {
  const keys = new Map<Alg, CryptoKey>();
  const publicJwks = new Map<Alg, JWK>();
  const jwks: object[] = [];
  for (const alg of algs) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    keys.set(alg, privateKey);
    const jwk = { ...(await exportJWK(publicKey)), kid: alg, alg, use: 'sig' };
    publicJwks.set(alg, jwk);
    jwks.push(jwk);
  }
  let url = '';
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks`, response_types_supported: ['code'] }));
    } else res.end(JSON.stringify({ keys: jwks }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, keys, publicJwks, close: () => new Promise((r) => server.close(() => r())) };
}

async function mint(issuer: Issuer, alg: Alg, n: number): Promise<string[]> {
  const key = issuer.keys.get(alg)!;
  const now = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await new SignJWT({ groups: ['ai-agents', 'support'], scope: 'db', client_id: 'agent' })
        .setProtectedHeader({ alg, kid: alg, typ: 'at+jwt' })
        .setIssuer(issuer.url)
        .setAudience('agentgate')
        .setSubject(`agent-${i}`)
        .setJti(`jti-${i}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(key),
    );
  }
  return out;
}

/** Median per-call time (ns) over batches of sequential awaited verifications. */
async function medianAsyncNs(
  verify: (token: string) => Promise<unknown>,
  tokens: readonly string[],
  batches = 20,
): Promise<number> {
  const per: number[] = [];
  const n = Math.max(1, Math.floor(tokens.length / batches));
  for (let b = 0; b < batches; b++) {
    const slice = tokens.slice(b * n, (b + 1) * n);
    const t0 = process.hrtime.bigint();
    for (const t of slice) await verify(t);
    per.push(Number(process.hrtime.bigint() - t0) / slice.length);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

export async function run(): Promise<BenchResult[]> {
  const algs: Alg[] = ['RS256', 'ES256', 'EdDSA'];
  const issuer = await startIssuer(algs);
  const v = await createVerifier({ issuers: [issuer.url], audiences: ['agentgate'], cacheSize: 100_000 });
  try {
    const verify = (t: string) => v.verify(t);
    const results: BenchResult[] = [];
    for (const alg of algs) {
      const tokens = await mint(issuer, alg, alg === 'RS256' ? 3000 : 4000);
      await medianAsyncNs(verify, tokens.slice(0, 500), 5); // warm the JIT and the key import
      const first = await medianAsyncNs(verify, tokens.slice(500));
      results.push({
        name: `${alg} token, first sight (full jose verification)`,
        unit: 'µs median',
        value: round(first / 1000, 1),
        note: 'goal < 100 µs',
      });
    }
    const [token] = await mint(issuer, 'RS256', 1);
    const same = new Array<string>(50_000).fill(token!);
    const repeat = await medianAsyncNs(verify, same);
    // jose alone on the same kind of tokens: what the signature check costs without agentgate's steps.
    const rsKey = await importJWK(issuer.publicJwks.get('RS256')!, 'RS256');
    const joseOnly = await medianAsyncNs(
      (t) => jwtVerify(t, rsKey, { issuer: issuer.url, audience: 'agentgate', algorithms: ['RS256'] }),
      await mint(issuer, 'RS256', 2500),
    );
    results.push({
      name: 'reference: jose jwtVerify alone, RS256',
      unit: 'µs median',
      value: round(joseOnly / 1000, 1),
      note: 'WebCrypto verify, async',
    });
    results.push({
      name: 'same token on a new connection (verified-token cache)',
      unit: 'µs median',
      value: round(repeat / 1000, 2),
    });
    return results;
  } finally {
    v.close();
    await issuer.close();
  }
}
