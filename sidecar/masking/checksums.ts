// Validators that turn a pattern match into a finding: checksums, issuing
// ranges and known specimen values, after Presidio's validate/invalidate
// discipline. They run on candidates only, never on every value.

import { countrySpecs } from 'ibantools';
import { sha256Small } from './sha256.js';

/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** All the same digit: test patterns and padding, never a real identifier. */
export function allSameDigit(digits: string): boolean {
  const first = digits.charCodeAt(0);
  for (let i = 1; i < digits.length; i++) if (digits.charCodeAt(i) !== first) return false;
  return true;
}

/**
 * Card brands by issuer prefix and length. A Luhn-valid number outside every
 * issuer range is an order or tracking number, not a card.
 */
export function cardBrandValid(digits: string): boolean {
  const n = digits.length;
  const d1 = digits.charCodeAt(0) - 48;
  const p2 = d1 * 10 + digits.charCodeAt(1) - 48;
  const p4 = p2 * 100 + (digits.charCodeAt(2) - 48) * 10 + digits.charCodeAt(3) - 48;
  switch (d1) {
    case 4: // Visa
      return n === 13 || n === 16 || n === 19;
    case 5: // Mastercard 51-55, Maestro 50 and 56-59
      return p2 >= 51 && p2 <= 55 ? n === 16 : n >= 12 && n <= 19;
    case 2: // Mastercard 2221-2720
      return p4 >= 2221 && p4 <= 2720 && n === 16;
    case 3:
      if (p2 === 34 || p2 === 37) return n === 15; // Amex
      if (p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3000 && p4 <= 3059)) return n >= 14 && n <= 19; // Diners
      if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
      return false;
    case 6: // Discover, UnionPay, Maestro, RuPay
      return n >= 16 && n <= 19;
    default:
      return false;
  }
}

export function creditCardValid(digits: string): boolean {
  return !allSameDigit(digits) && cardBrandValid(digits) && luhnValid(digits);
}

/**
 * US SSN (9 digits): area 000, 666 and 900-999 were never issued, group 00 and
 * serial 0000 neither; the specimen numbers published in wallets and ads are
 * refused as Presidio refuses them.
 */
export function ssnValid(digits: string): boolean {
  if (digits.length !== 9 || allSameDigit(digits)) return false;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || digits.charCodeAt(0) === 57) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return (
    digits !== '123456789' &&
    digits !== '078051120' &&
    digits !== '219099999' &&
    !digits.startsWith('98765432')
  );
}

