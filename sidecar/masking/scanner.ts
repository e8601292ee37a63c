// The one pass over a value. The loop jumps from token start to token start
// (a word's first character, or one of the punctuation marks some recognizer
// is anchored on: @ + ( - :) and asks only the recognizers whose first
// characters fit; a word no recognizer claims is skipped whole. Findings go
// into a reused Matches buffer, in order and never overlapping.

import * as _charclass from './char-class.js';
import * as _context from './context.js';
import { E as EEnum } from './entities.js';
import type { Matches } from './matches.js';
import * as _network from './network.js';
import * as _numbers from './numbers.js';
import * as _tokens from './tokens.js';

// Local constants, not the imported bindings: an import is a live binding, and optimized code
// reads it through its module cell, checking that it is initialized, at every use; a module's own
// constants are folded into the code.
const { ALNUM, ANCHOR, CLS, CLS16, clsAt, codeAt, DIGIT, HEXL, LOWER, NOT_HEX, runEnd, UPPER, WORD } =
  _charclass;
const { afterVersionWord } = _context;
const { atSignAddress, email, ipv4Tail, ipv6, mac } = _network;
const { digitGroups, parenPhone, plusPhone, resume } = _numbers;
const {
  awsKey,
  base58Address,
  bech32Address,
  githubToken,
  iban,
  jwt,
  nino,
  privateKey,
  secretAssignment,
  slackToken,
} = _tokens;
// the enums too: under isolatedModules an enum is an object, imported as a live binding too
type E = EEnum;
const E = EEnum;

const bit = (e: E): number => 1 << e;
const NET = bit(E.IP_ADDRESS) | bit(E.MAC_ADDRESS);
const out = new Int32Array(2);

/** Finds every enabled entity in `s`; `ctx` carries hints from the column name. */
export function scan(s: string, enabled: number, ctx: number, m: Matches): void {
  m.count = 0;
  const n = s.length;
  const lw = enabled === maskFor ? maskLw : letterMask(enabled);
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const k = CLS16[c]!;
    if ((k & WORD) !== 0) {
      // The word's end first: most words are plain words, and a look at their
      // first two characters, length and next character rules them out here.
      let we = i + 1;
      let seen = k; // the classes in the word: a word without digits is no IBAN, NINO or bc1 address
      // the character that ends the word, 0 at the end of the value (what codeAt reads there): the
      // candidate checks take it from here instead of reading it again
      let after = 0;
      let c1 = 0; // the word's second character, 0 in a word of one: the first-two-characters table reads it
      if (we < n) {
        const d = s.charCodeAt(we);
        const dk = CLS16[d]!;
        if ((dk & ALNUM) === 0) after = d;
        else {
          c1 = d;
          seen |= dk;
          we++;
          while (we < n) {
            const d = s.charCodeAt(we);
            const dk = CLS16[d]!;
            if ((dk & ALNUM) === 0) {
              after = d;
              break;
            }
            seen |= dk;
            we++;
          }
        }
      }
      if (
        (k & DIGIT) !== 0
          ? digitCandidate(s, i, we, after, enabled)
          : letterCandidate(s, i, c, c1, we, after, seen, lw)
      ) {
        resume.at = -1;
        const r =
          (k & DIGIT) !== 0
            ? digitToken(s, i, we, after, c, seen, enabled, ctx, m)
            : letterToken(s, i, we, after, c, seen, enabled, m);
        if (r >= 0) {
          i = r;
          continue;
        }
        if (resume.at > we) {
          we = resume.at;
          after = 95; // not known: read below
        }
      }
      if (after === 95) {
        // past the whole word and its '_' joins
        while (we < n && (CLS16[s.charCodeAt(we)]! & WORD) !== 0) we++;
        i = we;
      } else {
        // the character after the word is already read: a space or any other character no
        // recognizer is anchored on is passed over here, not read again by the loop (at the end
        // of the value, after is 0 and i goes past n)
        i = (CLS16[after]! & ANCHOR) === 0 ? we + 1 : we;
      }
      continue;
    }
    if ((k & ANCHOR) === 0) {
      // spaces, other punctuation, text outside ASCII: passed over in one run
      i++;
      while (i < n && (CLS16[s.charCodeAt(i)]! & (WORD | ANCHOR)) === 0) i++;
      continue;
    }
    let r = -1;
    switch (c) {
      case 64: // @
        r = atSign(s, i, enabled, m);
        break;
      case 37: // %40, a URL-encoded '@' (query strings in access logs)
        if (enabled & (1 << E.EMAIL_ADDRESS) && codeAt(s, i + 1) === 52 && codeAt(s, i + 2) === 48) {
          r = email(s, i, m.lastEnd, out, 3);
          if (r >= 0) m.push(E.EMAIL_ADDRESS, out[0]!, r);
        }
        break;
      case 43: // +
        if (
          enabled & (1 << E.PHONE_NUMBER) &&
          (clsAt(s, i + 1) & DIGIT) !== 0 &&
          (clsAt(s, i - 1) & WORD) === 0
        ) {
          r = plusPhone(s, i, m);
        }
        break;
      case 40: // (
        if (
          enabled & (1 << E.PHONE_NUMBER) &&
          ((clsAt(s, i + 1) & DIGIT) !== 0 || codeAt(s, i + 1) === 43) &&
          (clsAt(s, i - 1) & WORD) === 0
        ) {
          r = parenPhone(s, i, m);
        }
        break;
      case 45: // -
        if (enabled & (1 << E.PRIVATE_KEY) && codeAt(s, i + 1) === 45) {
          r = privateKey(s, i);
          if (r >= 0) m.push(E.PRIVATE_KEY, i, r);
        }
        break;
      case 58: // :  (an IPv6 address written from '::')
        if (enabled & (1 << E.IP_ADDRESS) && codeAt(s, i + 1) === 58 && codeAt(s, i - 1) !== 58) {
          if ((clsAt(s, i - 1) & WORD) === 0) r = pushIf(m, E.IP_ADDRESS, i, ipv6(s, i));
        }
        break;
    }
    i = r >= 0 ? r : i + 1;
  }
}

