// The one pass over a value. The loop jumps from token start to token start
// (a word's first character, or one of the punctuation marks some recognizer
// is anchored on: @ + ( - :) and asks only the recognizers whose first
// characters fit; a word no recognizer claims is skipped whole. Findings go
// into a reused Matches buffer, in order and never overlapping.

import { ALNUM, CLS, clsAt, DIGIT, HEXL, LOWER, runEnd, UPPER, WORD } from './char-class.js';
import { Ctx, E } from './entities.js';
import type { Matches } from './matches.js';
import { email, ipv6, mac, urlWithCredentials } from './network.js';
import { digitGroups, parenPhone, plusPhone } from './numbers.js';
import {
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
} from './tokens.js';

const bit = (e: E): number => 1 << e;
const NET = bit(E.IP_ADDRESS) | bit(E.MAC_ADDRESS);
const out = new Int32Array(1);

/** Finds every enabled entity in `s`; `ctx` carries hints from the column name. */
export function scan(s: string, enabled: number, ctx: number, m: Matches): void {
  m.count = 0;
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      i++;
      continue;
    }
    const k = CLS[c]!;
    if ((k & WORD) !== 0) {
      const r = token(s, i, c, k, enabled, ctx, m);
      // past the whole word (and its '_' joins) when nothing was found
      i = r >= 0 ? r : runEnd(s, runEnd(s, i, ALNUM), WORD);
      continue;
    }
    let r = -1;
    switch (c) {
      case 64: // @
        r = atSign(s, i, enabled, m);
        break;
      case 43: // +
        if (
          enabled & bit(E.PHONE_NUMBER) &&
          (clsAt(s, i + 1) & DIGIT) !== 0 &&
          (clsAt(s, i - 1) & WORD) === 0
        ) {
          r = plusPhone(s, i, m);
        }
        break;
      case 40: // (
        if (
          enabled & bit(E.PHONE_NUMBER) &&
          (clsAt(s, i + 1) & DIGIT) !== 0 &&
          (clsAt(s, i - 1) & WORD) === 0
        ) {
          r = parenPhone(s, i, m);
        }
        break;
      case 45: // -
        if (enabled & bit(E.PRIVATE_KEY) && s.charCodeAt(i + 1) === 45) {
          r = privateKey(s, i);
          if (r >= 0) m.push(E.PRIVATE_KEY, i, r);
        }
        break;
      case 58: // :  (an IPv6 address written from '::')
        if (enabled & bit(E.IP_ADDRESS) && s.charCodeAt(i + 1) === 58 && s.charCodeAt(i - 1) !== 58) {
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
  const floor = m.lastEnd;
  if (enabled & bit(E.URL)) {
    const end = urlWithCredentials(s, i, floor, out);
    if (end >= 0) {
      m.push(E.URL, out[0]!, end);
      return end;
    }
  }
  if (enabled & bit(E.EMAIL_ADDRESS)) {
    const end = email(s, i, floor, out);
    if (end >= 0) {
      m.push(E.EMAIL_ADDRESS, out[0]!, end);
      return end;
    }
  }
  return -1;
}

/** A hex word followed by ':' '-' or '.' may be a MAC or an IPv6 address. */
function hexNet(s: string, i: number, enabled: number, m: Matches): number {
  const hexEnd = runEnd(s, i, DIGIT | HEXL);
  const len = hexEnd - i;
  if (len === 0 || len > 4) return -1;
  const next = s.charCodeAt(hexEnd);
  if (next !== 58 && next !== 45 && next !== 46) return -1;
  if (s.charCodeAt(i - 1) === 58) return -1; // the tail of a longer colon run
  if (enabled & bit(E.MAC_ADDRESS) && (len === 2 || (len === 4 && next === 46))) {
    const end = pushIf(m, E.MAC_ADDRESS, i, mac(s, i));
    if (end >= 0) return end;
  }
  if (enabled & bit(E.IP_ADDRESS) && next === 58) return pushIf(m, E.IP_ADDRESS, i, ipv6(s, i));
  return -1;
}

function token(s: string, i: number, c: number, k: number, enabled: number, ctx: number, m: Matches): number {
  if ((k & DIGIT) !== 0) {
    // the digits after a decimal point or thousands comma are no token of their own
    const p = s.charCodeAt(i - 1);
    if ((p === 46 || p === 44) && (clsAt(s, i - 2) & DIGIT) !== 0) return -1;
    const digitEnd = runEnd(s, i, DIGIT);
    const wordEnd = runEnd(s, digitEnd, ALNUM);
    if (wordEnd > digitEnd) {
      // letters in the word: a bitcoin address or hex
      if (enabled & bit(E.CRYPTO) && (c === 49 || c === 51)) {
        const r = pushIf(m, E.CRYPTO, i, base58Address(s, i, wordEnd));
        if (r >= 0) return r;
      }
      return enabled & NET ? hexNet(s, i, enabled, m) : -1;
    }
    const next = s.charCodeAt(digitEnd);
    if (enabled & NET && (next === 58 || (next === 45 && digitEnd - i === 2) || next === 46)) {
      const r = hexNet(s, i, enabled, m);
      if (r >= 0) return r;
    }
    if (digitEnd - i === 1 && next !== 32 && next !== 45 && next !== 46) return -1; // a lone digit
    return digitGroups(s, i, enabled, digitEnd - i >= 9 ? ctx | textContext(s, i) : ctx, m);
  }
  const wordEnd = runEnd(s, i, ALNUM);
  if (enabled & bit(E.IBAN_CODE) && (clsAt(s, i + 2) & DIGIT) !== 0) {
    const r = pushIf(m, E.IBAN_CODE, i, iban(s, i));
    if (r >= 0) return r;
  }
  if ((k & UPPER) !== 0) {
    if (enabled & bit(E.UK_NINO)) {
      const r = pushIf(m, E.UK_NINO, i, nino(s, i));
      if (r >= 0) return r;
    }
    if (c === 65 && enabled & bit(E.AWS_ACCESS_KEY)) {
      const r = pushIf(m, E.AWS_ACCESS_KEY, i, awsKey(s, i, wordEnd));
      if (r >= 0) return r;
    }
    if (c === 66 && enabled & bit(E.CRYPTO) && s.startsWith('BC1', i)) {
      const r = pushIf(m, E.CRYPTO, i, bech32Address(s, i, wordEnd));
      if (r >= 0) return r;
    }
  } else if ((k & LOWER) !== 0) {
    let r = -1;
    switch (c) {
      case 101: // e
        if (enabled & bit(E.JWT) && s.startsWith('eyJ', i)) r = pushIf(m, E.JWT, i, jwt(s, i));
        break;
      case 103: // g
        if (
          enabled & bit(E.GITHUB_TOKEN) &&
          (s.charCodeAt(i + 1) === 104 || s.startsWith('github_pat_', i))
        ) {
          r = pushIf(m, E.GITHUB_TOKEN, i, githubToken(s, i));
        }
        break;
      case 120: // x
        if (enabled & bit(E.SLACK_TOKEN)) r = pushIf(m, E.SLACK_TOKEN, i, slackToken(s, i));
        break;
      case 98: // b
        if (enabled & bit(E.CRYPTO) && s.startsWith('bc1', i))
          r = pushIf(m, E.CRYPTO, i, bech32Address(s, i, wordEnd));
        break;
    }
    if (r >= 0) return r;
  }
  if ((k & HEXL) !== 0 && enabled & NET && wordEnd - i <= 4) {
    const r = hexNet(s, i, enabled, m);
    if (r >= 0) return r;
  }
  if (enabled & bit(E.PASSWORD)) {
    const keyEnd = runEnd(s, wordEnd, WORD);
    const len = keyEnd - i;
    if (len >= 3 && len <= 13) {
      const r = secretAssignment(s, i, keyEnd, out);
      if (r >= 0) {
        m.push(E.PASSWORD, out[0]!, r);
        return r;
      }
    }
  }
  return -1;
}

const CONTEXT_WINDOW = 40;

/**
 * Context words just before a bare number, as Presidio's context enhancer
 * uses them: they let a 9-digit run count as an SSN, a 10-digit run as an
 * NHS number, a digit run as a phone number.
 */
const SSN_WORDS = /\bssns?\b|social security|\bssid\b/;
const NHS_WORDS = /\bnhs\b|national health/;
const PHONE_WORDS = /\b(?:phone|tel|telephone|mobile|cell|fax|call|whatsapp|sms)\b/;

function textContext(s: string, i: number): number {
  if (i === 0) return 0;
  const before = s.slice(Math.max(0, i - CONTEXT_WINDOW), i).toLowerCase();
  let ctx = 0;
  if (SSN_WORDS.test(before)) ctx |= Ctx.SSN;
  if (NHS_WORDS.test(before)) ctx |= Ctx.NHS;
  if (PHONE_WORDS.test(before)) ctx |= Ctx.PHONE;
  return ctx;
}
