// What the token verifier needs to know, the defaults, and the checks that
// refuse a configuration that could weaken verification (symmetric or `none`
// algorithms, plain-http issuers off loopback) before any token is seen.

import { agError } from '../../common/errors.js';

/** Asymmetric JWS algorithms only: a resource server has no shared secret, so HS* could only be an attack. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const ALLOWED = new Set<string>(ASYMMETRIC_ALGORITHMS);

/** One trusted issuer. Fields left out take the verifier-wide value. */
export interface IssuerOptions {
  /** The exact `iss` value; discovery runs against `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Accepted `aud` values; a token must name at least one of them. */
  audiences?: readonly string[];
  /** Claim name or dotted path (`groups`, `realm_access.roles`); dots inside a name can be escaped as `\.`. */
  groupsClaim?: string;
  subjectClaim?: string;
  algorithms?: readonly string[];
  /** PEM bundle trusted for this issuer's TLS instead of the system CAs. */
  caFile?: string;
  /** Allow `http://` for a non-loopback issuer. Only for demos: keys fetched in clear can be swapped. */
  insecureHttp?: boolean;
  /** Skip discovery and fetch keys here (the cluster issuer's advertised jwks_uri is often unreachable in-cluster). */
  jwksUri?: string;
  /** A file whose content is sent as `Authorization: Bearer` to discovery and JWKS (the cluster issuer wants the pod's own token). */
  bearerTokenFile?: string;
  /** When set, the JOSE header `typ` must equal it (e.g. `at+jwt`). */
  typ?: string;
}

export interface VerifierOptions {
  issuers: readonly (IssuerOptions | string)[];
  audiences?: readonly string[];
  groupsClaim?: string;
  subjectClaim?: string;
  algorithms?: readonly string[];
  caFile?: string;
  insecureHttp?: boolean;
  /** Tolerance for exp/nbf/iat against our clock. Default 30. */
  clockSkewSeconds?: number;
  /** A token without `exp` never expires; refused unless this is false. Default true. */
  requireExpiry?: boolean;
  /** Scheduled JWKS refresh. Default 600. */
  jwksRefreshSeconds?: number;
  /** Least time between refreshes caused by an unknown `kid` or an unreachable issuer. Default 30. */
  jwksCooldownSeconds?: number;
  /** How long keys stay usable after the last successful fetch while the issuer is unreachable. Default 86400. */
  jwksMaxStaleSeconds?: number;
  /** Per HTTP request to an issuer. Default 5000. */
  fetchTimeoutMs?: number;
  /** Tokens longer than this are refused unread. Default 16384. */
  maxTokenBytes?: number;
  /** Verified tokens remembered (by SHA-256) so a reconnecting agent skips the signature check. Default 10000; 0 disables. */
  cacheSize?: number;
}

export interface IssuerConfig {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly groupsPath: readonly string[];
  readonly subjectPath: readonly string[];
  readonly algorithms: readonly string[];
  readonly caFile: string | undefined;
  readonly insecureHttp: boolean;
  readonly jwksUri: string | undefined;
  readonly bearerTokenFile: string | undefined;
  readonly typ: string | undefined;
}

export interface VerifierConfig {
  readonly issuers: readonly IssuerConfig[];
  readonly clockSkewSeconds: number;
  readonly requireExpiry: boolean;
  readonly jwksRefreshSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksMaxStaleSeconds: number;
  readonly fetchTimeoutMs: number;
  readonly maxTokenBytes: number;
  readonly cacheSize: number;
}

export const DEFAULTS = {
  groupsClaim: 'groups',
  subjectClaim: 'sub',
  clockSkewSeconds: 30,
  jwksRefreshSeconds: 600,
  jwksCooldownSeconds: 30,
  jwksMaxStaleSeconds: 86_400,
  fetchTimeoutMs: 5_000,
  maxTokenBytes: 16_384,
  cacheSize: 10_000,
} as const;

