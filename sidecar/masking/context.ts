// Context words just before a bare number, as Presidio's context enhancer uses
// them: they let a 9-digit run count as an SSN, a 10-digit run as an NHS
// number, a digit run as a phone number. Read only for such candidates.

import { Ctx } from './entities.js';

const CONTEXT_WINDOW = 40;
const SSN_WORDS = /\bssns?\b|social security|\bssid\b/;
const NHS_WORDS = /\bnhs\b|national health/;
const PHONE_WORDS = /\b(?:phone|tel|telephone|mobile|cell|fax|call|whatsapp|sms)\b/;

/**
 * Ctx flags for the words in the 40 characters before `i`, back to the last
 * digit at most: a word that stands before another number belongs to that
 * number (`"phone":"+44 20 7946 0958","order":"…"`).
 */
export function textContext(s: string, i: number): number {
  let from = i;
  const min = Math.max(0, i - CONTEXT_WINDOW);
  while (from > min) {
    const c = s.charCodeAt(from - 1);
    if (c >= 48 && c <= 57) break;
    from--;
  }
  if (from === i) return 0;
  const before = s.slice(from, i).toLowerCase();
  let ctx = 0;
  if (SSN_WORDS.test(before)) ctx |= Ctx.SSN;
  if (NHS_WORDS.test(before)) ctx |= Ctx.NHS;
  if (PHONE_WORDS.test(before)) ctx |= Ctx.PHONE;
  return ctx;
}

/** `version 4.2.1.0`, `build 10.0.1.3`, `v1.2.3.4` read as versions, not addresses. */
export function afterVersionWord(s: string, i: number): boolean {
  if (i === 0) return false;
  const before = s.slice(Math.max(0, i - 10), i).toLowerCase();
  return /(?:version|ver\.?|build|release|rev|v)\s*[:=]?\s*$/.test(before);
}