function pushIf(m: Matches, e: E, start: number, end: number): number {
  if (end >= 0) m.push(e, start, end);
  return end;
}

function atSign(s: string, i: number, enabled: number, m: Matches): number {
  const url = (enabled & (1 << E.URL)) !== 0;
  const mail = (enabled & (1 << E.EMAIL_ADDRESS)) !== 0;
  if (!url && !mail) return -1;
  const end = atSignAddress(s, i, m.lastEnd, url, mail, out);
  if (end >= 0) m.push(out[1] === 1 ? E.URL : E.EMAIL_ADDRESS, out[0]!, end);
  return end;
}

/** A hex word followed by ':' '-' or '.' may be a MAC or an IPv6 address. */
function hexNet(s: string, i: number, enabled: number, m: Matches): number {
  const hexEnd = runEnd(s, i, DIGIT | HEXL);
  const len = hexEnd - i;
  if (len === 0 || len > 4) return -1;
  const next = codeAt(s, hexEnd);
  if (next !== 58 && next !== 45 && next !== 46) return -1;
  if (codeAt(s, i - 1) === 58) return -1; // the tail of a longer colon run
  if (next === 58 && !colonShape(s, hexEnd)) return -1;
  if (enabled & (1 << E.MAC_ADDRESS) && (len === 2 || (len === 4 && next === 46))) {
    const end = pushIf(m, E.MAC_ADDRESS, i, mac(s, i));
    if (end >= 0) return end;
  }
  if (enabled & (1 << E.IP_ADDRESS) && next === 58) return pushIf(m, E.IP_ADDRESS, i, ipv6(s, i));
  return -1;
}

/** ':' '-' '.': what joins the groups of a MAC or an IPv6 address. */
function netJoin(c: number): boolean {
  return c === 58 || c === 45 || c === 46;
}

/**
 * Colons from `j` on could make a MAC (five) or an IPv6 address (seven, or a
 * '::'); a clock time (`12:47:08`) has two and is ruled out before either
 * parser runs.
 */
