// Generators of realistic personal data for the labelled corpus, in many
// formats. Valid values carry valid checksums, computed here independently of
// the engine (ibantools decides IBAN validity, as the registry defines it).

import { createHash } from 'node:crypto';
import { isValidIBAN } from 'ibantools';
import type { Rng } from './rng.js';

export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64URL = `${ALNUM}-_`;

export const FIRST = [
  'James',
  'Mary',
  'Jürgen',
  'Zoë',
  'François',
  'Ana María',
  'Søren',
  'Łukasz',
  'Priya',
  'Wei',
  'Yuki',
  'Olusegun',
  'Fatima',
  'Ivan',
  'Chloé',
  'Mateo',
  'Ingrid',
  'Aoife',
  'Kwame',
  'Elif',
];
export const LAST = [
  'Smith',
  'Müller',
  'Dubois',
  'García',
  'Rossi',
  'Kowalski',
  'Nakamura',
  'Zhang',
  'Okafor',
  'Petrov',
  "O'Brien",
  'Andersen',
  'Haddad',
  'Silva',
  'Novák',
  'Yılmaz',
  'Schmidt',
  'Martin',
  'Brown',
  'Patel',
];
export const ASCII_FIRST = [
  'james',
  'mary',
  'juergen',
  'zoe',
  'francois',
  'ana',
  'soren',
  'lukasz',
  'priya',
  'wei',
  'yuki',
];
const ASCII_LAST = [
  'smith',
  'mueller',
  'dubois',
  'garcia',
  'rossi',
  'kowalski',
  'nakamura',
  'zhang',
  'okafor',
  'silva',
];
const DOMAINS = [
  'example.com',
  'mail.example.co.uk',
  'correo.es',
  'web.de',
  'orange.fr',
  'corp.example',
  'gmail.com',
  'yahoo.co.jp',
  'student.uni-heidelberg.de',
  'acme-industries.io',
  'xn--mnchen-3ya.de',
];

const IDN_EMAILS = [
  'jürgen.müller@beispiel.de',
  'françois.dubois@exemple.fr',
  'søren@københavn.dk',
  'zoë.brown@example.com',
];

export function email(r: Rng): string {
  if (r.chance(0.06)) return r.pick(IDN_EMAILS);
  const f = r.pick(ASCII_FIRST);
  const l = r.pick(ASCII_LAST);
  const local = r.pick([
    `${f}.${l}`,
    `${f[0]}${l}`,
    `${f}_${l}${r.int(1, 99)}`,
    `${f}+${r.pick(['news', 'shop', 'x'])}`,
    `${l}.${f}`,
  ]);
  const dom = r.pick(DOMAINS);
  return r.chance(0.1) ? `${local.toUpperCase()}@${dom.toUpperCase()}` : `${local}@${dom}`;
}

function nanp(r: Rng): [string, string, string] {
  return [`${r.int(2, 9)}${r.digits(2)}`, `${r.int(2, 9)}${r.digits(2)}`, r.digits(4)];
}

export function phone(r: Rng): string {
  const [a, b, c] = nanp(r);
  switch (r.int(0, 19)) {
    case 14:
      return `030/${r.digits(8)}`; // German slash form
    case 15:
      return `${r.int(6, 9)}${r.digits(4)} ${r.digits(5)}`; // Indian mobile without +91
    case 16:
      return `(11) 9${r.digits(4)}-${r.digits(4)}`;
    case 17:
      return `+44 (0) 20 ${r.digits(4)} ${r.digits(4)}`;
    case 18:
      return `+1-${a}-${b}-${c}`;
    case 19:
      return `${b}-${c}`; // a 7-digit local number: not recognised
    case 0:
      return `+1 ${a} ${b} ${c}`;
    case 1:
      return `(${a}) ${b}-${c}`;
    case 2:
      return `${a}-${b}-${c}`;
    case 3:
      return `${a}.${b}.${c}`;
    case 4:
      return `+44 20 ${r.digits(4)} ${r.digits(4)}`;
    case 5:
      return `020 ${r.digits(4)} ${r.digits(4)}`;
    case 6:
      return `07700 ${r.digits(6)}`;
    case 7:
      return `+49 30 ${r.digits(8)}`;
    case 8:
      return `+49 (0)${r.int(30, 89)} ${r.digits(3)} ${r.digits(4)}`;
    case 9:
      return `+33 ${r.int(1, 9)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`;
    case 10:
      return `0${r.int(1, 9)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`;
    case 11:
      return `+81-${r.int(3, 6)}-${r.digits(4)}-${r.digits(4)}`;
    case 12:
      return `+34 6${r.digits(2)} ${r.digits(3)} ${r.digits(3)}`;
    default:
      return `+91 9${r.digits(4)} ${r.digits(5)}`;
  }
}

