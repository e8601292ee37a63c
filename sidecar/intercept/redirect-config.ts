// What the pod's redirect rules are made from, checked once. Bad input is an
// error with the offending value, never silently dropped: a typo in an
// exclusion must not quietly send (or not send) traffic through the gate.

import { agError } from '../../common/errors.js';
import { type Cidr, parseCidr } from './cidr.js';

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface RedirectConfig {
  /** The sidecar's transparent listener; all redirected TCP goes here. */
  readonly proxyPort: number;
  /** The sidecar runs as this UID and GID; its own connections are never redirected. */
  readonly proxyUid: number;
  readonly proxyGid: number;
  /** The sidecar's admin port: loopback-interface traffic to it is not redirected. */
  readonly adminPort: number | undefined;
  /** Destination ports that bypass the sidecar. */
  readonly excludePorts: readonly PortRange[];
  /** Destination CIDRs that bypass the sidecar, IPv4 and IPv6 mixed. */
  readonly excludeCidrs: readonly Cidr[];
}

export const DEFAULT_PROXY_PORT = 15001;
export const DEFAULT_ADMIN_PORT = 15020;

function usage(what: string): Error {
  return agError('AG_ERR_CLI_USAGE', `iptables: ${what}`);
}

export function parsePort(name: string, text: string): number {
  const t = text.trim();
  const n = /^\d{1,5}$/.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 1 && n <= 65535)) throw usage(`--${name} must be a port between 1 and 65535, got '${text}'`);
  return n;
}

export function parseId(name: string, text: string): number {
  const t = text.trim();
  // 2^32-1 is (uid_t)-1, "no user"; the owner match would accept it but it can never be the sidecar.
  const n = /^\d{1,10}$/.test(t) ? Number(t) : Number.NaN;
  if (!(n >= 0 && n < 4294967295)) throw usage(`--${name} must be a numeric id, got '${text}'`);
  return n;
}

/** Items of comma-separated lists, flattened, blanks dropped. */
function items(lists: readonly string[]): string[] {
  return lists
    .flatMap((l) => l.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `5432`, `8000-8100` or `8000:8100`; duplicates folded, order kept. */
export function parsePortList(name: string, lists: readonly string[]): PortRange[] {
  const seen = new Set<string>();
  const out: PortRange[] = [];
  for (const item of items(lists)) {
    const m = /^(\d+)\s*[-:]\s*(\d+)$/.exec(item);
    const range = m
      ? { from: parsePort(name, m[1] ?? ''), to: parsePort(name, m[2] ?? '') }
      : { from: parsePort(name, item), to: parsePort(name, item) };
    if (range.from > range.to) throw usage(`--${name}: range '${item}' runs backwards`);
    const key = `${range.from}:${range.to}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(range);
    }
  }
  return out;
}

export function parseCidrList(name: string, lists: readonly string[]): Cidr[] {
  const seen = new Set<string>();
  const out: Cidr[] = [];
  for (const item of items(lists)) {
    const cidr = parseCidr(item);
    if (cidr === null) throw usage(`--${name}: '${item}' is not an IPv4 or IPv6 CIDR`);
    if (!seen.has(cidr.text)) {
      seen.add(cidr.text);
      out.push(cidr);
    }
  }
  return out;
}

export interface RedirectInput {
  readonly proxyPort?: string;
  readonly proxyUid: string;
  readonly proxyGid?: string;
  readonly adminPort?: string;
  readonly excludePorts?: readonly string[];
  readonly excludeCidrs?: readonly string[];
}

/** Builds and checks a config from flag text; the GID defaults to the UID, as the sidecar image sets both. */
export function redirectConfig(input: RedirectInput): RedirectConfig {
  const proxyPort = parsePort('proxy-port', input.proxyPort ?? String(DEFAULT_PROXY_PORT));
  const proxyUid = parseId('proxy-uid', input.proxyUid);
  const proxyGid =
    input.proxyGid === undefined || input.proxyGid === '' ? proxyUid : parseId('proxy-gid', input.proxyGid);
  const admin = input.adminPort ?? String(DEFAULT_ADMIN_PORT);
  // `--admin-port 0` (or empty) turns the admin exemption off.
  const adminPort = admin.trim() === '' || admin.trim() === '0' ? undefined : parsePort('admin-port', admin);
  const excludePorts = parsePortList('exclude-ports', input.excludePorts ?? []);
  if (excludePorts.some((r) => r.from <= proxyPort && proxyPort <= r.to)) {
    // Excluding the proxy port would let an agent reach a remote host's 15001 unseen; it is never needed.
    throw usage(`--exclude-ports includes the proxy port ${proxyPort}`);
  }
  if (proxyUid === 0 || proxyGid === 0) {
    // Exempting root would exempt every agent container that runs as root.
    throw usage(
      '--proxy-uid and --proxy-gid must not be 0 (root): every root process would bypass the sidecar',
    );
  }
  return {
    proxyPort,
    proxyUid,
    proxyGid,
    adminPort,
    excludePorts,
    excludeCidrs: parseCidrList('exclude-cidrs', input.excludeCidrs ?? []),
  };
}
