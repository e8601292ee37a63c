// Checks a session's hash chain as `agentgate sessions verify` reports it. Each
// link is recomputed from the span's content and the stored hash of the span
// before it, so an edited span, an edited hash, a removed or reordered span each
// show as a named problem. Links of chain v2 (chain.ts) and of chain v1
// (chain-v1.ts, written by earlier sidecars) are both accepted; a sidecar
// upgraded in the middle of a session continues a v1 chain with v2 links.

import { CHAIN_HASH, CHAIN_INDEX, CHAIN_LENGTH, genesisHash, linkHash } from './chain.js';
import { genesisHashV1, linkHashV1 } from './chain-v1.js';
import type { AuditSession } from './session-store.js';
import type { SpanRecord } from './span-record.js';

/** Whether `stored` is the link of `span` after `prev` (undefined: after the session's genesis), in either version. */
function linkOk(traceId: string, prev: string | undefined, span: SpanRecord, stored: string): boolean {
  if (linkHash(prev ?? genesisHash(traceId), span) === stored) return true;
  return linkHashV1(prev ?? genesisHashV1(traceId), span) === stored;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Command spans whose link checked out. */
  readonly verified: number;
  readonly finalHash: string | undefined;
}

export function verifySession(s: AuditSession): VerifyResult {
  const problems: string[] = [];
  let prev: string | undefined;
  let verified = 0;
  let expected = 1;
  for (const c of s.commands) {
    const index = c.attributes[CHAIN_INDEX];
    const stored = c.attributes[CHAIN_HASH];
    const label = `command span ${c.spanId} (chain index ${String(index)})`;
    if (typeof index !== 'number' || typeof stored !== 'string') {
      problems.push(`${label} carries no chain attributes`);
      continue;
    }
    if (index > expected) {
      problems.push(
        index === expected + 1
          ? `command ${expected} is missing`
          : `commands ${expected} to ${index - 1} are missing`,
      );
    } else if (index < expected) {
      problems.push(`${label} repeats an index already seen`);
    }
    expected = index + 1;
    if (!linkOk(s.id, prev, c, stored)) problems.push(`${label}: hash does not match its content`);
    else verified++;
    prev = stored;
  }
  let finalHash: string | undefined;
  if (s.root === undefined) {
    problems.push('the session span is missing (session still open, or lost)');
  } else {
    const stored = s.root.attributes[CHAIN_HASH];
    const length = s.root.attributes[CHAIN_LENGTH];
    finalHash = typeof stored === 'string' ? stored : undefined;
    if (typeof length === 'number' && length !== expected - 1) {
      if (length > expected - 1) {
        problems.push(
          length === expected
            ? `command ${expected} is missing`
            : `commands ${expected} to ${length} are missing`,
        );
      } else problems.push(`the session span counts ${length} commands but ${expected - 1} are chained`);
    }
    if (stored === undefined) problems.push('the session span carries no chain hash');
    else if (typeof stored !== 'string' || !linkOk(s.id, prev, s.root, stored))
      problems.push('the session span: hash does not match its content');
  }
  return { ok: problems.length === 0, problems, verified, finalHash };
}
