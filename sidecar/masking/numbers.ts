// Recognizers for digit groups: credit cards, US SSNs, UK NHS numbers, phone
// numbers and IPv4 addresses share one parse of the groups (digits joined by
// single spaces, dashes or dots) and are told apart by group shape, issuer
// ranges and checksums. Bare digit runs that carry no checksum (a 9-digit SSN,
// a 10-digit phone) count only with a context word, as in Presidio.

import * as _charclass from './char-class.js';
import * as _checksums from './checksums.js';
import * as _context from './context.js';
import { Ctx as CtxEnum, E as EEnum } from './entities.js';
import type { Matches } from './matches.js';

// Local constants, not the imported bindings: an import is a live binding, and optimized code
// reads it through its module cell, checking that it is initialized, at every use; a module's own
// constants are folded into the code.
const { CLS, clsAt, codeAt, DIGIT, isDigitAt, runEnd, WORD } = _charclass;
const { creditCard, nhs, ssn } = _checksums;
const { textContext } = _context;
// the enums too: under isolatedModules an enum is an object, imported as a live binding too
type Ctx = CtxEnum;
const Ctx = CtxEnum;
type E = EEnum;
const E = EEnum;

const MAX_GROUPS = 8;
// Scratch for the group parse: the scanner is synchronous and not re-entrant.
const gStart = new Int32Array(MAX_GROUPS);
const gLen = new Int32Array(MAX_GROUPS);

/**
 * Where the scanner may resume after digitGroups found nothing: past every
 * group when the sequence is glued to a word (no later start can end
 * differently), else -1 (resume after the first group).
 */
export const resume = { at: -1 };

const SPACE = 32;
const DASH = 45;
const DOT = 46;
const SLASH = 47;

const digits = new Uint8Array(MAX_GROUPS * 20);

/**
 * The digit values of the parsed groups, into `digits`; returns how many
 * (the caller has at most 19). The parse stored the values of every group
 * but the first, whose digits the scanner read: only those are read here.
 */
function collect(s: string, total: number): number {
  const at = gStart[0]!;
  const len = gLen[0]!;
  for (let k = 0; k < len; k++) digits[k] = s.charCodeAt(at + k) - 48;
  return total;
}

function shape(groups: number, a: number, b: number, c: number): boolean {
  return groups === 3 && gLen[0] === a && gLen[1] === b && gLen[2] === c;
}

