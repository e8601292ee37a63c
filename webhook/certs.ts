// The webhook's own CA and serving certificate, for clusters without
// cert-manager. ECDSA P-256 through WebCrypto, certificates built by
// @peculiar/x509. Files are laid out as a kubernetes.io/tls Secret mounts them
// (tls.crt, tls.key, ca.crt) plus ca.key and ca-bundle.crt: the bundle keeps the
// previous CA while it is still valid, so an API server that cached the old
// caBundle keeps trusting us while the new one propagates (the stale-caBundle
// outage other injectors are known for).

import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the
// Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { agError } from '../common/errors.js';

const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateOptions {
  /** DNS names the serving certificate is valid for (service.namespace.svc, ...). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly caValidDays?: number;
  readonly servingValidDays?: number;
  /** Renew the serving certificate this many days before it expires. */
  readonly renewBeforeDays?: number;
  /** Replace the CA this many days before it expires (the old one stays in the bundle). */
  readonly caRenewBeforeDays?: number;
  readonly now?: () => Date;
}

export interface CertificateSet {
  readonly ca: KeyPairPem;
  readonly serving: KeyPairPem;
  /** PEM of every CA a client should trust: the current one first, then the previous while valid. */
  readonly caBundle: string;
  /** What changed in this call: nothing, the serving certificate, or the CA (and so the serving certificate). */
  readonly changed: 'none' | 'serving' | 'ca';
}

export const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  cert: 'tls.crt',
  key: 'tls.key',
  bundle: 'ca-bundle.crt',
} as const;

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (der === undefined) throw agError('AG_ERR_WEBHOOK_TLS', 'no PEM block in the CA key');
  return crypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
}

async function keys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

function serial(): string {
  // Positive, 16 random bytes: RFC 5280 wants at most 20 octets, unpredictable.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f;
  return Buffer.from(b).toString('hex');
}

export async function generateCa(commonName: string, validDays: number, now: Date): Promise<KeyPairPem> {
  const kp = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=${commonName}`,
      notBefore: new Date(now.getTime() - 5 * 60_000), // clock skew between nodes
      notAfter: new Date(now.getTime() + validDays * DAY),
      signingAlgorithm: ALG,
      keys: kp,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(kp.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString('pem'), key: await keyPem(kp.privateKey) };
}

export async function issueServing(
  ca: KeyPairPem,
  dnsNames: readonly string[],
  ipAddresses: readonly string[],
  validDays: number,
  now: Date,
): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const kp = await keys();
  const names = [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${dnsNames[0] ?? ipAddresses[0] ?? 'agentgate-webhook'}`,
      issuer: caCert.subject,
      notBefore: new Date(now.getTime() - 5 * 60_000),
      notAfter: new Date(now.getTime() + validDays * DAY),
      signingAlgorithm: ALG,
      publicKey: kp.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(names, false),
        await x509.SubjectKeyIdentifierExtension.create(kp.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString('pem'), key: await keyPem(kp.privateKey) };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parse(pem: string | undefined): NodeX509 | undefined {
  if (pem === undefined) return undefined;
  try {
    return new NodeX509(pem);
  } catch {
    return undefined;
  }
}

/** Every certificate in a PEM bundle. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function expiresWithin(cert: NodeX509, days: number, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() < days * DAY;
}

function servingFits(
  serving: NodeX509 | undefined,
  ca: NodeX509,
  opts: CertificateOptions,
  now: Date,
): boolean {
  if (serving === undefined) return false;
  if (!serving.checkIssued(ca) || !serving.verify(ca.publicKey)) return false;
  if (expiresWithin(serving, opts.renewBeforeDays ?? 30, now)) return false;
  const san = serving.subjectAltName ?? '';
  const want = [
    ...opts.dnsNames.map((d) => `DNS:${d}`),
    ...(opts.ipAddresses ?? []).map((ip) => `IP Address:${ip}`),
  ];
  return want.every((w) => san.split(', ').includes(w));
}

async function writeAtomic(dir: string, name: string, text: string, mode: number): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, text, { mode });
  await rename(tmp, join(dir, name));
}

/**
 * Makes `dir` hold a valid CA and serving certificate for `opts`, reusing what
 * is there when it still fits and renewing what does not. Idempotent.
 */
export async function ensureCertificates(dir: string, opts: CertificateOptions): Promise<CertificateSet> {
  const now = (opts.now ?? (() => new Date()))();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [caCertPem, caKeyPem, certPem, keyPemText, bundlePem] = await Promise.all(
    [FILES.caCert, FILES.caKey, FILES.cert, FILES.key, FILES.bundle].map((f) => readOptional(join(dir, f))),
  );
  let ca: KeyPairPem | undefined = caCertPem && caKeyPem ? { cert: caCertPem, key: caKeyPem } : undefined;
  let caX = parse(ca?.cert);
  let changed: CertificateSet['changed'] = 'none';
  const previous: string[] = [];
  if (ca === undefined || caX === undefined || expiresWithin(caX, opts.caRenewBeforeDays ?? 90, now)) {
    if (ca !== undefined && caX !== undefined && new Date(caX.validTo) > now) previous.push(ca.cert.trim());
    ca = await generateCa('agentgate-webhook-ca', opts.caValidDays ?? 3650, now);
    caX = parse(ca.cert)!;
    changed = 'ca';
  }
  const existing: KeyPairPem | undefined =
    certPem && keyPemText ? { cert: certPem, key: keyPemText } : undefined;
  let serving: KeyPairPem;
  if (existing !== undefined && changed !== 'ca' && servingFits(parse(existing.cert), caX, opts, now)) {
    serving = existing;
  } else {
    serving = await issueServing(
      ca,
      opts.dnsNames,
      opts.ipAddresses ?? [],
      opts.servingValidDays ?? 365,
      now,
    );
    if (changed === 'none') changed = 'serving';
  }
  // Keep earlier CAs from the old bundle while they are valid.
  for (const pem of splitPem(bundlePem ?? '')) {
    const c = parse(pem);
    if (
      c &&
      new Date(c.validTo) > now &&
      c.fingerprint256 !== caX.fingerprint256 &&
      !previous.includes(pem.trim())
    ) {
      previous.push(pem.trim());
    }
  }
  const caBundle = `${[ca.cert.trim(), ...previous].join('\n')}\n`;
  if (changed !== 'none' || bundlePem !== caBundle) {
    if (changed === 'ca') {
      await writeAtomic(dir, FILES.caKey, ca.key, 0o600);
      await writeAtomic(dir, FILES.caCert, ca.cert, 0o644);
    }
    await writeAtomic(dir, FILES.bundle, caBundle, 0o644);
    if (changed !== 'none') {
      // Key first: a reader that sees the new cert must find its key.
      await writeAtomic(dir, FILES.key, serving.key, 0o600);
      await writeAtomic(dir, FILES.cert, serving.cert, 0o644);
    }
  }
  return { ca, serving, caBundle, changed };
}

/** Writes certificate files (as a stored copy holds them) into `dir`, key before certificate. */
export async function writeCertificateFiles(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, mode] of [
    [FILES.caKey, 0o600],
    [FILES.caCert, 0o644],
    [FILES.bundle, 0o644],
    [FILES.key, 0o600],
    [FILES.cert, 0o644],
  ] as const) {
    const text = files[name];
    if (text !== undefined) await writeAtomic(dir, name, text, mode);
  }
}