/** UK NHS number: 10 digits, the last a mod 11 check digit (a remainder of 10 is never issued). */
export function nhsValid(digits: string): boolean {
  if (digits.length !== 10 || allSameDigit(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === digits.charCodeAt(9) - 48;
}

interface IbanCountry {
  readonly length: number;
  readonly bban: RegExp;
  readonly national: ((bban: string) => boolean) | undefined;
}

/**
 * The IBAN registry as ibantools publishes it (lengths, BBAN formats, national
 * check digits), compiled once: ibantools' own isValidIBAN builds regular
 * expressions on every call, which the hot path cannot afford.
 */
const IBAN_COUNTRIES = new Map<string, IbanCountry>();
for (const [code, spec] of Object.entries(countrySpecs)) {
  if (spec.chars && spec.bban_regexp) {
    IBAN_COUNTRIES.set(code, {
      length: spec.chars,
      bban: new RegExp(spec.bban_regexp),
      national: spec.bban_validation_func,
    });
  }
}

/** IBAN length by country, indexed by the two letters (A-Z each): no string is made per candidate. */
const IBAN_LENGTH_BY_CODE = new Uint8Array(26 * 26);
for (const [code, spec] of IBAN_COUNTRIES) {
  IBAN_LENGTH_BY_CODE[(code.charCodeAt(0) - 65) * 26 + code.charCodeAt(1) - 65] = spec.length;
}

/** The IBAN length for the country whose letters (either case) start at `i`, or 0. */
export function ibanLengthAt(s: string, i: number): number {
  const a = (s.charCodeAt(i) & ~0x20) - 65;
  const b = (s.charCodeAt(i + 1) & ~0x20) - 65;
  if (a < 0 || a > 25 || b < 0 || b > 25) return 0;
  return IBAN_LENGTH_BY_CODE[a * 26 + b]!;
}

/** IBAN (upper case, no spaces): registry length and BBAN format, mod 97 = 1, national check digits. */
export function ibanValid(compact: string): boolean {
  const spec = IBAN_COUNTRIES.get(compact.slice(0, 2));
  if (spec === undefined || compact.length !== spec.length) return false;
  const c2 = compact.charCodeAt(2);
  const c3 = compact.charCodeAt(3);
  if (c2 < 48 || c2 > 57 || c3 < 48 || c3 > 57) return false;
  let rem = 0;
  const n = compact.length;
  for (let k = 4; k < n + 4; k++) {
    const c = compact.charCodeAt(k < n ? k : k - n);
    if (c >= 48 && c <= 57) rem = (rem * 10 + c - 48) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + c - 55) % 97;
    else return false;
  }
  if (rem !== 1) return false;
  const bban = compact.slice(4);
  return spec.bban.test(bban) && (spec.national === undefined || spec.national(bban));
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B58.length; i++) B58_INDEX[B58.charCodeAt(i)] = i;

export function isBase58Char(c: number): boolean {
  return c < 128 && B58_INDEX[c]! >= 0;
}

const LIMBS = 9; // 9 x 24 bits >= the 200 bits of a 25-byte address
const limbs = new Int32Array(LIMBS);
const decoded = new Uint8Array(25);
const digest1 = new Uint8Array(32);
const digest2 = new Uint8Array(32);

/** Decodes base58 into the 25-byte `decoded` buffer; false when it does not fit. */
function base58Decode25(s: string): boolean {
  limbs.fill(0);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let carry = c < 128 ? B58_INDEX[c]! : -1;
    if (carry < 0) return false;
    for (let j = LIMBS - 1; j >= 0; j--) {
      carry += 58 * limbs[j]!;
      limbs[j] = carry & 0xffffff;
      carry >>>= 24;
    }
    if (carry !== 0) return false;
  }
  // 216 bits in the limbs: the top 16 must be zero for 25 bytes
  if (limbs[0]! >>> 8 !== 0) return false;
  let k = 0;
  decoded[k++] = limbs[0]! & 0xff;
  for (let j = 1; j < LIMBS; j++) {
    const v = limbs[j]!;
    decoded[k++] = v >>> 16;
    decoded[k++] = (v >>> 8) & 0xff;
    decoded[k++] = v & 0xff;
  }
  return true;
}

/** Bitcoin legacy (P2PKH, version 0) and script (P2SH, version 5) addresses: base58check. */
export function base58CheckValid(addr: string): boolean {
  if (!base58Decode25(addr)) return false;
  const bytes = decoded;
  if (bytes[0] !== 0 && bytes[0] !== 5) return false;
  // each leading '1' encodes one leading zero byte, no more and no fewer
  let ones = 0;
  while (addr.charCodeAt(ones) === 49) ones++;
  let zeros = 0;
  while (zeros < 25 && bytes[zeros] === 0) zeros++;
  if (ones !== zeros) return false;
  sha256Small(bytes.subarray(0, 21), digest1);
  sha256Small(digest1, digest2);
  return (
    digest2[0] === bytes[21] &&
    digest2[1] === bytes[22] &&
    digest2[2] === bytes[23] &&
    digest2[3] === bytes[24]
  );
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < BECH32.length; i++) BECH32_INDEX[BECH32.charCodeAt(i)] = i;
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** Segwit addresses (`bc1…`): bech32 (v0) or bech32m (v1+) checksum over the lower-cased text. */
export function bech32Valid(addrIn: string): boolean {
  const addr = addrIn.toLowerCase();
  if (addr !== addrIn && addr.toUpperCase() !== addrIn) return false; // mixed case is invalid
  const sep = addr.lastIndexOf('1');
  if (sep < 1 || addr.length - sep - 1 < 6) return false;
  let chk = 1;
  const mod = (v: number): void => {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  };
  for (let i = 0; i < sep; i++) mod(addr.charCodeAt(i) >>> 5);
  mod(0);
  for (let i = 0; i < sep; i++) mod(addr.charCodeAt(i) & 31);
  for (let i = sep + 1; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    const v = c < 128 ? BECH32_INDEX[c]! : -1;
    if (v < 0) return false;
    mod(v);
  }
  const witnessVersion = BECH32_INDEX[addr.charCodeAt(sep + 1)]!;
  return witnessVersion === 0 ? chk === 1 : chk === 0x2bc830a3;
}
