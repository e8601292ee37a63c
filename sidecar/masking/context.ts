// Context words just before a bare number, as Presidio's context enhancer uses
// them: they let a 9-digit run count as an SSN, a 10-digit run as an NHS
// number, a digit run as a phone number. Read only for such candidates.

import { Ctx } from './entities.js';

const CONTEXT_WINDOW = 40;

/** Context words (Presidio's lists, one word each) and what they lend. */
const WORDS: readonly [string, number][] = [
  ['ssn', Ctx.SSN],
  ['ssns', Ctx.SSN],
  ['ssid', Ctx.SSN],
  ['social', Ctx.SSN],
  ['nhs', Ctx.NHS],
  ['phone', Ctx.PHONE],
  ['tel', Ctx.PHONE],
  ['telephone', Ctx.PHONE],
  ['mobile', Ctx.PHONE],
  ['cell', Ctx.PHONE],
  ['fax', Ctx.PHONE],
  ['call', Ctx.PHONE],
  ['whatsapp', Ctx.PHONE],
  ['sms', Ctx.PHONE],
];

// Most words near a number are none of these: their first letter and length
// rule them out before any comparison (this runs for every long digit group).
const FIRST_LETTERS = WORDS.reduce((a, [w]) => a | (1 << (w.charCodeAt(0) - 97)), 0);
const BY_LENGTH: string[][] = Array.from({ length: 10 }, () => []);
for (const [w] of WORDS) BY_LENGTH[w.length]!.push(w);
const FLAG_OF = new Map<string, number>(WORDS);

/** The lower-cased ASCII letter at `k`, or 0. */
function lowerAt(s: string, k: number): number {
  const c = s.charCodeAt(k) | 0x20;
  return c >= 97 && c <= 122 ? c : 0;
}

/**
 * Ctx flags for the words in the 40 characters before `i`, back to the last
 * digit at most: a word that stands before another number belongs to that
 * number (`"phone":"+44 20 7946 0958","order":"…"`). Reads the words in place:
 * this runs for many digit groups and must not allocate.
 */
export function textContext(s: string, i: number): number {
  const min = Math.max(0, i - CONTEXT_WINDOW);
  let ctx = 0;
  let k = i;
  while (k > min) {
    const c = s.charCodeAt(k - 1);
    if (c >= 48 && c <= 57) break;
    if (lowerAt(s, k - 1) === 0) {
      k--;
      continue;
    }
    // a word ends at k: find its start
    const end = k;
    while (k > min && lowerAt(s, k - 1) !== 0) k--;
    const len = end - k;
    if (len >= 3 && len <= 9 && (FIRST_LETTERS & (1 << (lowerAt(s, k) - 97))) !== 0) {
      const words = BY_LENGTH[len]!;
      next: for (let w = 0; w < words.length; w++) {
        const word = words[w]!;
        for (let q = 0; q < len; q++) if (lowerAt(s, k + q) !== word.charCodeAt(q)) continue next;
        ctx |= FLAG_OF.get(word)!;
      }
    }
  }
  return ctx;
}

/** `version 4.2.1.0`, `build 10.0.1.3`, `v1.2.3.4` read as versions, not addresses. */
export function afterVersionWord(s: string, i: number): boolean {
  // In the 10 characters before `i`, what /(?:version|ver\.?|build|release|rev|v)\s*[:=]?\s*$/i
  // finds, read in place (this runs for every dotted quad); `\s` as JavaScript defines it.
  const lo = Math.max(0, i - 10);
  let k = i;
  while (k > lo && isJsSpace(s.charCodeAt(k - 1))) k--;
  if (k > lo && (s.charCodeAt(k - 1) === 58 || s.charCodeAt(k - 1) === 61)) {
    k--;
    while (k > lo && isJsSpace(s.charCodeAt(k - 1))) k--;
  }
  if (k === lo) return false;
  if (lowerAsciiAt(s, k - 1) === 118) return true; // v, rev
  return (
    endsWithWord(s, lo, k, 'ver.') ||
    endsWithWord(s, lo, k, 'ver') ||
    endsWithWord(s, lo, k, 'version') ||
    endsWithWord(s, lo, k, 'build') ||
    endsWithWord(s, lo, k, 'release')
  );
}

/** Does `word` (lower case) end at `k`, starting at or after `lo`, ASCII letters in either case? */
function endsWithWord(s: string, lo: number, k: number, word: string): boolean {
  const at = k - word.length;
  if (at < lo) return false;
  for (let q = 0; q < word.length; q++) if (lowerAsciiAt(s, at + q) !== word.charCodeAt(q)) return false;
  return true;
}

/** The character code at `k` with A-Z lower-cased (only they lower-case to what the words hold). */
function lowerAsciiAt(s: string, k: number): number {
  const c = s.charCodeAt(k);
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

/** JavaScript's `\s`: ASCII and Unicode white space, line terminators and the BOM. */
function isJsSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
