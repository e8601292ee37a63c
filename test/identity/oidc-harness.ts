// A real OpenID provider (panva's oidc-provider) on loopback for tests: it
// issues client-credentials access tokens in JWT format with a groups claim,
// serves discovery and JWKS, rotates keys, and can be made unreachable.
// Other areas' integration tests use it to mint tokens for their agents:
//
//   const idp = await startOidcProvider();
//   const token = await idp.mintToken(['ai-agents']);
//   ... connect with password = token ...
//   await idp.close();

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

export type SigningAlg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';

export interface OidcHarnessOptions {
  /** Signing algorithm of the provider's keys. Default RS256. */
  alg?: SigningAlg;
  /** The `aud` of minted tokens. Default `agentgate`. */
  audience?: string;
  /** Groups put in tokens when mintToken is given none. Default none. */
  groups?: readonly string[];
  /** Serve https with a certificate from a throwaway CA (written to `caFile`). */
  tls?: boolean;
  /** Answer discovery and JWKS only to `Authorization: Bearer <this>`, as the Kubernetes API server does without the discovery binding. */
  requireBearer?: string;
}

export interface MintOptions {
  /** Overrides `sub` (the client id otherwise). */
  subject?: string;
  /** Another audience than the harness's. */
  audience?: string;
  /** Token lifetime in seconds. Default 600. */
  expiresIn?: number;
  /** Extra claims, e.g. `{ realm_access: { roles: [...] } }` or a `kubernetes.io` claim. */
  claims?: Record<string, unknown>;
}

