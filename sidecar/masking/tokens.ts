// Recognizers for tokens that start with letters or a known prefix: IBANs,
// UK National Insurance numbers, cloud and chat credentials, JWTs, bitcoin
// addresses, PEM private keys and `password=` style assignments. Each returns
// the end of what it found, or -1; they run only where the scanner saw the
// right first characters.

import * as _charclass from './char-class.js';
import * as _checksums from './checksums.js';

// Local constants, not the imported bindings: an import is a live binding, and optimized code
// reads it through its module cell, checking that it is initialized, at every use; a module's own
// constants are folded into the code.
const { ALNUM, boundaryAfter, CLS, clsAt, codeAt, DIGIT, LOWER, runEnd, UPPER, WORD } = _charclass;
const { base58CheckValidAt, bech32ValidAt, ibanLengthAt, ibanValidAt } = _checksums;

const LETTER = UPPER | LOWER;
const IBAN_CHAR = UPPER | LOWER | DIGIT;

/** IBAN in electronic (`DE89370400440532013000`) or paper form (groups of four), any letter case. */
export function iban(s: string, i: number): number {
  if (
    (clsAt(s, i + 1) & LETTER) === 0 ||
    (clsAt(s, i + 2) & DIGIT) === 0 ||
    (clsAt(s, i + 3) & DIGIT) === 0
  ) {
    return -1;
  }
  const want = ibanLengthAt(s, i);
  if (want === 0) return -1;
  let j = i;
  let got = 0;
  while (got < want) {
    const k = clsAt(s, j);
    if ((k & IBAN_CHAR) !== 0) {
      got++;
      j++;
    } else if (codeAt(s, j) === 32 && got % 4 === 0 && (clsAt(s, j + 1) & IBAN_CHAR) !== 0) {
      j++;
    } else break;
  }
  if (got !== want || !boundaryAfter(s, j)) return -1;
  return ibanValidAt(s, i, j) ? j : -1;
}

// First letters D F I Q U V and second letters D F I O Q U V are never issued.
// Tables by character code, not Sets of one-character strings: this runs for
// every capitalised word followed by a digit, and must not allocate.
const NINO_FIRST = letterTable('ABCEGHJKLMNOPRSTWXYZ');
const NINO_SECOND = letterTable('ABCEGHJKLMNPRSTWXYZ');
const NINO_BAD_PREFIX = ['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].map(
  (p) => p.charCodeAt(0) * 256 + p.charCodeAt(1),
);

function letterTable(letters: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const ch of letters) t[ch.charCodeAt(0)] = 1;
  return t;
}

/** UK National Insurance number: `AB123456C` or `AB 12 34 56 C`. */
export function nino(s: string, i: number): number {
  const c0 = codeAt(s, i);
  const c1 = codeAt(s, i + 1); // 0 past the end: in neither table
  if (!(c0 < 128 && NINO_FIRST[c0] === 1 && c1 < 128 && NINO_SECOND[c1] === 1)) return -1;
  if (NINO_BAD_PREFIX.includes(c0 * 256 + c1)) return -1;
  let j = i + 2;
  const spaced = codeAt(s, j) === 32;
  if (spaced) j++;
  for (let p = 0; p < 3; p++) {
    if ((clsAt(s, j) & DIGIT) === 0 || (clsAt(s, j + 1) & DIGIT) === 0) return -1;
    j += 2;
    if (spaced && codeAt(s, j) === 32) j++;
  }
  const suffix = codeAt(s, j);
  if (!(suffix >= 65 && suffix <= 68)) return -1; // A-D (0 past the end fails too)
  j++;
  return boundaryAfter(s, j) ? j : -1;
}

const AWS_PREFIXES = ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'ASCA'];

function startsWithAny(s: string, i: number, prefixes: readonly string[]): boolean {
  for (let k = 0; k < prefixes.length; k++) if (s.startsWith(prefixes[k]!, i)) return true;
  return false;
}

/** AWS access key id: a 4-letter kind prefix and 16 upper-case base32 characters. */
export function awsKey(s: string, i: number, end: number): number {
  if (end - i !== 20) return -1;
  if (!s.startsWith('A3T', i) && !startsWithAny(s, i, AWS_PREFIXES)) return -1;
  for (let k = i + 4; k < end; k++) if ((clsAt(s, k) & LOWER) !== 0) return -1;
  return boundaryAfter(s, end) ? end : -1;
}

