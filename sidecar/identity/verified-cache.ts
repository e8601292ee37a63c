// Remembers verified tokens by their SHA-256, so an agent that opens many
// connections with one token pays for the signature check once. Keyed by
// digest: the token itself is never kept. Bounded; the oldest entry goes first.

import type { Identity } from './identity.js';

export interface Verified {
  readonly identity: Identity;
  /** The token's nbf (0 when absent): re-checked on every hit along with exp. */
  readonly notBefore: number;
}

export class VerifiedCache {
  private readonly entries = new Map<string, Verified>();

  constructor(private readonly capacity: number) {}

  get(digest: string): Verified | undefined {
    return this.entries.get(digest);
  }

  set(digest: string, value: Verified): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(digest, value);
  }

  /** Called when any issuer's keys change: a verification made with a retired key must be made again. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
