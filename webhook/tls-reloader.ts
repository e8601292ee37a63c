// Serving certificates reloaded from disk without a restart: a rotated Secret
// (the kubelet swaps the mount's ..data link) or cert-manager renewing it. New
// connections get the new certificate; open keep-alive connections finish on
// the old one. A pair that does not parse, or whose key does not match, is
// ignored and the last good pair stays in use.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { agError } from '../common/errors.js';

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

/** Reads and checks a certificate and its key. */
export async function readPair(certFile: string, keyFile: string): Promise<TlsPair> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (err) {
    throw agError('AG_ERR_WEBHOOK_TLS', `cannot read ${certFile} or ${keyFile}: ${(err as Error).message}`);
  }
  try {
    const x = new X509Certificate(cert);
    if (!x.checkPrivateKey(createPrivateKey(key))) {
      throw new Error('the key does not belong to the certificate');
    }
  } catch (err) {
    throw agError('AG_ERR_WEBHOOK_TLS', `${certFile}: ${(err as Error).message}`);
  }
  return { cert, key };
}

export interface ReloaderOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** Applies a new pair (tls.Server#setSecureContext). */
  readonly apply: (pair: TlsPair) => void;
  readonly onReload?: (err: Error | undefined) => void;
  /** Also re-read on this interval: watches miss events on some filesystems. */
  readonly pollMs?: number;
}

export interface Reloader {
  /** Re-reads now; resolves true when a new pair was applied. */
  check(): Promise<boolean>;
  close(): void;
}

export function startReloader(initial: TlsPair, opts: ReloaderOptions): Reloader {
  let current = initial;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  const check = async (): Promise<boolean> => {
    try {
      const next = await readPair(opts.certFile, opts.keyFile);
      if (next.cert === current.cert && next.key === current.key) return false;
      opts.apply(next);
      current = next;
      opts.onReload?.(undefined);
      return true;
    } catch (err) {
      // Half-written rotation (cert before key) lands here; the next event retries.
      opts.onReload?.(err as Error);
      return false;
    }
  };
  const serialized = (): Promise<boolean> => {
    running = (running ?? Promise.resolve(false)).then(check, check);
    return running;
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(opts.certFile), dirname(opts.keyFile)])) {
    try {
      const w = watch(dir, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void serialized(), 100);
      });
      w.on('error', () => {});
      watchers.push(w);
    } catch {
      // No watch support: the poll below still reloads.
    }
  }
  const poll = setInterval(() => void serialized(), opts.pollMs ?? 60_000);
  poll.unref();
  return {
    check: serialized,
    close: () => {
      clearTimeout(timer);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