/** Splits `realm_access.roles` into its path; `a\.b` is one name with a dot (Auth0-style namespaced claims use URLs). */
export function claimPath(spec: string): string[] {
  if (spec === '') throw agError('AG_ERR_CONFIG_INVALID', 'a claim name must not be empty');
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '\\' && spec[i + 1] === '.') {
      current += '.';
      i++;
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  if (parts.some((p) => p === ''))
    throw agError('AG_ERR_CONFIG_INVALID', `claim path "${spec}" has an empty part`);
  return parts;
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function checkUrl(what: string, value: string, insecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw agError('AG_ERR_CONFIG_INVALID', `${what} "${value}" is not a URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol !== 'http:') throw agError('AG_ERR_CONFIG_INVALID', `${what} "${value}" must be https`);
  if (!insecureHttp && !isLoopbackHost(url.hostname)) {
    throw agError(
      'AG_ERR_CONFIG_INVALID',
      `${what} "${value}" uses plain http off loopback; use https or set --oidc-insecure-http`,
    );
  }
  return url;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw agError(
      'AG_ERR_CONFIG_INVALID',
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  }
  return v;
}

function resolveIssuer(input: IssuerOptions | string, top: VerifierOptions): IssuerConfig {
  const o: IssuerOptions = typeof input === 'string' ? { issuer: input } : input;
  const insecureHttp = o.insecureHttp ?? top.insecureHttp ?? false;
  checkUrl('issuer', o.issuer, insecureHttp);
  if (o.jwksUri !== undefined) checkUrl('jwks uri', o.jwksUri, insecureHttp);
  const audiences = o.audiences ?? top.audiences ?? [];
  if (audiences.length === 0 || audiences.some((a) => a === '')) {
    // Without an audience check any token the IdP ever issued, for any app, would do.
    throw agError('AG_ERR_CONFIG_INVALID', `issuer ${o.issuer} needs at least one non-empty audience`);
  }
  const algorithms = o.algorithms ?? top.algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (algorithms.length === 0)
    throw agError('AG_ERR_CONFIG_INVALID', `issuer ${o.issuer} allows no algorithm`);
  for (const alg of algorithms) {
    if (!ALLOWED.has(alg)) {
      throw agError(
        'AG_ERR_CONFIG_INVALID',
        `algorithm ${alg} is not allowed (asymmetric only: ${ASYMMETRIC_ALGORITHMS.join(', ')})`,
      );
    }
  }
  return {
    issuer: o.issuer,
    audiences: [...audiences],
    groupsPath: claimPath(o.groupsClaim ?? top.groupsClaim ?? DEFAULTS.groupsClaim),
    subjectPath: claimPath(o.subjectClaim ?? top.subjectClaim ?? DEFAULTS.subjectClaim),
    algorithms: [...algorithms],
    caFile: o.caFile ?? top.caFile,
    insecureHttp,
    jwksUri: o.jwksUri,
    bearerTokenFile: o.bearerTokenFile,
    typ: o.typ,
  };
}

/** Fills defaults and refuses anything unsafe; throws AG_ERR_CONFIG_INVALID. */
export function resolveConfig(options: VerifierOptions): VerifierConfig {
  if (options.issuers.length === 0)
    throw agError('AG_ERR_CONFIG_INVALID', 'at least one OIDC issuer is required');
  const issuers = options.issuers.map((i) => resolveIssuer(i, options));
  const seen = new Set<string>();
  for (const i of issuers) {
    if (seen.has(i.issuer)) throw agError('AG_ERR_CONFIG_INVALID', `issuer ${i.issuer} is configured twice`);
    seen.add(i.issuer);
  }
  return {
    issuers,
    clockSkewSeconds: positive('clock skew', options.clockSkewSeconds, DEFAULTS.clockSkewSeconds, true),
    requireExpiry: options.requireExpiry ?? true,
    jwksRefreshSeconds: positive('jwks refresh', options.jwksRefreshSeconds, DEFAULTS.jwksRefreshSeconds),
    jwksCooldownSeconds: positive(
      'jwks cooldown',
      options.jwksCooldownSeconds,
      DEFAULTS.jwksCooldownSeconds,
      true,
    ),
    jwksMaxStaleSeconds: positive(
      'jwks max stale',
      options.jwksMaxStaleSeconds,
      DEFAULTS.jwksMaxStaleSeconds,
    ),
    fetchTimeoutMs: positive('fetch timeout', options.fetchTimeoutMs, DEFAULTS.fetchTimeoutMs),
    maxTokenBytes: positive('max token bytes', options.maxTokenBytes, DEFAULTS.maxTokenBytes),
    cacheSize: positive('cache size', options.cacheSize, DEFAULTS.cacheSize, true),
  };
}
