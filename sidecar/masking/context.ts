// Context words just before a bare number, as Presidio's context enhancer uses
// them: they let a 9-digit run count as an SSN, a 10-digit run as an NHS
// number, a digit run as a phone number. Read only for such candidates.

import * as _charclass from './char-class.js';
import { Ctx as CtxEnum } from './entities.js';

// Local constants, not the imported bindings: an import is a live binding, and optimized code
// reads it through its module cell, checking that it is initialized, at every use; a module's own
// constants are folded into the code.
const { codeAt } = _charclass;
// the enums too: under isolatedModules an enum is an object, imported as a live binding too
const Ctx = CtxEnum;

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
const BY_LENGTH: (readonly [string, number])[][] = Array.from({ length: 10 }, () => []);
for (const entry of WORDS) BY_LENGTH[entry[0].length]!.push(entry);

/** ASCII letters lower-cased, digits as DIGIT_MARK, everything else 0: one read per character. */
const DIGIT_MARK = 1;
const FOLD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) FOLD[c] = DIGIT_MARK;
for (let c = 65; c <= 90; c++) FOLD[c] = c | 0x20;
for (let c = 97; c <= 122; c++) FOLD[c] = c;

/**
 * Ctx flags for the words in the 40 characters before `i`, back to the last
 * digit at most: a word that stands before another number belongs to that
 * number (`"phone":"+44 20 7946 0958","order":"…"`). Reads the words in place,
 * each character once (this runs for most long digit groups): no allocation,
 * and a word is compared only when its length and first letter fit.
 */
export function textContext(s: string, i: number): number {
  const min = Math.max(0, i - CONTEXT_WINDOW);
  let ctx = 0;
  let end = -1; // end of the word being read backwards, -1 between words
  let first = 0; // the last letter read, lower-cased: the word's first once the word ends
  for (let k = Math.min(i, s.length) - 1; k >= min; k--) {
    const c = s.charCodeAt(k);
    const f = c < 128 ? FOLD[c]! : 0;
    if (f > DIGIT_MARK) {
      if (end < 0) end = k + 1;
      first = f;
      continue;
    }
    if (end >= 0) {
      ctx |= contextWord(s, k + 1, end, first);
      end = -1;
    }
    if (f === DIGIT_MARK) return ctx;
  }
  return end >= 0 ? ctx | contextWord(s, min, end, first) : ctx;
}

/**
 * The flag of the context word at [start, end), ASCII letters in either case,
 * or 0; `first` is its first letter lower-cased, as the caller read it.
 */
function contextWord(s: string, start: number, end: number, first: number): number {
  const len = end - start;
  if (len < 3 || len > 9 || (FIRST_LETTERS & (1 << (first - 97))) === 0) return 0;
  const words = BY_LENGTH[len]!;
  next: for (let w = 0; w < words.length; w++) {
    const word = words[w]![0];
    for (let q = 0; q < len; q++) if (FOLD[s.charCodeAt(start + q)] !== word.charCodeAt(q)) continue next;
    return words[w]![1];
  }
  return 0;
}

/** `version 4.2.1.0`, `build 10.0.1.3`, `v1.2.3.4` read as versions, not addresses. */
export function afterVersionWord(s: string, i: number): boolean {
  // In the 10 characters before `i`, what /(?:version|ver\.?|build|release|rev|v)\s*[:=]?\s*$/i
  // finds, read in place (this runs for every dotted quad); `\s` as JavaScript defines it.
  const lo = Math.max(0, i - 10);
  let k = i;
  while (k > lo && isJsSpace(codeAt(s, k - 1))) k--;
  if (k > lo && (codeAt(s, k - 1) === 58 || codeAt(s, k - 1) === 61)) {
    k--;
    while (k > lo && isJsSpace(codeAt(s, k - 1))) k--;
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
  const c = codeAt(s, k);
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
