// Keeps every webhook replica on one CA and certificate when the webhook makes
// its own: the shared copy lives in a store (a Secret), the local copy in the
// certificate folder the server reloads from. Each round adopts the stored
// copy, renews what needs renewing, and writes back only with the version it
// read; a replica that loses the race adopts the winner's copy next round.
// Finally the CA bundle is published where the API server reads it.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agError } from '../common/errors.js';
import {
  type CertificateOptions,
  type CertificateSet,
  ensureCertificates,
  FILES,
  writeCertificateFiles,
} from './certs.js';

export interface CertificateStore {
  /** The stored files (name -> PEM) and their version; undefined when nothing is stored. */
  read(): Promise<{ files: Record<string, string>; version: string } | undefined>;
  /** Writes when the stored version is still `version` (undefined: create). */
  write(files: Record<string, string>, version: string | undefined): Promise<'ok' | 'conflict'>;
  /** Puts the CA bundle where clients of the webhook read it (the webhook configuration's caBundle). */
  publishBundle(caBundle: string): Promise<void>;
}

const NAMES = [FILES.caCert, FILES.caKey, FILES.cert, FILES.key, FILES.bundle] as const;

async function localFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of NAMES) out[n] = await readFile(join(dir, n), 'utf8');
  return out;
}

function same(a: Record<string, string>, b: Record<string, string>): boolean {
  return NAMES.every((n) => a[n] === b[n]);
}

export async function syncCertificates(
  dir: string,
  opts: CertificateOptions,
  store: CertificateStore,
  maxRounds = 5,
): Promise<CertificateSet> {
  for (let round = 0; round < maxRounds; round++) {
    const stored = await store.read();
    if (stored !== undefined && NAMES.every((n) => typeof stored.files[n] === 'string')) {
      await writeCertificateFiles(dir, stored.files);
    }
    const set = await ensureCertificates(dir, opts);
    const local = await localFiles(dir);
    if (stored === undefined || !same(stored.files, local)) {
      const result = await store.write(local, stored?.version);
      if (result === 'conflict') continue;
    }
    await store.publishBundle(set.caBundle);
    return set;
  }
  throw agError(
    'AG_ERR_WEBHOOK_TLS',
    `could not agree on certificates with the other replicas after ${maxRounds} rounds`,
  );
}
