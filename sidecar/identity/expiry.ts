// Checked before every command of a session: a token's lifetime bounds the
// session it opened. Pure and synchronous so the command path never waits.

import type { Identity } from './identity.js';

/**
 * True when the identity's token expired more than `graceSeconds` ago.
 * Identities without an expiry (anonymous, or a token issued without `exp`
 * where that is allowed) never expire here.
 */
export function isExpired(identity: Identity, nowSeconds: number, graceSeconds = 0): boolean {
  return identity.expiresAt !== undefined && nowSeconds > identity.expiresAt + graceSeconds;
}