function colonShape(s: string, j: number): boolean {
  const limit = Math.min(s.length, j + 40);
  let colons = 0;
  for (; j < limit; j++) {
    const c = codeAt(s, j);
    if (c === 58) {
      if (codeAt(s, j + 1) === 58) return true;
      colons++;
    } else if (c >= 128 || (CLS[c]! & (DIGIT | HEXL)) === 0) break;
  }
  return colons >= 5;
}

/**
 * A token at `i`, whose run of letters and digits ends at `wordEnd` (before
 * `after`) and holds the character classes `seen`: digitToken for a word that
 * starts with a digit, letterToken for the others. Two functions, not one:
 * each stays small enough for V8 to inline the helpers it calls.
 */
function digitToken(
  s: string,
  i: number,
  wordEnd: number,
  after: number,
  c: number,
  seen: number,
  enabled: number,
  ctx: number,
  m: Matches,
): number {
  // the digits after a decimal point, or a thousands group (1,234,567), are no token of their own;
  // after any other comma (a CSV field) they are
  const p = codeAt(s, i - 1);
  const digitEnd = (seen & (UPPER | LOWER)) === 0 ? wordEnd : runEnd(s, i, DIGIT);
  if ((p === 46 || (p === 44 && digitEnd - i === 3)) && (clsAt(s, i - 2) & DIGIT) !== 0) return -1;
  if (wordEnd > digitEnd) {
    // letters in the word: a bitcoin address or hex
    if (enabled & (1 << E.CRYPTO) && (c === 49 || c === 51)) {
      const r = pushIf(m, E.CRYPTO, i, base58Address(s, i, wordEnd));
      if (r >= 0) return r;
    }
    return enabled & NET && (seen & NOT_HEX) === 0 && wordEnd - i <= 4 && netJoin(after)
      ? hexNet(s, i, enabled, m)
      : -1;
  }
  const next = digitEnd === wordEnd ? after : codeAt(s, digitEnd);
  const len = digitEnd - i;
  // what hexNet can make of digits: a MAC (12:, 12-34-56-…, Cisco's 1234.5678.9abc; a date's 03-23 is
  // none) or IPv6 (1-4 digits and ':')
  if (
    enabled & NET &&
    (next === 58
      ? len <= 4
      : next === 45
        ? len === 2 && codeAt(s, i + 5) === 45
        : next === 46 && len === 4 && codeAt(s, i + 9) === 46)
  ) {
    const r = hexNet(s, i, enabled, m);
    if (r >= 0) return r;
  }
  if (digitEnd - i === 1 && next !== 32 && next !== 45 && next !== 46) return -1; // a lone digit
  if (next === 58 && digitEnd - i < 7) return -1; // a clock time: ':' joins no digit groups
  // a dotted quad first: it may go on with a prefix length, a port, a range or more numbers
  if (next === 46 && digitEnd - i <= 3 && enabled & (1 << E.IP_ADDRESS)) {
    const end = ipv4Tail(s, i);
    if (end >= 0 && !afterVersionWord(s, i)) return pushIf(m, E.IP_ADDRESS, i, end);
  }
  return digitGroups(s, i, digitEnd, enabled, ctx, m);
}