function luhnComplete(prefix: string, length: number, r: Rng): string {
  let body = prefix + r.digits(length - prefix.length - 1);
  for (let d = 0; d <= 9; d++) {
    const cand = body + d;
    let sum = 0;
    for (let i = 0; i < cand.length; i++) {
      let v = cand.charCodeAt(cand.length - 1 - i) - 48;
      if (i % 2 === 1) {
        v *= 2;
        if (v > 9) v -= 9;
      }
      sum += v;
    }
    if (sum % 10 === 0) {
      body = cand;
      break;
    }
  }
  return body;
}

export function card(r: Rng): string {
  const kind = r.int(0, 6);
  if (kind === 6) {
    const n = luhnComplete(`30${r.int(0, 5)}`, 14, r);
    return `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`;
  }
  if (kind === 0) {
    const n = luhnComplete(r.pick(['34', '37']), 15, r);
    return r.pick([n, `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`]);
  }
  const prefix = ['4', `5${r.int(1, 5)}`, '6011', '65', `35${r.int(28, 89)}`][kind - 1]!;
  const n = luhnComplete(prefix, 16, r);
  const sep = r.pick(['', ' ', '-', ' ']);
  return sep === '' ? n : `${n.slice(0, 4)}${sep}${n.slice(4, 8)}${sep}${n.slice(8, 12)}${sep}${n.slice(12)}`;
}

function ibanCheck(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of rearranged) rem = (rem * 10 + Number(ch)) % 97;
  return String(98 - rem).padStart(2, '0');
}

const IBAN_BBAN: Record<string, (r: Rng) => string> = {
  DE: (r) => r.digits(18),
  GB: (r) => r.chars(UPPER, 4) + r.digits(14),
  NL: (r) => r.chars(UPPER, 4) + r.digits(10),
  AT: (r) => r.digits(16),
  CH: (r) => r.digits(17),
  IE: (r) => r.chars(UPPER, 4) + r.digits(14),
  LU: (r) => r.digits(16),
  DK: (r) => r.digits(14),
};

export function iban(r: Rng): string {
  for (;;) {
    const country = r.pick(Object.keys(IBAN_BBAN));
    const bban = IBAN_BBAN[country]!(r);
    const compact = `${country}${ibanCheck(country, bban)}${bban}`;
    if (!isValidIBAN(compact)) continue; // a national check digit the random BBAN missed
    const text = r.chance(0.5) ? compact : compact.replace(/(.{4})(?=.)/g, '$1 ');
    return r.chance(0.05) ? text.toLowerCase() : text;
  }
}

export function ssn(r: Rng): string {
  for (;;) {
    const area = r.int(1, 899);
    if (area === 666) continue;
    const d = `${String(area).padStart(3, '0')}${String(r.int(1, 99)).padStart(2, '0')}${String(r.int(1, 9999)).padStart(4, '0')}`;
    if (d === '078051120' || d === '123456789') continue;
    const sep = r.pick(['-', '-', '-', ' ']);
    return `${d.slice(0, 3)}${sep}${d.slice(3, 5)}${sep}${d.slice(5)}`;
  }
}

export function nhsDigits(r: Rng): string {
  for (;;) {
    const body = `${r.pick(['4', '6', '7'])}${r.digits(8)}`;
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(body[i]) * (10 - i);
    let check = 11 - (sum % 11);
    if (check === 11) check = 0;
    if (check === 10) continue;
    return body + check;
  }
}

export function nhs(r: Rng): string {
  const d = nhsDigits(r);
  return `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`;
}

