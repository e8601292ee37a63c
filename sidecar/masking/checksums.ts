// Validators that turn a pattern match into a finding: checksums, issuing
// ranges and known specimen values, after Presidio's validate/invalidate
// discipline. They run on candidates only, never on every value.

import { createHash } from 'node:crypto';
import { isValidIBAN } from 'ibantools';

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

export function ibanValid(compact: string): boolean {
  return isValidIBAN(compact);
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B58.length; i++) B58_INDEX[B58.charCodeAt(i)] = i;

export function isBase58Char(c: number): boolean {
  return c < 128 && B58_INDEX[c]! >= 0;
}

/** Decodes base58 into exactly `size` bytes, or null when it does not fit. */
function base58Decode(s: string, size: number): Uint8Array | null {
  const out = new Uint8Array(size);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let carry = c < 128 ? B58_INDEX[c]! : -1;
    if (carry < 0) return null;
    for (let j = size - 1; j >= 0; j--) {
      carry += 58 * out[j]!;
      out[j] = carry & 0xff;
      carry >>= 8;
    }
    if (carry !== 0) return null;
  }
  return out;
}

/** Bitcoin legacy (P2PKH, version 0) and script (P2SH, version 5) addresses: base58check. */
export function base58CheckValid(addr: string): boolean {
  const bytes = base58Decode(addr, 25);
  if (bytes === null || (bytes[0] !== 0 && bytes[0] !== 5)) return false;
  // leading '1's encode leading zero bytes: exactly one for version 0
  if ((addr.charCodeAt(0) === 49) !== (bytes[0] === 0)) return false;
  const first = createHash('sha256').update(bytes.subarray(0, 21)).digest();
  const second = createHash('sha256').update(first).digest();
  return (
    second[0] === bytes[21] && second[1] === bytes[22] && second[2] === bytes[23] && second[3] === bytes[24]
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