/** The token at `i` when the word starts with a letter or '_' (see digitToken). */
function letterToken(
  s: string,
  i: number,
  wordEnd: number,
  after: number,
  c: number,
  seen: number,
  enabled: number,
  m: Matches,
): number {
  // maskLw is letterMask(enabled): scan computed it for this value
  const lw = LETTER_START[c]! & maskLw;
  const ibanish = (clsAt(s, i + 2) & DIGIT) !== 0;
  if (lw === 0 && !ibanish) return -1; // most words: nothing can start here
  let r = -1;
  if (ibanish && enabled & (1 << E.IBAN_CODE)) r = pushIf(m, E.IBAN_CODE, i, iban(s, i));
  if (r < 0 && lw & LW_NINO && (ibanish || codeAt(s, i + 2) === 32)) r = pushIf(m, E.UK_NINO, i, nino(s, i));
  if (r < 0 && lw & LW_AWS && wordEnd - i === 20) r = pushIf(m, E.AWS_ACCESS_KEY, i, awsKey(s, i, wordEnd));
  if (r < 0 && lw & LW_BC1 && (s.startsWith('bc1', i) || s.startsWith('BC1', i))) {
    r = pushIf(m, E.CRYPTO, i, bech32Address(s, i, wordEnd));
  }
  if (r < 0 && lw & LW_JWT && s.startsWith('eyJ', i)) r = pushIf(m, E.JWT, i, jwt(s, i));
  if (r < 0 && lw & LW_GH && (codeAt(s, i + 1) === 104 || s.startsWith('github_pat_', i))) {
    r = pushIf(m, E.GITHUB_TOKEN, i, githubToken(s, i));
  }
  if (r < 0 && lw & LW_SLACK) r = pushIf(m, E.SLACK_TOKEN, i, slackToken(s, i));
  if (r < 0 && lw & LW_HEX && (seen & NOT_HEX) === 0 && wordEnd - i <= 4 && netJoin(after)) {
    r = hexNet(s, i, enabled, m);
  }
  if (r < 0 && lw & LW_KEY) {
    const keyEnd = runEnd(s, wordEnd, WORD);
    const len = keyEnd - i;
    if (len >= 3 && len <= 21 && assignmentFollows(s, keyEnd)) {
      r = secretAssignment(s, i, keyEnd, out);
      if (r >= 0) m.push(E.PASSWORD, out[0]!, r);
    }
  }
  return r;
}

// Which letter-started recognizers a word's first character can begin.
const LW_NINO = 1;
const LW_AWS = 2;
const LW_BC1 = 4;
const LW_JWT = 8;
const LW_GH = 16;
const LW_SLACK = 32;
const LW_HEX = 64;
const LW_KEY = 128;
const LETTER_START = new Uint8Array(128);
const mark = (chars: string, flag: number): void => {
  for (const ch of chars) LETTER_START[ch.charCodeAt(0)]! |= flag;
};
mark('ABCEGHJKLMNOPRSTWXYZ', LW_NINO);
mark('A', LW_AWS);
mark('bB', LW_BC1);
mark('e', LW_JWT);
mark('g', LW_GH);
mark('x', LW_SLACK);
mark('abcdefABCDEF', LW_HEX);
mark('pPsScCaAtT', LW_KEY); // password, pwd, secret, client_secret, api_key, access_token, token, ...

let maskFor = -1;
let maskLw = 0;
/** The LW_* flags of the enabled entities (cached: one policy scans many values). */
function letterMask(enabled: number): number {
  if (enabled === maskFor) return maskLw;
  let lw = 0;
  if (enabled & bit(E.UK_NINO)) lw |= LW_NINO;
  if (enabled & bit(E.AWS_ACCESS_KEY)) lw |= LW_AWS;
  if (enabled & bit(E.CRYPTO)) lw |= LW_BC1;
  if (enabled & bit(E.JWT)) lw |= LW_JWT;
  if (enabled & bit(E.GITHUB_TOKEN)) lw |= LW_GH;
  if (enabled & bit(E.SLACK_TOKEN)) lw |= LW_SLACK;
  if (enabled & NET) lw |= LW_HEX;
  if (enabled & bit(E.PASSWORD)) lw |= LW_KEY;
  maskFor = enabled;
  maskLw = lw;
  return lw;
}

const NUMERIC =
  bit(E.PHONE_NUMBER) |
  bit(E.CREDIT_CARD) |
  bit(E.US_SSN) |
  bit(E.UK_NHS) |
  bit(E.IP_ADDRESS) |
  bit(E.MAC_ADDRESS) |
  bit(E.CRYPTO);

/**
 * Could a word starting with a digit at `i` (ending at `we`, followed by
 * `next`) be anything? A
 * short number standing alone (a quantity, a year, a price) cannot: every
 * numeric entity is long or continues in another group.
 */
function digitCandidate(s: string, i: number, we: number, next: number, enabled: number): boolean {
  if ((enabled & NUMERIC) === 0) return false;
  if (we - i >= 7) return true;
  if (next === 32 || next === 45 || next === 46 || next === 47 || next === 58) {
    const after = codeAt(s, we + 1);
    return after < 128 && (CLS[after]! & (DIGIT | HEXL)) !== 0;
  }
  return false;
}

