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
    if (len >= 3 && len <= 9) {
      next: for (const [word, flag] of WORDS) {
        if (word.length !== len) continue;
        for (let q = 0; q < len; q++) if (lowerAt(s, k + q) !== word.charCodeAt(q)) continue next;
        ctx |= flag;
      }
    }
  }
  return ctx;
}

/** `version 4.2.1.0`, `build 10.0.1.3`, `v1.2.3.4` read as versions, not addresses. */
export function afterVersionWord(s: string, i: number): boolean {
  if (i === 0) return false;
  const before = s.slice(Math.max(0, i - 10), i).toLowerCase();
  return /(?:version|ver\.?|build|release|rev|v)\s*[:=]?\s*$/.test(before);
}
