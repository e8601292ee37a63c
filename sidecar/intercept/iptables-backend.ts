// nft or legacy: the two iptables backends program different kernel tables,
// and rules written with one are invisible to the other. A pod's rules must go
// where the node's tools put theirs, or a later tool (or our own rerun) will not
// see them. Like Istio and the Kubernetes iptables-wrapper: pick the backend that
// already holds rules, and nft when neither does (current distributions default to it).

import type { Family } from './iptables-plan.js';

export type Backend = 'nft' | 'legacy';
export const BACKENDS: readonly Backend[] = ['nft', 'legacy'];

export interface Binaries {
  readonly save: string;
  readonly restore: string;
}

export function binaries(backend: Backend, family: Family): Binaries {
  const base = family === 4 ? 'iptables' : 'ip6tables';
  return { save: `${base}-${backend}-save`, restore: `${base}-${backend}-restore` };
}

/** Extra flags for restore: legacy takes the xtables lock (wait for it rather than fail); nft has no lock. */
export function restoreArgs(backend: Backend): string[] {
  return backend === 'legacy' ? ['--noflush', '--wait=30'] : ['--noflush'];
}

/** What a probe of one backend found: rule counts of its saves, or null when its binaries are missing. */
export type BackendProbe = Readonly<Record<Backend, number | null>>;

/**
 * The backend with more rules wins; a tie (usually 0 and 0 in a fresh pod)
 * goes to nft. A backend whose binaries are missing can only win by being the
 * only one present; null when neither is installed.
 */
export function chooseBackend(probe: BackendProbe): Backend | null {
  const { nft, legacy } = probe;
  if (nft === null && legacy === null) return null;
  if (nft === null) return 'legacy';
  if (legacy === null) return 'nft';
  return legacy > nft ? 'legacy' : 'nft';
}
