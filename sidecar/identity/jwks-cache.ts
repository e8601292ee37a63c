// One issuer's signing keys: fetched at start, refreshed on a schedule and when
// a token names a kid we have not seen (at most once per cooldown), and kept
// through issuer outages for jwksMaxStaleSeconds. Lookups never wait on the
// network unless the answer would otherwise be a refusal.

import { readFile } from 'node:fs/promises';
import { importJWK, type JWK } from 'jose';
import { agError } from '../../common/errors.js';
import type { IssuerConfig, VerifierConfig } from './config.js';
import { discoverJwksUri } from './discovery.js';
import type { HttpGet } from './http-get.js';
import type { IdentityLogger } from './logger.js';
import { isObject } from './token-parts.js';

/** A verification key as jose takes it. */
export type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

const MAX_KEYS = 100;

interface KeyEntry {
  readonly jwk: JWK;
  /** Imported lazily per algorithm: a JWK without `alg` may serve RS256 and PS256 alike. */
  readonly imported: Map<string, Promise<VerifyKey | undefined>>;
  /** The same keys once imported, for the synchronous warm path. */
  readonly ready: Map<string, VerifyKey>;
}

function ktyFor(alg: string): string {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'RSA';
  if (alg.startsWith('ES')) return 'EC';
  return 'OKP';
}

/** Public signing keys only: private members, symmetric keys and encryption keys are dropped. */
export function parseJwks(body: Buffer): JWK[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('JWKS is not JSON');
  }
  if (!isObject(doc) || !Array.isArray(doc['keys'])) throw new Error('JWKS has no keys array');
  const keys: JWK[] = [];
  for (const k of doc['keys'].slice(0, MAX_KEYS)) {
    if (!isObject(k) || typeof k['kty'] !== 'string' || k['kty'] === 'oct') continue;
    if ('d' in k || (k['use'] !== undefined && k['use'] !== 'sig')) continue;
    keys.push(k as JWK);
  }
  return keys;
}

export interface IssuerStatus {
  readonly issuer: string;
  readonly ready: boolean;
  readonly keyIds: readonly string[];
  /** ISO time of the last successful key fetch. */
  readonly lastFetch?: string;
  /** Why the last fetch failed, when it did. */
  readonly lastError?: string;
}