export function nino(r: Rng): string {
  const first = 'ABCEGHJKLMNOPRSTWXYZ';
  const second = 'ABCEGHJKLMNPRSTWXYZ';
  let p: string;
  do p = r.pick([...first]) + r.pick([...second]);
  while (['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(p));
  const d = r.digits(6);
  const s = r.pick(['A', 'B', 'C', 'D']);
  return r.chance(0.5) ? `${p}${d}${s}` : `${p} ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4)} ${s}`;
}

export function ipv4(r: Rng): string {
  return `${r.pick([10, 172, 192, r.int(1, 223)])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

export function ipv6(r: Rng): string {
  const g = () => r.int(0, 0xffff).toString(16);
  if (r.chance(0.4)) return Array.from({ length: 8 }, g).join(':');
  if (r.chance(0.5)) return `2001:db8::${g()}:${g()}`;
  return `fe80::${g()}:${g()}:${g()}:${g()}`;
}

export function mac(r: Rng): string {
  const bytes = Array.from({ length: 6 }, () => r.int(0, 255).toString(16).padStart(2, '0'));
  const s = bytes.join(r.pick([':', '-']));
  return r.chance(0.5) ? s.toUpperCase() : s;
}

export function urlWithCredentials(r: Rng): string {
  const scheme = r.pick(['postgres', 'postgresql', 'mysql', 'redis', 'https', 'amqp', 'mongodb+srv']);
  const user = r.pick(['app', 'admin', 'svc_orders', 'reporting']);
  const pass = r.chars(ALNUM, r.int(8, 20));
  const host = r.pick(['db.internal', 'orders-db.data.svc', '10.2.3.4', 'cache.prod.example.com']);
  return `${scheme}://${user}:${pass}@${host}${r.chance(0.6) ? `:${r.int(1000, 9999)}` : ''}/${r.pick(['orders', 'app', '0', 'vhost'])}`;
}

export const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let s = '';
  while (n > 0n) {
    s = B58[Number(n % 58n)] + s;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    s = `1${s}`;
  }
  return s;
}

const BECH = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

function bech32(program: Uint8Array, version: number): string {
  const data = [version];
  let acc = 0;
  let bits = 0;
  for (const b of program) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) data.push((acc << (5 - bits)) & 31);
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const values = [3, 3, 0, 2, 3, ...data, 0, 0, 0, 0, 0, 0]; // hrp "bc" expanded
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  chk ^= version === 0 ? 1 : 0x2bc830a3;
  let out = 'bc1';
  for (const d of data) out += BECH[d];
  for (let i = 0; i < 6; i++) out += BECH[(chk >>> (5 * (5 - i))) & 31];
  return out;
}

export function crypto(r: Rng): string {
  const hash = Uint8Array.from({ length: 20 }, () => r.int(0, 255));
  if (r.chance(0.35)) return bech32(hash, 0);
  if (r.chance(0.15))
    return bech32(
      Uint8Array.from({ length: 32 }, () => r.int(0, 255)),
      1,
    );
  const payload = new Uint8Array(21);
  payload[0] = r.chance(0.6) ? 0 : 5;
  payload.set(hash, 1);
  const check = createHash('sha256').update(createHash('sha256').update(payload).digest()).digest();
  const full = new Uint8Array(25);
  full.set(payload);
  full.set(check.subarray(0, 4), 21);
  return base58(full);
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

export function jwt(r: Rng): string {
  const header = b64url(
    JSON.stringify({ alg: r.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT', kid: r.chars(ALNUM, 8) }),
  );
  const payload = b64url(
    JSON.stringify({ sub: r.chars(ALNUM, 12), iat: r.int(1.6e9, 1.8e9), scope: 'read' }),
  );
  return `${header}.${payload}.${r.chars(B64URL, 43)}`;
}

export function awsKey(r: Rng): string {
  return `${r.pick(['AKIA', 'ASIA'])}${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
}

export function githubToken(r: Rng): string {
  return `${r.pick(['ghp_', 'gho_', 'ghs_', 'ghu_'])}${r.chars(ALNUM, 36)}`;
}

export function slackToken(r: Rng): string {
  return `${r.pick(['xoxb', 'xoxp'])}-${r.digits(12)}-${r.digits(13)}-${r.chars(ALNUM, 24)}`;
}

export function privateKey(r: Rng): string {
  const kind = r.pick(['RSA ', 'EC ', 'OPENSSH ', '']);
  const lines = Array.from({ length: r.int(2, 5) }, () => r.chars(`${ALNUM}+/`, 64));
  return `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join('\n')}\n-----END ${kind}PRIVATE KEY-----`;
}

export function password(r: Rng): string {
  return r.chars(`${ALNUM}!#%*`, r.int(8, 16));
}

export function name(r: Rng): string {
  return `${r.pick(FIRST)} ${r.pick(LAST)}`;
}