export interface OidcHarness {
  readonly issuer: string;
  readonly audience: string;
  /** PEM of the throwaway CA when `tls` was asked for. */
  readonly caFile: string | undefined;
  /** A real client-credentials grant at the provider's token endpoint. */
  mintToken(groups?: readonly string[], options?: MintOptions): Promise<string>;
  /** Signs arbitrary claims and header fields with the provider's current key (for edge cases the provider would never issue). */
  sign(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** Public keys currently served. */
  publicJwks(): JWK[];
  currentKid(): string;
  /** Adds a new signing key (served first, signs from now on) and keeps the old one published. */
  rotateKeys(): Promise<string>;
  /** Drops every key but the current one from the JWKS. */
  retireOldKeys(): void;
  /** While down, every connection is reset: discovery, JWKS and token requests fail. */
  setDown(down: boolean): void;
  /** How many JWKS documents were served. */
  jwksRequests(): number;
  close(): Promise<void>;
}

const CLIENT_ID = 'test-agent';
const CLIENT_SECRET = 'test-agent-secret-0123456789abcdef';
const RESOURCE = 'https://agentgate.test/';

interface KeyPair {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
  readonly privateKey: CryptoKey;
}

let kidCounter = 0;

/**
 * oidc-provider's own in-memory adapter warns on every start; this one keeps
 * the same (test-only) behaviour quietly. Client-credentials grants store
 * nothing but opaque artefacts we never ask for again.
 */
class MemoryAdapter {
  private static readonly store = new Map<string, unknown>();
  constructor(private readonly model: string) {}
  private key(id: string): string {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: unknown): Promise<void> {
    MemoryAdapter.store.set(this.key(id), payload);
  }
  async find(id: string): Promise<unknown> {
    return MemoryAdapter.store.get(this.key(id));
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(id: string): Promise<void> {
    MemoryAdapter.store.delete(this.key(id));
  }
  async revokeByGrantId(): Promise<void> {}
}

async function newKey(alg: SigningAlg): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k${++kidCounter}-${Date.now().toString(36)}`;
  return {
    kid,
    privateKey,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

export async function startOidcProvider(options: OidcHarnessOptions = {}): Promise<OidcHarness> {
  const alg = options.alg ?? 'RS256';
  const audience = options.audience ?? 'agentgate';
  const defaultGroups = options.groups ?? [];
  let keys: KeyPair[] = [await newKey(alg)];
  let down = false;
  let jwksCount = 0;
  let handler: http.RequestListener = (_req, res) => res.end();

  // Per-mint wishes reach the provider's hooks through this slot; mints run one at a time.
  let pending: { groups: readonly string[]; options: MintOptions } = { groups: defaultGroups, options: {} };
  let queue: Promise<unknown> = Promise.resolve();

  const dir = options.tls === true ? mkdtempSync(join(tmpdir(), 'agentgate-oidc-')) : undefined;
  const tls = dir === undefined ? undefined : certificate(dir);
  const listener: http.RequestListener = (req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const isKeyRequest = req.url === '/jwks' || req.url?.startsWith('/.well-known/') === true;
    if (isKeyRequest && options.requireBearer !== undefined) {
      if (req.headers.authorization !== `Bearer ${options.requireBearer}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
        return;
      }
    }
    if (req.url === '/jwks') jwksCount++;
    handler(req, res);
  };
  const server = tls === undefined ? http.createServer(listener) : https.createServer(tls, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;

  const build = (): Provider => {
    const configuration: Configuration = {
      adapter: MemoryAdapter as unknown as Configuration['adapter'],
      ttl: { ClientCredentials: () => pending.options.expiresIn ?? 600 },
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_post',
          id_token_signed_response_alg: alg,
        },
      ],
      jwks: { keys: keys.map((k) => k.privateJwk) },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'db',
            audience: pending.options.audience ?? audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: pending.options.expiresIn ?? 600,
            jwt: { sign: { alg } },
          }),
        },
      },
      formats: {
        customizers: {
          jwt: (_ctx, _token, jwt) => {
            const payload = jwt.payload as Record<string, unknown>;
            payload['groups'] = [...pending.groups];
            if (pending.options.subject !== undefined) payload['sub'] = pending.options.subject;
            Object.assign(payload, pending.options.claims ?? {});
          },
        },
      },
    };
    const provider = new Provider(issuer, configuration);
    return provider;
  };
  handler = build().callback();

  const tokenRequest = async (): Promise<string> => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      resource: RESOURCE,
      scope: 'db',
    });
    const res = await postForm(`${issuer}/token`, body.toString(), tls?.ca);
    const json = JSON.parse(res) as { access_token?: string; error?: string; error_description?: string };
    if (json.access_token === undefined) {
      throw new Error(`token endpoint refused: ${json.error}: ${json.error_description}`);
    }
    return json.access_token;
  };

  const harness: OidcHarness = {
    issuer,
    audience,
    caFile: tls?.caFile,
    mintToken(groups = defaultGroups, mintOptions = {}) {
      const run = queue.then(async () => {
        pending = { groups, options: mintOptions };
        try {
          return await tokenRequest();
        } finally {
          pending = { groups: defaultGroups, options: {} };
        }
      });
      queue = run.catch(() => undefined);
      return run;
    },
    async sign(claims, header = {}) {
      const key = keys[0]!;
      return new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, ...header }).sign(key.privateKey);
    },
    publicJwks: () => keys.map((k) => k.publicJwk),
    currentKid: () => keys[0]!.kid,
    async rotateKeys() {
      keys = [await newKey(alg), ...keys];
      handler = build().callback();
      return keys[0]!.kid;
    },
    retireOldKeys() {
      keys = keys.slice(0, 1);
      handler = build().callback();
    },
    setDown(value) {
      down = value;
    },
    jwksRequests: () => jwksCount,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A throwaway CA and a certificate for 127.0.0.1 signed by it, made with the openssl command. */
function certificate(dir: string): { key: Buffer; cert: Buffer; ca: Buffer; caFile: string } {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=agentgate test CA',
  ]);
  run(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1']);
  run(
    [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'leaf.pem',
    ].concat(['-days', '2', '-extfile', 'leaf.ext']),
  );
  return {
    key: readFileSync(join(dir, 'leaf.key')),
    cert: readFileSync(join(dir, 'leaf.pem')),
    ca: readFileSync(join(dir, 'ca.pem')),
    caFile: join(dir, 'ca.pem'),
  };
}

function postForm(url: string, body: string, ca: Buffer | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
        ...(ca === undefined ? {} : { ca }),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