export class IssuerKeys {
  private entries: KeyEntry[] = [];
  private jwksUri: string | undefined;
  private lastSuccessMs: number | undefined;
  private lastAttemptMs: number | undefined;
  private lastError = 'keys not fetched yet';
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly issuer: IssuerConfig,
    private readonly config: VerifierConfig,
    private readonly get: HttpGet,
    private readonly nowMs: () => number,
    private readonly log: IdentityLogger,
    /** Called when the key set changed, so remembered verifications can be dropped. */
    private readonly onChange: () => void,
  ) {
    this.jwksUri = issuer.jwksUri;
  }

  /** First fetch, then the schedule. The timer is unref'd: it never keeps the process alive. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.jwksRefreshSeconds * 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Keys are loaded and not older than the stale limit. */
  ready(): boolean {
    return this.usable();
  }

  /** For the admin endpoint: what an operator needs to see why tokens of this issuer are refused. */
  status(): IssuerStatus {
    const usable = this.usable();
    return {
      issuer: this.issuer.issuer,
      ready: usable,
      keyIds: this.entries.map((e) => e.jwk.kid ?? '(none)'),
      ...(this.lastSuccessMs === undefined ? {} : { lastFetch: new Date(this.lastSuccessMs).toISOString() }),
      ...(usable && this.lastAttemptMs === this.lastSuccessMs ? {} : { lastError: this.lastError }),
    };
  }

  private usable(): boolean {
    if (this.lastSuccessMs === undefined || this.entries.length === 0) return false;
    if (this.nowMs() - this.lastSuccessMs > this.config.jwksMaxStaleSeconds * 1000) {
      // Too old to trust: a key the issuer revoked during a long outage must not live forever.
      this.entries = [];
      this.onChange();
      return false;
    }
    return true;
  }

  private mayRefresh(): boolean {
    return (
      this.lastAttemptMs === undefined ||
      this.nowMs() - this.lastAttemptMs >= this.config.jwksCooldownSeconds * 1000
    );
  }

  /** Single flight: concurrent callers share one fetch. Never throws; failures keep the old keys. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptMs = this.nowMs();
    try {
      const headers: Record<string, string> = {};
      if (this.issuer.bearerTokenFile !== undefined) {
        const credential = (await readFile(this.issuer.bearerTokenFile, 'utf8')).trim();
        headers['authorization'] = `Bearer ${credential}`;
      }
      this.jwksUri ??= await discoverJwksUri(this.issuer, this.get, this.config.fetchTimeoutMs, headers);
      const res = await this.get(this.jwksUri, headers);
      if (res.status !== 200) throw new Error(`JWKS answered HTTP ${res.status}`);
      const jwks = parseJwks(res.body);
      if (jwks.length === 0) throw new Error('JWKS holds no usable signing key');
      const before = this.fingerprint();
      this.entries = jwks.map((jwk) => ({ jwk, imported: new Map(), ready: new Map() }));
      this.lastSuccessMs = this.nowMs();
      if (this.fingerprint() !== before) {
        this.log.info(
          { issuer: this.issuer.issuer, kids: jwks.map((k) => k.kid ?? '(none)') },
          'issuer keys loaded',
        );
        this.onChange();
      }
    } catch (e) {
      // Discover again next time: the issuer may have moved its keys.
      if (this.issuer.jwksUri === undefined) this.jwksUri = undefined;
      this.lastError = reason(e);
      this.log.warn(
        { issuer: this.issuer.issuer, reason: this.lastError, cachedKeys: this.entries.length },
        'issuer keys could not be refreshed',
      );
    }
  }

  private fingerprint(): string {
    return JSON.stringify(this.entries.map((e) => e.jwk));
  }

  private find(alg: string, kid: string | undefined): KeyEntry[] {
    const kty = ktyFor(alg);
    return this.entries.filter(
      (e) =>
        (kid === undefined || e.jwk.kid === kid) &&
        e.jwk.kty === kty &&
        (e.jwk.alg === undefined || e.jwk.alg === alg),
    );
  }

  /**
   * The warm path, no promise involved: the keys for this header when every
   * candidate is already imported, else undefined (then call keysFor).
   */
  warmKeysFor(alg: string, kid: string | undefined): VerifyKey[] | undefined {
    if (!this.usable()) return undefined;
    const found = this.find(alg, kid);
    if (found.length === 0) return undefined;
    const keys: VerifyKey[] = [];
    for (const entry of found) {
      const key = entry.ready.get(alg);
      if (key === undefined) return undefined;
      keys.push(key);
    }
    return keys;
  }

  /**
   * Candidate keys for a token's header. Waits on the issuer only when the
   * answer would otherwise be a refusal: no keys at all, or an unknown kid
   * (the issuer may just have rotated) and the cooldown has passed.
   */
  async keysFor(alg: string, kid: string | undefined): Promise<VerifyKey[]> {
    if (!this.usable() && this.mayRefresh()) await this.refresh();
    if (!this.usable()) {
      throw agError('AG_ERR_AUTH_ISSUER_UNAVAILABLE', this.issuer.issuer, this.lastError);
    }
    let found = this.find(alg, kid);
    if (found.length === 0 && this.mayRefresh()) {
      await this.refresh();
      found = this.find(alg, kid);
    }
    if (found.length === 0) {
      throw agError(
        'AG_ERR_AUTH_TOKEN_INVALID',
        `no ${alg} signing key of the issuer matches the token's key id`,
      );
    }
    const keys: VerifyKey[] = [];
    for (const entry of found) {
      let p = entry.imported.get(alg);
      if (p === undefined) {
        p = importJWK(entry.jwk, alg).then(
          (key) => {
            entry.ready.set(alg, key);
            return key;
          },
          () => undefined,
        );
        entry.imported.set(alg, p);
      }
      const key = await p;
      if (key !== undefined) keys.push(key);
    }
    if (keys.length === 0) {
      throw agError('AG_ERR_AUTH_TOKEN_INVALID', `the issuer's key for the token cannot verify ${alg}`);
    }
    return keys;
  }
}

/** The messages along an error's cause chain (openid-client wraps the TLS or socket error that explains it). */
export function reason(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur !== undefined && cur !== null; depth++) {
    // Duck-typed: errors from another realm (node internals under a test VM) fail instanceof.
    const obj = typeof cur === 'object' ? (cur as { message?: unknown; cause?: unknown }) : undefined;
    const msg = typeof obj?.message === 'string' ? obj.message : typeof cur === 'string' ? cur : '';
    if (msg !== '' && !parts.includes(msg)) parts.push(msg);
    cur = obj?.cause;
  }
  return parts.length === 0 ? 'unknown error' : parts.join(': ');
}
