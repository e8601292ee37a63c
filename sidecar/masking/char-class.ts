// One lookup table for the scanner's hot loop: a value's characters are
// classified by a single array read instead of a chain of comparisons.
// Everything outside ASCII is class 0 (a separator), so text in any script
// bounds the ASCII tokens recognizers look at.

export const DIGIT = 1;
export const UPPER = 2;
export const LOWER = 4;
/** a-f, A-F (digits are hex too: test HEX | DIGIT). */
export const HEXL = 8;
/** `_` counts as a word character for token boundaries, as in regex `\b`. */
export const UNDERSCORE = 16;

export const ALNUM = DIGIT | UPPER | LOWER;
export const WORD = ALNUM | UNDERSCORE;

export const CLS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLS[c] = DIGIT;
for (let c = 65; c <= 90; c++) CLS[c] = UPPER;
for (let c = 97; c <= 122; c++) CLS[c] = LOWER;
for (let c = 65; c <= 70; c++) CLS[c] = (CLS[c] ?? 0) | HEXL;
for (let c = 97; c <= 102; c++) CLS[c] = (CLS[c] ?? 0) | HEXL;
CLS[95] = UNDERSCORE;
/** Letters outside a-f: a word holding one is no hex group (MAC, IPv6). */
export const NOT_HEX = 32;
for (let c = 71; c <= 90; c++) CLS[c] = (CLS[c] ?? 0) | NOT_HEX;
for (let c = 103; c <= 122; c++) CLS[c] = (CLS[c] ?? 0) | NOT_HEX;

/**
 * The code unit at `i`, or 0 (NUL, which no recognizer looks for) before the
 * start or past the end. Recognizers look around their tokens all the time,
 * and a charCodeAt out of bounds is not merely NaN: V8 deoptimizes the call
 * site and recompiles it as a generic call, and every read there gets about
 * three times slower for the life of the process. So no read in this engine
 * goes out of bounds; reads a loop bound already keeps inside call
 * charCodeAt directly.
 */
export function codeAt(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : 0;
}

/** The punctuation the scanner hands to a recognizer: @ (e-mail, URL), % (%40), + ( (phones), - (PEM), : (IPv6). */
export const ANCHOR = 64;
for (const ch of '@%+(-:') CLS[ch.charCodeAt(0)] = (CLS[ch.charCodeAt(0)] ?? 0) | ANCHOR;

/**
 * CLS over every UTF-16 code unit (0 outside ASCII), for the scanner's word
 * loop: one read per character and no test for non-ASCII first.
 */
export const CLS16 = new Uint8Array(65536);
CLS16.set(CLS);

/** Class of the character at `i`, 0 past either end or outside ASCII. */
export function clsAt(s: string, i: number): number {
  const c = codeAt(s, i);
  return c < 128 ? CLS[c]! : 0;
}

export function isDigitAt(s: string, i: number): boolean {
  const c = codeAt(s, i);
  return c >= 48 && c <= 57;
}

export function isHexAt(s: string, i: number): boolean {
  const c = codeAt(s, i);
  return c < 128 && (CLS[c]! & (DIGIT | HEXL)) !== 0;
}

/** End of the run of characters of class `mask` starting at `i`. */
export function runEnd(s: string, i: number, mask: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLS[c]! & mask) === 0) break;
    i++;
  }
  return i;
}

/** True when the token ending at `end` is not glued to a following word character. */
export function boundaryAfter(s: string, end: number): boolean {
  return (clsAt(s, end) & WORD) === 0;
}

/** True when nothing word-like precedes `start`. */
export function boundaryBefore(s: string, start: number): boolean {
  return start === 0 || (clsAt(s, start - 1) & WORD) === 0;
}