/** GitHub tokens: `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36, or `github_pat_` + 82. */
export function githubToken(s: string, i: number): number {
  const c2 = codeAt(s, i + 2);
  if (codeAt(s, i + 3) === 95 && (c2 === 112 || c2 === 111 || c2 === 117 || c2 === 115 || c2 === 114)) {
    const end = runEnd(s, i + 4, ALNUM);
    return end - i - 4 >= 36 && end - i - 4 <= 255 && boundaryAfter(s, end) ? end : -1;
  }
  if (s.startsWith('github_pat_', i)) {
    const end = runEnd(s, i + 11, WORD);
    return end - i - 11 >= 40 ? end : -1;
  }
  return -1;
}

/** Slack tokens: `xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxr-`, `xoxs-` and app tokens `xapp-`. */
export function slackToken(s: string, i: number): number {
  let j: number;
  if (s.startsWith('xox', i)) {
    const c = codeAt(s, i + 3);
    if (c !== 98 && c !== 112 && c !== 97 && c !== 111 && c !== 114 && c !== 115) return -1;
    if (codeAt(s, i + 4) !== 45) return -1;
    j = i + 5;
  } else if (s.startsWith('xapp-', i)) j = i + 5;
  else return -1;
  let end = j;
  for (;;) {
    end = runEnd(s, end, ALNUM);
    if (codeAt(s, end) === 45 && (clsAt(s, end + 1) & ALNUM) !== 0) end++;
    else break;
  }
  return end - j >= 10 && boundaryAfter(s, end) ? end : -1;
}

function base64urlEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 128 && ((CLS[c]! & WORD) !== 0 || c === 45)) i++;
    else break;
  }
  return i;
}

/** base64url digit values (A-Z a-z 0-9 - _), -1 for anything else. */
const B64URL = new Int8Array(128).fill(-1);
for (let k = 0; k < 64; k++) {
  B64URL['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(k)] = k;
}
const ALG = 0x22616c67; // the bytes `"alg`

/**
 * Does the base64url text `s[start, end)` decode to bytes holding `"alg"`?
 * Decoded in place, byte by byte, with the last four bytes kept in one
 * integer: no buffer, no string (the header is read for every JWT candidate).
 */
function headerNamesAlg(s: string, start: number, end: number): boolean {
  let bits = 0;
  let nbits = 0;
  let last4 = 0;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    const v = c < 128 ? B64URL[c]! : -1;
    if (v < 0) continue; // as Buffer.from(…, 'base64url') skips what is not base64
    bits = ((bits << 6) | v) & 0xffffff;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      const byte = (bits >>> nbits) & 0xff;
      if (byte === 0x22 && last4 === ALG) return true;
      last4 = (last4 << 8) | byte;
    }
  }
  return false;
}

/** JWT (JWS compact form): three base64url segments whose header decodes to JSON naming `alg`. */
export function jwt(s: string, i: number): number {
  const h = base64urlEnd(s, i);
  if (h - i < 10 || codeAt(s, h) !== 46) return -1;
  const p = base64urlEnd(s, h + 1);
  if (p - h - 1 < 2 || codeAt(s, p) !== 46) return -1;
  const end = base64urlEnd(s, p + 1);
  if (codeAt(s, end) === 46) return -1; // a fourth segment: JWE or something else
  return headerNamesAlg(s, i, h) ? end : -1;
}

/** Bitcoin legacy and P2SH addresses: base58check, version byte 0 or 5. */
export function base58Address(s: string, i: number, end: number): number {
  const len = end - i;
  if (len < 26 || len > 35) return -1;
  return base58CheckValidAt(s, i, end) && boundaryAfter(s, end) ? end : -1;
}

/** Bitcoin segwit addresses (`bc1…`): bech32 / bech32m checksum. */
export function bech32Address(s: string, i: number, end: number): number {
  const len = end - i;
  if (len < 14 || len > 74) return -1;
  return bech32ValidAt(s, i, end) && boundaryAfter(s, end) ? end : -1;
}

/**
 * PEM private key blocks, from `-----BEGIN … PRIVATE KEY-----` to the END
 * line. A block cut short (no END) is masked to the end of the value.
 */
export function privateKey(s: string, i: number): number {
  if (!s.startsWith('-----BEGIN ', i)) return -1;
  // the label is upper-case words with PRIVATE KEY (RSA, EC, OPENSSH, ENCRYPTED, PGP … BLOCK)
  let h = i + 11;
  const limit = Math.min(s.length, i + 80);
  while (h < limit) {
    const c = s.charCodeAt(h);
    if ((c >= 65 && c <= 90) || c === 32 || (c >= 48 && c <= 57)) h++;
    else break;
  }
  if (!s.startsWith('-----', h) || !s.slice(i + 11, h).includes('PRIVATE KEY')) return -1;
  const headerEnd = h;
  const endLine = s.indexOf('-----END ', headerEnd + 5);
  if (endLine < 0) return s.length;
  const close = s.indexOf('-----', endLine + 9);
  return close < 0 ? s.length : close + 5;
}