/**
 * What a word's first two characters (`c`, then an ASCII letter or digit
 * `c1`) can begin, as LW_* flags: one table read rules out most words.
 */
const FIRST2 = new Uint8Array(128 * 128);
for (let c = 0; c < 128; c++) {
  for (let c1 = 0; c1 < 128; c1++) {
    let f = 0;
    if (LETTER_START[c]! & LW_NINO && c1 < 91) f |= LW_NINO; // AB 12 34 56 C
    if (c === 65) f |= LW_AWS;
    if ((c | 0x20) === 98 && (c1 | 0x20) === 99) f |= LW_BC1; // bc1 / BC1
    if (c === 101 && c1 === 121) f |= LW_JWT; // eyJ
    if (c === 103 && (c1 === 104 || c1 === 105)) f |= LW_GH; // gh?_, github_pat_
    if (c === 120 && (c1 === 111 || c1 === 97)) f |= LW_SLACK; // xox?-, xapp-
    if (LETTER_START[c]! & LW_HEX) f |= LW_HEX;
    if (LETTER_START[c]! & LW_KEY && keyPrefix(c | 0x20, c1 | 0x20)) f |= LW_KEY;
    FIRST2[(c << 7) | c1] = f;
  }
}

/**
 * Could a word starting with letter `c` at `i` (then `c1`; ending at `we`,
 * before `next`, holding the character classes `seen`) be anything? The first two characters, the
 * length and the classes first: they rule out most words with one table read.
 */
function letterCandidate(
  s: string,
  i: number,
  c: number,
  c1: number,
  we: number,
  next: number,
  seen: number,
  lw: number,
): boolean {
  const len = we - i;
  // IBAN, NINO: a digit third (in a word of three or more, only if the word has digits; in a word of
  // two the third character is `next`)
  if (len === 2) {
    if (next >= 48 && next <= 57) return true;
  } else if ((seen & DIGIT) !== 0 || len === 1) {
    if ((clsAt(s, i + 2) & DIGIT) !== 0) return true;
  }
  if (len === 1) {
    const f = LETTER_START[c]! & lw;
    if (f === 0) return false;
    if (f & LW_NINO && next < 91 && codeAt(s, i + 2) === 32) return true; // the NINO check below, for "A- "
    return (f & LW_HEX) !== 0 && netJoin(next);
  }
  const f = FIRST2[(c << 7) | c1]! & lw;
  if (f === 0) return false;
  if (f & LW_AWS && len === 20) return true;
  if (f & LW_BC1 && (seen & DIGIT) !== 0) return true;
  if (f & LW_JWT) return true;
  if (f & LW_NINO && len === 2 && next === 32) return true;
  if (f & LW_GH && (len === 3 || len === 6) && next === 95) return true;
  if (f & LW_SLACK && len === 4 && next === 45) return true;
  if (f & LW_HEX && (seen & NOT_HEX) === 0 && len <= 4 && netJoin(next)) return true;
  return (f & LW_KEY) !== 0 && (next === 95 || assignmentFollows(s, we));
}

/** First two letters of the SECRET_KEYS (pa pw se cl ap ac au aw to), lower-cased. */
function keyPrefix(l0: number, l1: number): boolean {
  switch (l0) {
    case 112: // p: password, passwd, pass, passphrase, pwd
      return l1 === 97 || l1 === 119;
    case 115: // s: secret, secret_key
      return l1 === 101;
    case 99: // c: client_secret
      return l1 === 108;
    case 97: // a: api_key, apikey, access_token, auth_token, authorization, aws_secret_access_key
      return l1 === 112 || l1 === 99 || l1 === 117 || l1 === 119;
    case 116: // t: token
      return l1 === 111;
    default:
      return false;
  }
}

/** `key=`, `key:`, `"key": ` — checked before the key is read, so ordinary words cost nothing. */
function assignmentFollows(s: string, j: number): boolean {
  let c = codeAt(s, j);
  if (c === 34 || c === 39) c = codeAt(s, ++j);
  while (c === 32) c = codeAt(s, ++j);
  return c === 58 || c === 61;
}
