// Token -> Identity, once per connection. The unverified `iss` only picks
// which issuer to verify against; jose then checks signature, iss, aud, exp,
// nbf, iat and typ against that issuer alone. Every refusal is an
// AgentgateError whose message names the problem and never the token.

import { createHash } from 'node:crypto';
import { type JWTVerifyOptions, errors as joseErrors, jwtVerify } from 'jose';
import { type AgentgateError, agError, isAgentgateError } from '../../common/errors.js';
import { identityFromClaims } from './claims.js';
import { type IssuerConfig, resolveConfig, type VerifierConfig, type VerifierOptions } from './config.js';
import { createHttpGet, type HttpGet } from './http-get.js';
import type { Identity } from './identity.js';
import { IssuerKeys, type IssuerStatus, type VerifyKey } from './jwks-cache.js';
import { type IdentityLogger, SILENT } from './logger.js';
import { readUnverified } from './token-parts.js';
import { VerifiedCache } from './verified-cache.js';

export interface TokenVerifier {
  /** Resolves to the token's Identity or rejects with an AgentgateError (AG_ERR_AUTH_*). */
  verify(token: string): Promise<Identity>;
  /** Every issuer has usable keys (for /healthz/ready). */
  ready(): boolean;
  /** Per issuer: ready, key ids, last fetch, last error (for the admin endpoint and logs). */
  status(): IssuerStatus[];
  /** The issuers this verifier trusts, as configured. */
  readonly issuers: readonly string[];
  /** The verifier's clock, in seconds: sessions use it for isExpired. */
  nowSeconds(): number;
  close(): void;
}

export interface VerifierDeps {
  logger?: IdentityLogger;
  /** Milliseconds since the epoch. Tests move it; production uses Date.now. */
  clock?: () => number;
  /** Replaces the per-issuer HTTP client (tests of odd issuer answers). */
  httpGet?: (issuer: IssuerConfig) => HttpGet;
}

interface Issuer {
  readonly config: IssuerConfig;
  readonly keys: IssuerKeys;
  readonly options: JWTVerifyOptions;
}

/** jose's errors carry the claims set (`payload`); we keep only a reason, so no error can leak claims or the token. */
function refusal(e: unknown): AgentgateError {
  if (isAgentgateError(e)) return e;
  if (e instanceof joseErrors.JWTExpired) return agError('AG_ERR_AUTH_TOKEN_EXPIRED');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    const why: Record<string, string> = {
      iss: 'token issuer does not match',
      aud: 'token audience is not accepted here',
      nbf: 'token is not valid yet',
      iat: 'token issue time is in the future',
      exp: 'token has no expiry',
      typ: 'token type is not accepted',
    };
    return agError('AG_ERR_AUTH_TOKEN_INVALID', why[e.claim] ?? `token claim ${e.claim} is invalid`);
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
    return agError('AG_ERR_AUTH_TOKEN_INVALID', 'token signature does not verify');
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed) {
    return agError('AG_ERR_AUTH_TOKEN_INVALID', 'token algorithm is not allowed');
  }
  if (e instanceof joseErrors.JOSEError) {
    return agError('AG_ERR_AUTH_TOKEN_INVALID', `malformed token (${e.code})`);
  }
  return agError('AG_ERR_AUTH_TOKEN_INVALID', 'token could not be verified');
}

class Verifier implements TokenVerifier {
  private readonly byIssuer = new Map<string, Issuer>();
  private readonly cache: VerifiedCache;
  readonly issuers: readonly string[];

  constructor(
    private readonly config: VerifierConfig,
    private readonly log: IdentityLogger,
    private readonly clockMs: () => number,
    httpGet: (issuer: IssuerConfig) => HttpGet,
  ) {
    this.cache = new VerifiedCache(config.cacheSize);
    for (const ic of config.issuers) {
      const keys = new IssuerKeys(ic, config, httpGet(ic), clockMs, log, () => this.cache.clear());
      const options: JWTVerifyOptions = {
        issuer: ic.issuer,
        audience: [...ic.audiences],
        algorithms: [...ic.algorithms],
        clockTolerance: config.clockSkewSeconds,
        requiredClaims: config.requireExpiry ? ['exp'] : [],
        ...(ic.typ === undefined ? {} : { typ: ic.typ }),
      };
      this.byIssuer.set(ic.issuer, { config: ic, keys, options });
    }
    this.issuers = config.issuers.map((i) => i.issuer);
  }

  async start(): Promise<void> {
    await Promise.all([...this.byIssuer.values()].map((i) => i.keys.start()));
  }

  nowSeconds(): number {
    return Math.floor(this.clockMs() / 1000);
  }

