// CIDR parsing for the redirect exclusions. Each CIDR is normalized to the
// text iptables-save prints for it (network address, canonical IPv6), so the
// rules we plan read back from the kernel exactly as we wrote them: that is
// what lets a rerun and the post-apply check compare rule text.

import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  /** Canonical text, e.g. `10.0.0.0/8` or `fd00:200::/64`. */
  readonly text: string;
}

/** Parses `a.b.c.d[/n]` or `x:y::z[/n]`; a bare address is a single host. Null when invalid. */
export function parseCidr(input: string): Cidr | null {
  const text = input.trim();
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (isIPv4(address)) {
    const prefix = parsePrefix(prefixText, 32);
    if (prefix === null) return null;
    const bytes = address.split('.').map(Number);
    return { family: 4, text: `${mask(bytes, prefix).join('.')}/${prefix}` };
  }
  if (isIPv6(address)) {
    const prefix = parsePrefix(prefixText, 128);
    if (prefix === null) return null;
    const bytes = ipv6Bytes(address);
    if (bytes === null) return null;
    return { family: 6, text: `${formatIPv6(mask(bytes, prefix))}/${prefix}` };
  }
  return null;
}

function parsePrefix(text: string | undefined, max: number): number | null {
  if (text === undefined) return max;
  if (!/^\d{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

function mask(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** 16 bytes of an IPv6 address already accepted by `isIPv6` (zone ids are refused). */
function ipv6Bytes(address: string): number[] | null {
  if (address.includes('%')) return null;
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (isIPv4(last)) {
    // An embedded IPv4 tail (`::ffff:10.0.0.1`) is two 16-bit groups.
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = groups(halves[0]);
  const back = groups(halves[1]);
  const fill = 8 - front.length - back.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const words = [...front, ...new Array<number>(fill).fill(0), ...back];
  if (words.some((w) => !(w >= 0 && w <= 0xffff))) return null;
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** RFC 5952 text, as inet_ntop (and so iptables-save) prints it. */
export function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // The longest run of two or more zero words becomes `::` (the first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  // glibc's inet_ntop prints an IPv4-compatible (::a.b.c.d) or IPv4-mapped
  // (::ffff:a.b.c.d) address with a dotted tail; iptables-save uses it, so we do too.
  const dotted = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff));
  if (dotted) {
    const tail = bytes.slice(12, 16).join('.');
    return bestLen === 5 ? `::ffff:${tail}` : `::${tail}`;
  }
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}
