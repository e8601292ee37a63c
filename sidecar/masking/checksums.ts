// Validators that turn a pattern match into a finding: checksums, issuing
// ranges and known specimen values, after Presidio's validate/invalidate
// discipline. They run on candidates only, never on every value.

import { countrySpecs } from 'ibantools';
import * as _charclass from './char-class.js';
import * as _sha from './sha256.js';

// Local constants, not the imported bindings: an import is a live binding, and optimized code
// reads it through its module cell, checking that it is initialized, at every use; a module's own
// constants are folded into the code.
const { codeAt } = _charclass;
const { sha256Small } = _sha;

/**
 * Digit validators read digit values (0-9) from a byte array, so the scanner
 * can hand over the digits of a grouped number without building a string.
 * The string forms below are for tests and tools.
 */
export type Digits = Uint8Array;

/** Luhn's doubled digit, digit sum taken: a table, not a data-dependent branch per digit. */
const LUHN_DOUBLE = new Uint8Array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]);

/** Luhn (mod 10) over the first `n` digits. */
export function luhn(d: Digits, n: number): boolean {
  let sum = 0;
  for (let i = n - 1; i >= 0; i -= 2) sum += d[i]!;
  for (let i = n - 2; i >= 0; i -= 2) sum += LUHN_DOUBLE[d[i]!]!;
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
  /**
   * The BBAN format as (class, count) pairs when the registry's expression is
   * a plain sequence of `[A-Z]{n}` / `[0-9]{n}` / `[A-Z0-9]{n}`: checked in
   * place. null: the expression itself is tested on the BBAN.
   */
  readonly runs: Int32Array | null;
  readonly national: ((bban: string) => boolean) | undefined;
}

const RUN_LETTER = 1;
const RUN_DIGIT = 2;

function compileBban(re: string): Int32Array | null {
  const m = /^\^((?:\[(?:A-Z|0-9)+\]\{\d+\})+)\$$/.exec(re);
  if (m === null) return null;
  const runs: number[] = [];
  for (const [, cls, count] of m[1]!.matchAll(/\[([^\]]+)\]\{(\d+)\}/g)) {
    runs.push(
      (cls!.includes('A-Z') ? RUN_LETTER : 0) | (cls!.includes('0-9') ? RUN_DIGIT : 0),
      Number(count),
    );
  }
  return Int32Array.from(runs);
}

/**
 * The IBAN registry as ibantools publishes it (lengths, BBAN formats, national
 * check digits), compiled once and indexed by the two country letters (A-Z
 * each): ibantools' own isValidIBAN builds regular expressions on every call,
 * and a candidate is checked here without making a string.
 */
const IBAN_BY_CODE: (IbanCountry | undefined)[] = new Array(26 * 26).fill(undefined);
for (const [code, spec] of Object.entries(countrySpecs)) {
  if (spec.chars && spec.bban_regexp) {
    IBAN_BY_CODE[(code.charCodeAt(0) - 65) * 26 + code.charCodeAt(1) - 65] = {
      length: spec.chars,
      bban: new RegExp(spec.bban_regexp),
      runs: compileBban(spec.bban_regexp),
      national: spec.bban_validation_func,
    };
  }
}

/** The registry entry for the country whose letters (either case) start at `i`. */
function ibanCountryAt(s: string, i: number): IbanCountry | undefined {
  const a = (codeAt(s, i) & ~0x20) - 65;
  const b = (codeAt(s, i + 1) & ~0x20) - 65;
  if (a < 0 || a > 25 || b < 0 || b > 25) return undefined;
  return IBAN_BY_CODE[a * 26 + b];
}

/** The IBAN length for the country whose letters (either case) start at `i`, or 0. */
export function ibanLengthAt(s: string, i: number): number {
  return ibanCountryAt(s, i)?.length ?? 0;
}

/** A character's value in the IBAN check (0-9, A=10 … Z=35, either case), or -1. */
function ibanValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const u = c & ~0x20;
  return u >= 65 && u <= 90 ? u - 55 : -1;
}

/**
 * IBAN in `s[start, end)`, letters in either case, single spaces between
 * groups skipped: registry length and BBAN format, mod 97 = 1, national check
 * digits. Reads in place; a string is made only for the few countries with
 * national check digits or an irregular BBAN format.
 */
export function ibanValidAt(s: string, start: number, end: number): boolean {
  const spec = ibanCountryAt(s, start);
  if (spec === undefined || end - start < spec.length) return false;
  const c2 = codeAt(s, start + 2);
  const c3 = codeAt(s, start + 3);
  if (c2 < 48 || c2 > 57 || c3 < 48 || c3 > 57) return false;
  // the BBAN first, then the country code and check digits; the remainder is
  // reduced only when it grows past six digits (a division per character is
  // most of the cost otherwise)
  let rem = 0;
  let count = 4;
  const runs = spec.runs;
  let run = 0;
  let left = runs === null ? 0 : runs[1]!;
  for (let k = start + 4; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === 32) continue;
    const v = ibanValue(c);
    if (v < 0) return false;
    count++;
    if (runs !== null) {
      if (left === 0) {
        run += 2;
        if (run >= runs.length) return false;
        left = runs[run + 1]!;
      }
      if ((runs[run]! & (v < 10 ? RUN_DIGIT : RUN_LETTER)) === 0) return false;
      left--;
    }
    rem = v < 10 ? rem * 10 + v : rem * 100 + v;
    if (rem >= 1_000_000) rem %= 97;
  }
  if (count !== spec.length) return false;
  if (runs !== null && (left !== 0 || run + 2 !== runs.length)) return false;
  for (let k = start; k < start + 4; k++) {
    const v = ibanValue(s.charCodeAt(k));
    rem = v < 10 ? rem * 10 + v : rem * 100 + v;
    if (rem >= 1_000_000) rem %= 97;
  }
  if (rem % 97 !== 1) return false;
  if (runs !== null && spec.national === undefined) return true;
  const bban = s.slice(start, end).replaceAll(' ', '').toUpperCase().slice(4);
  return spec.bban.test(bban) && (spec.national === undefined || spec.national(bban));
}