  ready(): boolean {
    for (const i of this.byIssuer.values()) if (!i.keys.ready()) return false;
    return true;
  }

  status(): IssuerStatus[] {
    return [...this.byIssuer.values()].map((i) => i.keys.status());
  }

  close(): void {
    for (const i of this.byIssuer.values()) i.keys.close();
    this.cache.clear();
  }

  async verify(token: string): Promise<Identity> {
    try {
      return await this.verifyOrThrow(token);
    } catch (e) {
      const err = refusal(e);
      // The reason only: the token, its claims and the jose error (which holds the claims) stay out of logs.
      this.log.debug({ code: err.code, reason: err.message }, 'token refused');
      throw err;
    }
  }

  private async verifyOrThrow(token: string): Promise<Identity> {
    if (token === '') throw agError('AG_ERR_AUTH_TOKEN_MISSING', 'no token presented');
    if (token.length > this.config.maxTokenBytes) {
      throw agError('AG_ERR_AUTH_TOKEN_INVALID', `token exceeds ${this.config.maxTokenBytes} bytes`);
    }
    const now = this.clockMs();
    const digest = this.config.cacheSize > 0 ? createHash('sha256').update(token).digest('base64url') : '';
    const remembered = digest === '' ? undefined : this.cache.get(digest);
    // A remembered verification stands only while its issuer's keys do (they expire in a long outage).
    if (remembered !== undefined && this.byIssuer.get(remembered.identity.issuer)?.keys.ready() === true) {
      // Signature and audience were checked when it was stored; only time moves.
      if (remembered.notBefore > now / 1000 + this.config.clockSkewSeconds) {
        throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'token is not valid yet');
      }
      const exp = remembered.identity.expiresAt;
      if (exp !== undefined && now / 1000 - this.config.clockSkewSeconds >= exp) {
        throw agError('AG_ERR_AUTH_TOKEN_EXPIRED');
      }
      return remembered.identity;
    }

    const parts = readUnverified(token, this.config.maxTokenBytes);
    const issuer = this.byIssuer.get(parts.iss);
    if (issuer === undefined) throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'token issuer is not trusted here');
    // Checked before any key lookup: `none` and HS* never reach a key, and garbage cannot trigger a JWKS refresh.
    if (!issuer.config.algorithms.includes(parts.alg)) {
      throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'token algorithm is not allowed');
    }
    const keys =
      issuer.keys.warmKeysFor(parts.alg, parts.kid) ?? (await issuer.keys.keysFor(parts.alg, parts.kid));
    const options: JWTVerifyOptions = { ...issuer.options, currentDate: new Date(now) };
    const payload = await verifyWithAny(token, keys, options);
    // jose checks iat only against a maximum age; a token issued in the future is a clock or forgery problem.
    if (typeof payload.iat === 'number' && payload.iat > now / 1000 + this.config.clockSkewSeconds) {
      throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'token issue time is in the future');
    }
    const identity = identityFromClaims(payload, issuer.config);
    if (digest !== '') {
      const nbf = typeof payload['nbf'] === 'number' ? payload['nbf'] : 0;
      this.cache.set(digest, { identity, notBefore: nbf });
    }
    return identity;
  }
}

/** Several keys can fit a token without a kid; the first that verifies wins, else the last refusal stands. */
async function verifyWithAny(token: string, keys: readonly VerifyKey[], options: JWTVerifyOptions) {
  let last: unknown;
  for (const key of keys) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (e) {
      last = e;
      if (!(e instanceof joseErrors.JWSSignatureVerificationFailed)) break;
    }
  }
  throw last;
}

/**
 * Builds a verifier and makes the first key fetch for every issuer. An issuer
 * that cannot be reached does not stop the start: its tokens are refused with
 * AG_ERR_AUTH_ISSUER_UNAVAILABLE until its keys load, and ready() says false.
 * Throws AG_ERR_CONFIG_INVALID for a configuration that is unsafe.
 */
export async function createVerifier(
  options: VerifierOptions,
  deps: VerifierDeps = {},
): Promise<TokenVerifier> {
  const config = resolveConfig(options);
  const httpGetFor =
    deps.httpGet ??
    ((ic: IssuerConfig) => {
      try {
        return createHttpGet({ caFile: ic.caFile, timeoutMs: config.fetchTimeoutMs });
      } catch (e) {
        throw agError('AG_ERR_CONFIG_INVALID', `cannot read CA file ${ic.caFile}: ${(e as Error).message}`);
      }
    });
  const verifier = new Verifier(config, deps.logger ?? SILENT, deps.clock ?? Date.now, httpGetFor);
  await verifier.start();
  return verifier;
}
