// Upstream credentials from files, as a mounted Secret looks:
// DIR/<target>/username and DIR/<target>/password (or the folder named by the
// target's credentialsSecretRef). Read on first use, then again whenever the
// folder changes (kubelet swaps a Secret's files atomically through a symlink,
// which the watch sees); a short TTL covers file systems that do not notify.

import { existsSync, type FSWatcher, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../../api/types.js';
import type { Credentials } from '../protocols/gateway-context.js';

const TTL_MS = 30_000;

interface Entry {
  readonly creds: Credentials | undefined;
  readonly at: number;
}

export class CredentialStore {
  private readonly cache = new Map<string, Entry>();
  private watcher: FSWatcher | null = null;

  constructor(
    private readonly dir: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (dir !== undefined && existsSync(dir)) {
      try {
        this.watcher = watch(dir, { recursive: true, persistent: false }, () => this.cache.clear());
      } catch {
        // Without notifications the TTL still picks changes up.
      }
    }
  }

  get(target: Target): Credentials | undefined {
    if (this.dir === undefined) return undefined;
    const hit = this.cache.get(target.name);
    if (hit !== undefined && this.now() - hit.at < TTL_MS) return hit.creds;
    const creds =
      this.read(target.name) ??
      (target.credentialsSecretRef ? this.read(target.credentialsSecretRef.name) : undefined);
    this.cache.set(target.name, { creds, at: this.now() });
    return creds;
  }

  /** A file in the secrets folder, for CA certificates named by caSecretRef (`ca.crt`). */
  file(folder: string, name: string): string | undefined {
    if (this.dir === undefined) return undefined;
    try {
      return readFileSync(join(this.dir, folder, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  private read(folder: string): Credentials | undefined {
    try {
      const username = readFileSync(join(this.dir!, folder, 'username'), 'utf8').trim();
      const password = readFileSync(join(this.dir!, folder, 'password'), 'utf8').replace(/\r?\n$/, '');
      return username === '' ? undefined : { username, password };
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}