/** IBAN (upper case, no spaces): registry length and BBAN format, mod 97 = 1, national check digits. */
export function ibanValid(compact: string): boolean {
  return /^[A-Z0-9]*$/.test(compact) && ibanValidAt(compact, 0, compact.length);
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B58.length; i++) B58_INDEX[B58.charCodeAt(i)] = i;

const LIMBS = 9; // 9 x 24 bits >= the 200 bits of a 25-byte address
const LIMB = 16777216; // 2^24
const limbs = new Float64Array(LIMBS);
const decoded = new Uint8Array(25);
const digest1 = new Uint8Array(32);
const digest2 = new Uint8Array(32);

/**
 * Decodes base58 `s[start, end)` into the 25-byte `decoded` buffer; false
 * when a character is not base58 or the number does not fit. Four characters
 * per step (58^4 < 2^24): a limb times 58^4 stays below 2^48, exact in a double.
 */
function base58Decode25(s: string, start: number, end: number): boolean {
  limbs.fill(0);
  for (let i = start; i < end; ) {
    let chunk = 0;
    let mul = 1;
    for (const stop = Math.min(end, i + 4); i < stop; i++) {
      const c = s.charCodeAt(i);
      const v = c < 128 ? B58_INDEX[c]! : -1;
      if (v < 0) return false;
      chunk = chunk * 58 + v;
      mul *= 58;
    }
    let carry = chunk;
    for (let j = LIMBS - 1; j >= 0; j--) {
      const x = limbs[j]! * mul + carry;
      carry = Math.floor(x / LIMB);
      limbs[j] = x - carry * LIMB;
    }
    if (carry !== 0) return false;
  }
  // 216 bits in the limbs: the top 16 must be zero for 25 bytes
  const top = limbs[0]!;
  if (top >= 256) return false;
  let k = 0;
  decoded[k++] = top;
  for (let j = 1; j < LIMBS; j++) {
    const v = limbs[j]!;
    decoded[k++] = v >>> 16;
    decoded[k++] = (v >>> 8) & 0xff;
    decoded[k++] = v & 0xff;
  }
  return true;
}

/** Bitcoin legacy (P2PKH, version 0) and script (P2SH, version 5) addresses in `s[start, end)`: base58check. */
export function base58CheckValidAt(s: string, start: number, end: number): boolean {
  if (!base58Decode25(s, start, end)) return false;
  const bytes = decoded;
  if (bytes[0] !== 0 && bytes[0] !== 5) return false;
  // each leading '1' encodes one leading zero byte, no more and no fewer
  let ones = 0;
  while (start + ones < end && s.charCodeAt(start + ones) === 49) ones++;
  let zeros = 0;
  while (zeros < 25 && bytes[zeros] === 0) zeros++;
  if (ones !== zeros) return false;
  sha256Small(bytes, digest1, 21);
  sha256Small(digest1, digest2);
  return (
    digest2[0] === bytes[21] &&
    digest2[1] === bytes[22] &&
    digest2[2] === bytes[23] &&
    digest2[3] === bytes[24]
  );
}

export function base58CheckValid(addr: string): boolean {
  return base58CheckValidAt(addr, 0, addr.length);
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < BECH32.length; i++) BECH32_INDEX[BECH32.charCodeAt(i)] = i;

/** The bech32 generator terms for the five bits shifted out of the checksum, XORed: one lookup per step. */
const BECH32_GEN = new Int32Array(32);
for (let top = 0; top < 32; top++) {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  for (let b = 0; b < 5; b++) if (top & (1 << b)) BECH32_GEN[top]! ^= gen[b]!;
}

function polymod(chk: number, v: number): number {
  return (((chk & 0x1ffffff) << 5) ^ v ^ BECH32_GEN[chk >>> 25]!) | 0;
}

/**
 * Segwit addresses (`bc1…`) in `s[start, end)`: bech32 (v0) or bech32m (v1+)
 * checksum over the lower-cased text, read in place.
 */
export function bech32ValidAt(s: string, start: number, end: number): boolean {
  const sep = s.lastIndexOf('1', end - 1);
  if (sep < start + 1 || end - sep - 1 < 6) return false;
  // one case throughout: mixed case is invalid
  let lower = false;
  let upper = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
  }
  if (lower && upper) return false;
  let chk = 1;
  for (let i = start; i < sep; i++) chk = polymod(chk, (s.charCodeAt(i) | 0x20) >>> 5);
  chk = polymod(chk, 0);
  for (let i = start; i < sep; i++) chk = polymod(chk, s.charCodeAt(i) & 31);
  for (let i = sep + 1; i < end; i++) {
    const c = s.charCodeAt(i) | 0x20; // lower-case letters; digits are unchanged by the bit
    const v = c < 128 ? BECH32_INDEX[c]! : -1;
    if (v < 0) return false;
    chk = polymod(chk, v);
  }
  const witnessVersion = BECH32_INDEX[s.charCodeAt(sep + 1) | 0x20]!;
  return witnessVersion === 0 ? chk === 1 : chk === 0x2bc830a3;
}

export function bech32Valid(addr: string): boolean {
  return bech32ValidAt(addr, 0, addr.length);
}
