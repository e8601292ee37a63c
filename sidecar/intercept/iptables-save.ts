// Reading `iptables-save` output: which rules in the nat table are ours. Ours
// are the chains named AGENTGATE_* and, in anyone's chain, the rules that carry
// an `agentgate/` comment or jump into one of our chains. Nothing else is ever
// touched, so reruns and cleanup leave other tools' rules alone.

export const CHAIN_PREFIX = 'AGENTGATE_';
export const COMMENT_PREFIX = 'agentgate/';

export interface SavedRule {
  readonly chain: string;
  /** Everything after `-A <chain> `, exactly as iptables-save printed it. */
  readonly spec: string;
}

export interface NatState {
  /** Every chain declared in the nat table, built-in ones included. */
  readonly chains: readonly string[];
  readonly rules: readonly SavedRule[];
}

export const EMPTY_NAT: NatState = { chains: [], rules: [] };

/** The `*nat` section of iptables-save output (other tables are ignored). */
export function parseNatSave(text: string): NatState {
  const chains: string[] = [];
  const rules: SavedRule[] = [];
  let inNat = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      inNat = line === '*nat';
      continue;
    }
    if (!inNat) continue;
    if (line === 'COMMIT') {
      inNat = false;
    } else if (line.startsWith(':')) {
      const name = line.slice(1).split(/\s+/, 1)[0];
      if (name) chains.push(name);
    } else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      if (space > 0) rules.push({ chain: rest.slice(0, space), spec: rest.slice(space + 1) });
    }
  }
  return { chains, rules };
}

/** Rules (`-A` lines) in every table of a save: how much a backend is in use. */
export function countRules(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('-A ')) n++;
  return n;
}

export function isOwnedChain(chain: string): boolean {
  return chain.startsWith(CHAIN_PREFIX);
}

/** The `agentgate/<purpose>` tag of a rule, if it has one. */
export function purposeOf(spec: string): string | undefined {
  const m = /--comment "?agentgate\/([A-Za-z0-9._-]+)"?/.exec(spec);
  return m?.[1];
}

/** A rule in someone else's chain (OUTPUT) that belongs to us: tagged by us, or jumping into our chains. */
export function isOwnedReference(rule: SavedRule): boolean {
  if (isOwnedChain(rule.chain)) return false;
  return purposeOf(rule.spec) !== undefined || new RegExp(`-[jg] ${CHAIN_PREFIX}`).test(rule.spec);
}

/** Every rule of ours in a state: in our chains, or referencing them. */
export function ownedRules(state: NatState): SavedRule[] {
  return state.rules.filter((r) => isOwnedChain(r.chain) || isOwnedReference(r));
}
