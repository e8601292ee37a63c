// Validators that turn a pattern match into a finding: checksums, issuing
// ranges and known specimen values, after Presidio's validate/invalidate
// discipline. They run on candidates only, never on every value.

import { countrySpecs } from 'ibantools';
import { sha256Small } from './sha256.js';

/**
 * Digit validators read digit values (0-9) from a byte array, so the scanner
 * can hand over the digits of a grouped number without building a string.
 * The string forms below are for tests and tools.
 */
export type Digits = Uint8Array;

/** Luhn (mod 10) over the first `n` digits. */
export function luhn(d: Digits, n: number): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = n - 1; i >= 0; i--) {
    let v = d[i]!;
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** All the same digit: test patterns and padding, never a real identifier. */
export function sameDigits(d: Digits, n: number): boolean {
  const first = d[0];
  for (let i = 1; i < n; i++) if (d[i] !== first) return false;
  return true;
}

/**
 * Card brands by issuer prefix and length. A Luhn-valid number outside every
 * issuer range is an order or tracking number, not a card.
 */
export function cardBrand(d: Digits, n: number): boolean {
  const d1 = d[0]!;
  const p2 = d1 * 10 + d[1]!;
  const p4 = p2 * 100 + d[2]! * 10 + d[3]!;
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

export function creditCard(d: Digits, n: number): boolean {
  return !sameDigits(d, n) && cardBrand(d, n) && luhn(d, n);
}

function num(d: Digits, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + d[i]!;
  return v;
}

/**
 * US SSN (9 digits): area 000, 666 and 900-999 were never issued, group 00 and
 * serial 0000 neither; the specimen numbers published in wallets and ads are
 * refused as Presidio refuses them.
 */
export function ssn(d: Digits, n: number): boolean {
  if (n !== 9 || sameDigits(d, n)) return false;
  const area = num(d, 0, 3);
  if (area === 0 || area === 666 || area >= 900) return false;
  if (num(d, 3, 5) === 0 || num(d, 5, 9) === 0) return false;
  const all = num(d, 0, 9);
  return all !== 123456789 && all !== 78051120 && all !== 219099999 && num(d, 0, 8) !== 98765432;
}

/** UK NHS number: 10 digits, the last a mod 11 check digit (a remainder of 10 is never issued). */
export function nhs(d: Digits, n: number): boolean {
  if (n !== 10 || sameDigits(d, n)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += d[i]! * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === d[9];
}

const scratch = new Uint8Array(64);
function digitsOf(text: string): number {
  const n = Math.min(text.length, scratch.length);
  for (let i = 0; i < n; i++) scratch[i] = text.charCodeAt(i) - 48;
  return n;
}

export const luhnValid = (digits: string): boolean => luhn(scratch, digitsOf(digits));
export const cardBrandValid = (digits: string): boolean => cardBrand(scratch, digitsOf(digits));
export const creditCardValid = (digits: string): boolean => creditCard(scratch, digitsOf(digits));
export const ssnValid = (digits: string): boolean => ssn(scratch, digitsOf(digits));
export const nhsValid = (digits: string): boolean => nhs(scratch, digitsOf(digits));

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
  while (ones < addr.length && addr.charCodeAt(ones) === 49) ones++;
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

/** Segwit addresses (`bc1…`): bech32 (v0) or bech32m (v1+) checksum over the lower-cased text. */
export function bech32Valid(addr: string): boolean {
  const n = addr.length;
  const sep = addr.lastIndexOf('1');
  if (sep < 1 || n - sep - 1 < 6) return false;
  // one case throughout: mixed case is invalid
  let lower = false;
  let upper = false;
  for (let i = 0; i < n; i++) {
    const c = addr.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
  }
  if (lower && upper) return false;
  let chk = 1;
  for (let i = 0; i < sep; i++) chk = polymod(chk, (addr.charCodeAt(i) | 0x20) >>> 5);
  chk = polymod(chk, 0);
  for (let i = 0; i < sep; i++) chk = polymod(chk, addr.charCodeAt(i) & 31);
  for (let i = sep + 1; i < n; i++) {
    const c = addr.charCodeAt(i) | 0x20; // lower-case letters; digits are unchanged by the bit
    const v = c < 128 ? BECH32_INDEX[c]! : -1;
    if (v < 0) return false;
    chk = polymod(chk, v);
  }
  const witnessVersion = BECH32_INDEX[addr.charCodeAt(sep + 1) | 0x20]!;
  return witnessVersion === 0 ? chk === 1 : chk === 0x2bc830a3;
}

function polymod(chk: number, v: number): number {
  const top = chk >>> 25;
  let c = ((chk & 0x1ffffff) << 5) ^ v;
  if (top & 1) c ^= 0x3b6a57b2;
  if (top & 2) c ^= 0x26508e6d;
  if (top & 4) c ^= 0x1ea119fa;
  if (top & 8) c ^= 0x3d4233dd;
  if (top & 16) c ^= 0x2a1462b3;
  return c;
}
