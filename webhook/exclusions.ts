// The pod's own exclusions: destination ports and CIDRs whose traffic bypasses
// the sidecar. Read from annotations and checked here, so a typo is refused at
// admission with a message rather than failing in the init step (or, worse,
// silently excluding nothing).

import { isIP } from 'node:net';
import { ANNOTATIONS } from './config.js';
import type { Pod } from './pod-types.js';

export interface Exclusions {
  /** Normalised lists as `agentgate iptables` takes them: `5432,8000-8100`. */
  readonly ports: string;
  readonly cidrs: string;
}

function items(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isPort(text: string): boolean {
  if (!/^\d{1,5}$/.test(text)) return false;
  const n = Number(text);
  return n >= 1 && n <= 65535;
}

function checkPort(item: string): string | undefined {
  const [lo, hi, extra] = item.split('-');
  if (extra !== undefined || lo === undefined || !isPort(lo)) return item;
  if (hi === undefined) return undefined;
  return isPort(hi) && Number(hi) >= Number(lo) ? undefined : item;
}

function checkCidr(item: string): string | undefined {
  const slash = item.indexOf('/');
  const addr = slash < 0 ? item : item.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return item;
  if (slash < 0) return undefined;
  const prefix = item.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return item;
  return Number(prefix) <= (family === 4 ? 32 : 128) ? undefined : item;
}

/** The pod's exclusions, or the problems that make them unusable. */
export function readExclusions(pod: Pod): { exclusions: Exclusions; problems: string[] } {
  const ann = pod.metadata?.annotations ?? {};
  const ports = items(ann[ANNOTATIONS.excludePorts]);
  const cidrs = items(ann[ANNOTATIONS.excludeCidrs]);
  const problems: string[] = [];
  const badPorts = ports.map(checkPort).filter((x) => x !== undefined);
  if (badPorts.length > 0) {
    problems.push(
      `annotation ${ANNOTATIONS.excludePorts}: not a port or range (1-65535, e.g. 5432,8000-8100): ${badPorts.join(', ')}`,
    );
  }
  const badCidrs = cidrs.map(checkCidr).filter((x) => x !== undefined);
  if (badCidrs.length > 0) {
    problems.push(
      `annotation ${ANNOTATIONS.excludeCidrs}: not an IP or CIDR (e.g. 10.0.0.0/8,fd00::/8): ${badCidrs.join(', ')}`,
    );
  }
  return { exclusions: { ports: ports.join(','), cidrs: cidrs.join(',') }, problems };
}