/**
 * Does a value a specific recognizer knows start at `j` (after an optional
 * quote)? `eyJ`, `gh[pousr]_`, `github_pat_`, `xox[abposr]-`, `xapp-`,
 * `A[SK]IA`, compared in place.
 */
function specificAt(s: string, j: number): boolean {
  const q = codeAt(s, j);
  if (q === 34 || q === 39) j++;
  switch (codeAt(s, j)) {
    case 101: // e
      return s.startsWith('eyJ', j);
    case 103: // g
      return (
        (codeAt(s, j + 1) === 104 && codeAt(s, j + 3) === 95 && isOneOf(codeAt(s, j + 2), 'pousr')) ||
        s.startsWith('github_pat_', j)
      );
    case 120: // x
      return (
        (s.startsWith('xox', j) && codeAt(s, j + 4) === 45 && isOneOf(codeAt(s, j + 3), 'abposr')) ||
        s.startsWith('xapp-', j)
      );
    case 65: // A
      return s.startsWith('IA', j + 2) && (codeAt(s, j + 1) === 83 || codeAt(s, j + 1) === 75);
    default:
      return false;
  }
}

function isOneOf(c: number, chars: string): boolean {
  for (let k = 0; k < chars.length; k++) if (chars.charCodeAt(k) === c) return true;
  return false;
}

const SECRET_KEYS = [
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'client_secret',
  'api_key',
  'apikey',
  'access_token',
  'auth_token',
  'token',
  'secret_key',
  'secret_access_key',
  'aws_secret_access_key',
  'private_key',
  'authorization',
];

/** SECRET_KEYS by length, for comparing a key in place. */
const KEYS_BY_LENGTH: string[][] = Array.from({ length: 22 }, () => []);
for (const key of SECRET_KEYS) KEYS_BY_LENGTH[key.length]!.push(key);

/** Is `s[i, end)` one of SECRET_KEYS, ASCII letters in either case? */
function isSecretKey(s: string, i: number, end: number): boolean {
  const keys = KEYS_BY_LENGTH[end - i];
  if (keys === undefined) return false;
  next: for (let q = 0; q < keys.length; q++) {
    const key = keys[q]!;
    for (let k = 0; k < key.length; k++) {
      const c = s.charCodeAt(i + k);
      if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== key.charCodeAt(k)) continue next;
    }
    return true;
  }
  return false;
}

/**
 * The value in `password=…`, `"password": "…"`, `pwd: …` (keys compared
 * case-insensitively). `wordEnd` ends the key. Writes the value's start into
 * out[0]; returns its end or -1.
 */
export function secretAssignment(s: string, i: number, wordEnd: number, out: Int32Array): number {
  const len = wordEnd - i;
  if (len < 3 || len > 21) return -1;
  if (!isSecretKey(s, i, wordEnd)) return -1;
  let j = wordEnd;
  const q0 = codeAt(s, j);
  if (q0 === 34 || q0 === 39) j++;
  while (codeAt(s, j) === 32) j++;
  const op = codeAt(s, j);
  if (op !== 58 && op !== 61) return -1;
  j++;
  if (codeAt(s, j) === 61) return -1; // `secret == x` compares, it does not assign
  if (codeAt(s, j) === 62) j++; // =>
  while (codeAt(s, j) === 32) j++;
  // `Authorization: Basic …` / `Bearer …`: the credential is the word after the scheme
  if (len === 13 && (s.startsWith('Basic ', j) || s.startsWith('Bearer ', j))) {
    j = s.indexOf(' ', j) + 1;
    while (codeAt(s, j) === 32) j++;
  }
  // a value a specific recognizer knows (a JWT, a GitHub token, …) is left to it
  if (specificAt(s, j)) return -1;
  const q = codeAt(s, j);
  const n = Math.min(s.length, j + 257);
  let k: number;
  if (q === 34 || q === 39) {
    j++;
    k = j;
    while (k < n && s.charCodeAt(k) !== q) k++;
  } else {
    k = j;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (
        c <= 32 ||
        c === 34 ||
        c === 39 ||
        c === 38 ||
        c === 59 ||
        c === 44 ||
        c === 60 ||
        c === 62 ||
        c === 41
      )
        break;
      k++;
    }
  }
  if (k === j) return -1;
  out[0] = j;
  return k;
}
