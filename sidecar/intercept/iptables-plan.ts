// The plan: a pure function from a RedirectConfig (and what the nat table
// holds now) to the exact text `iptables-restore --noflush` gets. Nothing here
// runs a command; iptables-runner.ts does, and golden files pin this text.
//
// Traffic path for an agent's `connect(10.0.3.7:5432)`:
//   nat OUTPUT -> (tcp) AGENTGATE_OUTPUT -> exemptions RETURN, else
//   AGENTGATE_REDIRECT -> REDIRECT --to-ports <proxy port>   (lands on 127.0.0.1 / ::1)

import {
  CHAIN_PREFIX,
  COMMENT_PREFIX,
  isOwnedChain,
  isOwnedReference,
  type NatState,
  purposeOf,
} from './iptables-save.js';
import type { RedirectConfig } from './redirect-config.js';

export type Family = 4 | 6;

export const OUTPUT_CHAIN = `${CHAIN_PREFIX}OUTPUT`;
export const REDIRECT_CHAIN = `${CHAIN_PREFIX}REDIRECT`;
const OUR_CHAINS = [OUTPUT_CHAIN, REDIRECT_CHAIN] as const;

/** Destinations that never leave the pod. 127/8 is all loopback, not just 127.0.0.1. */
const LOOPBACK: Record<Family, string> = { 4: '127.0.0.0/8', 6: '::1/128' };

export interface PlannedRule {
  readonly chain: string;
  /** Matches, without the comment and the target. */
  readonly match: string;
  /** What `agentgate/<purpose>` says about the rule. */
  readonly purpose: string;
  readonly target: string;
}

export interface FamilyPlan {
  readonly family: Family;
  /** The rules that must exist afterwards, in the order iptables-save lists them. */
  readonly rules: readonly PlannedRule[];
  /** Input for `iptables-restore --noflush` (or `ip6tables-restore`). Empty when there is nothing to do. */
  readonly restore: string;
}

/** The line iptables-save prints for a rule; we write rules in that canonical form so they read back identically. */
export function ruleLine(rule: PlannedRule): string {
  const match = rule.match === '' ? '' : `${rule.match} `;
  return `-A ${rule.chain} ${match}-m comment --comment "${COMMENT_PREFIX}${rule.purpose}" -j ${rule.target}`;
}

function portMatch(from: number, to: number): string {
  return `-p tcp -m tcp --dport ${from === to ? from : `${from}:${to}`}`;
}

/** The rules of our chains and the jump into them, for one address family. */
export function plannedRules(config: RedirectConfig, family: Family): PlannedRule[] {
  const out = (match: string, purpose: string, target = 'RETURN'): PlannedRule => ({
    chain: OUTPUT_CHAIN,
    match,
    purpose,
    target,
  });
  const rules: PlannedRule[] = [
    // Into our chain, TCP only: DNS over UDP and everything else keep their path.
    { chain: 'OUTPUT', match: '-p tcp', purpose: 'output', target: OUTPUT_CHAIN },
  ];
  // The sidecar's own connections (to the real databases) must go out as they are;
  // otherwise they would loop back into it. UID and GID both, as Istio does: a
  // process may keep the group while switching user.
  rules.push(out(`-m owner --uid-owner ${config.proxyUid}`, 'proxy-uid'));
  rules.push(out(`-m owner --gid-owner ${config.proxyGid}`, 'proxy-gid'));
  // Probes and tools reaching the sidecar's admin port over the pod's own address
  // travel through lo; a remote host's port of the same number is still redirected.
  if (config.adminPort !== undefined) {
    rules.push(out(`-o lo ${portMatch(config.adminPort, config.adminPort)}`, 'admin-port'));
  }
  // Loopback destinations stay in the pod (explicit localPort listeners, sibling
  // containers). Matched by destination, not by `-o lo`: a connection to the pod's
  // own non-loopback IP also leaves through lo, and it is redirected like any other.
  rules.push(out(`-d ${LOOPBACK[family]}`, 'loopback'));
  for (const r of config.excludePorts) rules.push(out(portMatch(r.from, r.to), 'exclude-port'));
  for (const c of config.excludeCidrs)
    if (c.family === family) rules.push(out(`-d ${c.text}`, 'exclude-cidr'));
  rules.push(out('', 'redirect', REDIRECT_CHAIN));
  rules.push({
    chain: REDIRECT_CHAIN,
    match: '-p tcp',
    purpose: 'redirect-to-proxy',
    target: `REDIRECT --to-ports ${config.proxyPort}`,
  });
  return rules;
}

/** `-A CHAIN spec` of a saved rule turned into the `-D` that removes exactly it. */
function deleteLine(chain: string, spec: string): string {
  return `-D ${chain} ${spec}`;
}

/** Our leftovers outside the chains this plan declares: references in OUTPUT and stale AGENTGATE_* chains. */
function removals(current: NatState, keep: readonly string[]): string[] {
  const lines: string[] = [];
  for (const r of current.rules) if (isOwnedReference(r)) lines.push(deleteLine(r.chain, r.spec));
  const stale = current.chains.filter((c) => isOwnedChain(c) && !keep.includes(c));
  for (const c of stale) lines.push(`-F ${c}`);
  for (const c of stale) lines.push(`-X ${c}`);
  return lines;
}

/**
 * Install (or reinstall) the redirect for one family. Declaring a chain in
 * `--noflush` mode creates it or empties it, so a rerun replaces our rules
 * rather than adding to them; our jump in OUTPUT is deleted and inserted again.
 * The whole text is one iptables-restore transaction: all or nothing.
 */
export function planInstall(config: RedirectConfig, family: Family, current: NatState): FamilyPlan {
  const rules = plannedRules(config, family);
  const lines = ['*nat', ...OUR_CHAINS.map((c) => `:${c} - [0:0]`), ...removals(current, OUR_CHAINS)];
  for (const r of rules) {
    if (r.chain === 'OUTPUT') continue;
    lines.push(ruleLine(r));
  }
  // Inserted first in OUTPUT, not appended: an earlier DNAT or RETURN from some
  // other tool must not let agent traffic skip the gate.
  for (const r of rules) {
    if (r.chain === 'OUTPUT') lines.push(ruleLine(r).replace(/^-A OUTPUT /, '-I OUTPUT 1 '));
  }
  lines.push('COMMIT');
  return { family, rules, restore: `${lines.join('\n')}\n` };
}

/** Remove everything of ours for one family; empty restore text when nothing of ours is there. */
export function planCleanup(family: Family, current: NatState): FamilyPlan {
  const lines = removals(current, []);
  return {
    family,
    rules: [],
    restore: lines.length === 0 ? '' : `${['*nat', ...lines, 'COMMIT'].join('\n')}\n`,
  };
}

/** How many rules carry each purpose tag: what the post-apply check compares. */
export function purposeCounts(specs: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const spec of specs) {
    const p = purposeOf(spec) ?? '(untagged)';
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}