function cardShape(groups: number): boolean {
  if (groups === 1) return true;
  if (gLen[0] !== 4) return false;
  if (groups === 3 && gLen[1] === 6 && (gLen[2] === 5 || gLen[2] === 4)) return true; // Amex, Diners
  for (let g = 1; g < groups - 1; g++) if (gLen[g] !== 4) return false;
  const last = gLen[groups - 1]!;
  return last >= 1 && last <= 4;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** NANP: area and exchange codes start with 2-9. */
function nanpAt(s: string, areaStart: number, exchStart: number): boolean {
  return codeAt(s, areaStart) >= 50 && codeAt(s, exchStart) >= 50;
}

/**
 * Digit groups starting at `i` (a digit at a token boundary; its run of
 * digits ends at `firstEnd`). Pushes at most
 * one finding. Returns the end of the finding, or -1 (the caller moves past
 * the first group only, so a shorter sequence further on is still seen).
 */
export function digitGroups(
  s: string,
  i: number,
  firstEnd: number,
  enabled: number,
  ctx: Ctx,
  m: Matches,
): number {
  resume.at = -1;
  let j = i;
  let groups = 0;
  let sep = 0;
  let mixed = false;
  let total = 0;
  const sLen = s.length;
  let stop = -1; // the character at j, once read
  for (;;) {
    // the first group's end is known: the scanner read its digits already; the digits of later
    // groups are kept as they are read, for the checksums (collect)
    let e = groups === 0 ? firstEnd : j;
    let c = -1; // the character after the group, once read
    while (e < sLen) {
      const d = s.charCodeAt(e);
      if (d < 48 || d > 57) {
        c = d;
        break;
      }
      const at = total + e - j;
      if (at < 20) digits[at] = d - 48;
      e++;
    }
    gStart[groups] = j;
    gLen[groups] = e - j;
    total += e - j;
    groups++;
    j = e;
    if (groups === MAX_GROUPS || j + 1 >= sLen) break;
    stop = c; // read by the loop above, since j < sLen - 1
    if ((c === SPACE || c === DASH || c === DOT || c === SLASH) && isDigit(s.charCodeAt(j + 1))) {
      if (sep === 0) sep = c;
      else if (sep !== c) mixed = true;
      j++;
      stop = -1;
      continue;
    }
    break;
  }
  if (stop < 0) stop = codeAt(s, j);
  // trim trailing groups until the sequence ends at a boundary: "4111 1111 1111 1111abc" never counts
  // glued to a word, no number counts ("4111 1111 1111 1111abc"), but a phone extension may follow: 415-555-2671x123
  if (stop < 128 && (CLS[stop]! & WORD) !== 0 && !(stop === 120 && isDigitAt(s, j + 1) && groups > 1)) {
    resume.at = j;
    return -1;
  }
  if (mixed) return nanpMixed(s, i, groups, j, enabled, m);

  // Context words are read only where the answer depends on them: a bare SSN
  // or NHS number, a phone without a telling shape (7-15 digits). Never for a
  // card (checksummed) nor for 16-19 digits, which no context-dependent form has.
  if (total < 9) {
    if (enabled & (1 << E.PHONE_NUMBER) && total >= 7 && (ctx & Ctx.PHONE || textContext(s, i) & Ctx.PHONE))
      return found(m, E.PHONE_NUMBER, i, j);
    // every later start has fewer digits still: skip the whole sequence (dates, times, amounts)
    resume.at = j;
    return -1;
  }
  if (total > 19) return -1;
  // a slash joins only the area code of a German-style number (030/12345678)
  if (sep === SLASH) {
    const ok = groups === 2 && codeAt(s, i) === 48 && enabled & (1 << E.PHONE_NUMBER) && total <= 12;
    return ok ? found(m, E.PHONE_NUMBER, i, j) : -1;
  }

  let n = -1; // digits collected, once
  if (enabled & (1 << E.CREDIT_CARD) && total >= 13 && sep !== DOT && cardShape(groups)) {
    n = collect(s, total);
    if (creditCard(digits, n)) return found(m, E.CREDIT_CARD, i, j);
  }
  let read = total > 15; // the text's context words are in ctx
  if (enabled & (1 << E.US_SSN) && total === 9 && (shape(groups, 3, 2, 4) || groups === 1)) {
    if (groups === 1 && !read) {
      ctx |= textContext(s, i);
      read = true;
    }
    if (shape(groups, 3, 2, 4) || ctx & Ctx.SSN) {
      if (n < 0) n = collect(s, total);
      if (ssn(digits, n)) return found(m, E.US_SSN, i, j);
    }
  }
  if (
    total === 10 &&
    enabled & (1 << E.UK_NHS) &&
    ((shape(groups, 3, 3, 4) && sep !== DOT) || groups === 1)
  ) {
    if (n < 0) n = collect(s, total);
    if (nhs(digits, n)) {
      if (!read) {
        ctx |= textContext(s, i);
        read = true;
      }
      // NHS numbers are written 3 3 4 with spaces; dashes or a bare run need an NHS context,
      // and after a phone word (`call me at 415 555 2671`) they are phone numbers
      if ((sep === SPACE && !(ctx & Ctx.PHONE)) || ctx & Ctx.NHS) return found(m, E.UK_NHS, i, j);
    }
  }
  if (enabled & (1 << E.PHONE_NUMBER)) {
    if (phoneShape(s, groups, sep, total)) return found(m, E.PHONE_NUMBER, i, j);
    if (total <= 15) {
      if (!read) ctx |= textContext(s, i);
      if (ctx & Ctx.PHONE) return found(m, E.PHONE_NUMBER, i, j);
    }
  }
  return -1;
}

/** Phone number shapes that need no context word (the caller checks the context for the rest). */
function phoneShape(s: string, groups: number, sep: number, total: number): boolean {
  if (groups === 1) return false;
  // 415-555-2671, 415.555.2671, 415 555 2671
  if (total === 10 && shape(groups, 3, 3, 4)) return nanpAt(s, gStart[0]!, gStart[1]!);
  // 1-415-555-2671
  if (total === 11 && groups === 4 && gLen[0] === 1 && codeAt(s, gStart[0]!) === 49) {
    return gLen[1] === 3 && gLen[2] === 3 && gLen[3] === 4 && nanpAt(s, gStart[1]!, gStart[2]!);
  }
  if (sep === DOT) return false;
  for (let g = 0; g < groups; g++) if (gLen[g]! < 2) return false;
  const d0 = codeAt(s, gStart[0]!);
  // Indian mobiles: 98765 43210
  if (groups === 2 && gLen[0] === 5 && gLen[1] === 5 && sep === SPACE) return d0 >= 54;
  const d1 = codeAt(s, gStart[0]! + 1);
  if (d0 !== 48) return false;
  // 0044 20 7946 0958: international with the 00 prefix
  if (d1 === 48) return total >= 11 && total <= 17 && gLen[0]! >= 3;
  // national trunk prefix: 020 7946 0958, 030 12345678, 01 23 45 67 89, 03-1234-5678
  return total >= 10 && total <= 12;
}

/** 415 555-2671: the one mixed-separator form common enough to accept. */
function nanpMixed(s: string, i: number, groups: number, end: number, enabled: number, m: Matches): number {
  if (!(enabled & (1 << E.PHONE_NUMBER))) return -1;
  if (!shape(groups, 3, 3, 4) || codeAt(s, gStart[2]! - 1) !== DASH) return -1;
  return nanpAt(s, gStart[0]!, gStart[1]!) ? found(m, E.PHONE_NUMBER, i, end) : -1;
}

/**
 * International phone numbers from a '+' at `i`: digits with spaces, dashes,
 * dots and parenthesised area codes, 8 to 15 digits as E.164 allows (a
 * national trunk digit in parentheses, `+44 (0)20`, adds one).
 */
export function plusPhone(s: string, i: number, m: Matches): number {
  const total = phoneTail(s, i + 1);
  if (total < 0) return -1;
  const digits = total % 256;
  const end = (total - digits) / 256;
  return digits >= 8 && digits <= 16 ? found(m, E.PHONE_NUMBER, i, end) : -1;
}

/** `(415) 555-2671`, `(020) 7946 0958`: a parenthesised area code first. */
export function parenPhone(s: string, i: number, m: Matches): number {
  // (+44) 20 7946 0958: a country code in parentheses
  if (codeAt(s, i + 1) === 43) {
    const close = runEnd(s, i + 2, DIGIT);
    if (close === i + 2 || close - i - 2 > 3 || codeAt(s, close) !== 41) return -1;
    let j = close + 1;
    if (codeAt(s, j) === 32 || codeAt(s, j) === 45) j++;
    const rest = phoneTail(s, j);
    if (rest < 0) return -1;
    const digits = (rest % 256) + close - i - 2;
    const end = (rest - (rest % 256)) / 256;
    return digits >= 8 && digits <= 16 ? found(m, E.PHONE_NUMBER, i, end) : -1;
  }
  const total = phoneTail(s, i);
  if (total < 0) return -1;
  const digits = total % 256;
  const end = (total - digits) / 256;
  return digits >= 9 && digits <= 12 ? found(m, E.PHONE_NUMBER, i, end) : -1;
}

/**
 * Reads phone digits from `i`; returns end * 256 + digitCount, or -1. Groups
 * are joined by one separator (space, dash, dot) and may be parenthesised.
 */
function phoneTail(s: string, i: number): number {
  let j = i;
  let digits = 0;
  let groups = 0;
  for (;;) {
    let paren = false;
    if (codeAt(s, j) === 40) {
      paren = true;
      j++;
    }
    const e = runEnd(s, j, DIGIT);
    if (e === j || e - j > 15) return -1;
    digits += e - j;
    groups++;
    j = e;
    if (paren) {
      if (codeAt(s, j) !== 41) return -1;
      j++;
    }
    if (groups > 8 || digits > 16) return -1;
    const c = codeAt(s, j);
    if ((c === 40 && isDigitAt(s, j + 1)) || (paren && isDigitAt(s, j))) continue;
    if ((c === SPACE || c === DASH || c === DOT) && (isDigitAt(s, j + 1) || codeAt(s, j + 1) === 40)) {
      j++;
      continue;
    }
    break;
  }
  if ((clsAt(s, j) & WORD) !== 0) return -1;
  return j * 256 + digits;
}

function found(m: Matches, entity: E, start: number, end: number): number {
  m.push(entity, start, end);
  return end;
}
