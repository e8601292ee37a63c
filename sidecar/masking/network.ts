// Recognizers anchored on network punctuation: e-mail addresses and URLs with
// credentials (anchored on '@'), MAC and IPv6 addresses (hex groups and ':').
// Each returns the end of what it found, or -1.

import * as _charclass from './char-class.js';

// Local constants, not the imported bindings: an import is a live binding, and optimized code
// reads it through its module cell, checking that it is initialized, at every use; a module's own
// constants are folded into the code.
const { ALNUM, boundaryAfter, CLS, clsAt, codeAt, DIGIT, HEXL, isHexAt, LOWER, UPPER, WORD } = _charclass;

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_USERINFO = 256;

/**
 * Letters outside ASCII, for internationalised addresses (RFC 6531): Latin-1
 * letters and up, but not the spaces and punctuation of other scripts that
 * end an address in running text.
 */
function isIntlLetter(c: number): boolean {
  return (
    c >= 0xc0 &&
    c !== 0xd7 &&
    c !== 0xf7 &&
    !(c >= 0x2000 && c <= 0x206f) &&
    !(c >= 0x3000 && c <= 0x303f) &&
    !(c >= 0xff00 && c <= 0xffef)
  );
}

/** Characters of an e-mail local part (the dot-atom subset people write). */
function isLocalChar(c: number): boolean {
  return c < 128 ? LOCAL[c] === 1 : isIntlLetter(c);
}

const LOCAL = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((CLS[c]! & WORD) !== 0 || c === 46 || c === 45 || c === 43 || c === 37 || c === 39) LOCAL[c] = 1; // . - + % '
}

/** RFC 3986 userinfo characters (unreserved, sub-delims, ':' and '%'), by ASCII code. */
const USERINFO = new Uint8Array(128);
for (let c = 0; c < 128; c++) if ((CLS[c]! & WORD) !== 0) USERINFO[c] = 1;
for (const ch of "-.~%!$&'()*+,;=:") USERINFO[ch.charCodeAt(0)] = 1;

function isUserinfoChar(c: number): boolean {
  return c < 128 && USERINFO[c] === 1;
}

/** Where a URL ends: whitespace, quotes, angle brackets and the end of the value. */
function urlEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96) break;
    i++;
  }
  // sentence punctuation right after a URL is not part of it
  while (i > 0) {
    const c = codeAt(s, i - 1);
    if (c === 46 || c === 44 || c === 41 || c === 59) i--;
    else break;
  }
  return i;
}

/** File extensions that follow '@' in names like `icon@2x.png`; no TLD looks like them. */
const NOT_TLDS = ['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'css', 'js', 'ts', 'map', 'txt', 'log'];

/**
 * NOT_TLDS as numbers, one character a byte: a candidate's characters are read
 * once and compared as one number (no character in a name is 0, so the
 * number tells the lengths apart too).
 */
const NOT_TLD_CODES = NOT_TLDS.map((ext) => {
  let v = 0;
  for (let k = 0; k < ext.length; k++) v = v * 256 + ext.charCodeAt(k);
  return v;
});

/** Compares without allocating: this runs for every e-mail candidate. `end - start` is at most 4. */
function isFileExtension(s: string, start: number, end: number): boolean {
  let v = 0;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k) | 0x20;
    if (c >= 128) return false; // no extension holds it
    v = v * 256 + c;
  }
  // indexed, not for…of: where V8 does not inline the array iterator, every step is a builtin call
  for (let e = 0; e < NOT_TLD_CODES.length; e++) if (NOT_TLD_CODES[e] === v) return true;
  return false;
}

/**
 * Domain after '@' at `i`: dot-separated labels, the last one a 2-24 letter
 * TLD. Returns the end or -1.
 */
function domainEnd(s: string, i: number): number {
  const n = Math.min(s.length, i + MAX_DOMAIN);
  let j = i;
  let labels = 0;
  let lastLabelStart = i;
  let kinds = 0; // LABEL_* bits of the last label read: the TLD must hold ASCII letters only
  while (j < n) {
    const start = j;
    kinds = 0;
    let stop = 0; // the character that ended the label, once read
    while (j < n) {
      const c = s.charCodeAt(j);
      const d = c < 128 ? LABEL[c]! : isIntlLetter(c) ? LABEL_OTHER : 0;
      if (d === 0) {
        stop = c;
        break;
      }
      kinds |= d;
      j++;
    }
    if (j === start) return -1;
    // a label of ASCII letters only (most are) neither starts nor ends with '-'
    if (kinds !== LABEL_LETTER && (s.charCodeAt(start) === 45 || s.charCodeAt(j - 1) === 45)) return -1;
    labels++;
    lastLabelStart = start;
    if (j === n) stop = codeAt(s, j); // the loop stopped at the end or the length limit
    if (stop === 46) {
      const c1 = codeAt(s, j + 1);
      if ((c1 < 128 && (CLS[c1]! & ALNUM) !== 0) || isIntlLetter(c1)) {
        j++;
        continue;
      }
    }
    break;
  }
  if (labels < 2) return -1;
  const tldLen = j - lastLabelStart;
  if (tldLen < 2 || tldLen > 24 || kinds !== LABEL_LETTER) return -1;
  if (tldLen <= 4 && isFileExtension(s, lastLabelStart, j)) return -1;
  return j;
}

/** What a domain label holds, by ASCII code: letters, or digits and '-'. Letters beyond ASCII count as other. */
const LABEL_LETTER = 1;
const LABEL_OTHER = 2;
const LABEL = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((CLS[c]! & (UPPER | LOWER)) !== 0) LABEL[c] = LABEL_LETTER;
  else if ((CLS[c]! & DIGIT) !== 0 || c === 45) LABEL[c] = LABEL_OTHER;
}

/**
 * A URL whose authority carries credentials (`scheme://user:pass@host`),
 * found from its '@'. Writes the start into `out[0]` and returns the end, or -1.
 */
export function urlWithCredentials(s: string, at: number, floor: number, out: Int32Array): number {
  // walk back over userinfo to '://' (userinfo holds no '/', so this is the last '://' before
  // the '@'); most '@' belong to e-mail addresses and stop at the space before the local part.
  // No search for '://' first: lastIndexOf would read the whole text before every '@'.
  return urlAfterUserinfo(s, at, floor, userinfoWalk(s, at - 1, Math.max(floor, at - MAX_USERINFO)), out);
}

/** Walks back from `j` over userinfo characters, down to `min`; returns where it stopped. */
function userinfoWalk(s: string, j: number, min: number): number {
  while (j >= min && isUserinfoChar(s.charCodeAt(j))) j--;
  return j;
}

/** urlWithCredentials once the userinfo walk stopped at `j`. */
function urlAfterUserinfo(s: string, at: number, floor: number, j: number, out: Int32Array): number {
  // j is at the char before userinfo; need "://" ending at j, at or after floor, within MAX_USERINFO
  if (j - 2 < floor || at - (j - 2) > MAX_USERINFO) return -1;
  if (codeAt(s, j) !== 47 || codeAt(s, j - 1) !== 47 || codeAt(s, j - 2) !== 58) return -1;
  let k = j - 3; // last char of the scheme
  const schemeEnd = k + 1;
  while (k >= floor) {
    const c = codeAt(s, k);
    if (c < 128 && ((CLS[c]! & ALNUM) !== 0 || c === 43 || c === 45 || c === 46)) k--;
    else break;
  }
  const start = k + 1;
  if (start === schemeEnd || (clsAt(s, start) & (UPPER | LOWER)) === 0) return -1;
  if (at === j + 1) return -1; // empty userinfo
  if (domainOrHostEnd(s, at + 1) < 0) return -1;
  out[0] = start;
  return urlEnd(s, at + 1);
}

/** A host after '@' in a URL: a name, an IPv4 address or a bracketed IPv6 address. */
function domainOrHostEnd(s: string, i: number): number {
  if (codeAt(s, i) === 91) return s.indexOf(']', i) > i ? i + 1 : -1;
  const e = i;
  let j = e;
  while ((clsAt(s, j) & ALNUM) !== 0 || codeAt(s, j) === 45 || codeAt(s, j) === 46) j++;
  return j > e ? j : -1;
}

/**
 * Finds `local@domain` around the '@' at `at` (`atWidth` 3 for a URL-encoded
 * `%40`). Writes the start into out[0]; returns the end or -1.
 */
export function email(s: string, at: number, floor: number, out: Int32Array, atWidth = 1): number {
  const min = Math.max(floor, at - MAX_LOCAL);
  let j = at - 1;
  while (j >= min && isLocalChar(s.charCodeAt(j))) j--;
  return emailAfterLocal(s, at, j, out, atWidth);
}

/** email once the walk over the local part stopped at `j`. */
function emailAfterLocal(s: string, at: number, j: number, out: Int32Array, atWidth: number): number {
  let start = j + 1;
  // a local part starts with neither '.' nor a quote (o'brien@ is an address, 'ana@ is a quoted one)
  while (start < at && (codeAt(s, start) === 46 || codeAt(s, start) === 39)) start++;
  if (start === at || codeAt(s, at - 1) === 46) return -1;
  const end = domainEnd(s, at + atWidth);
  if (end < 0) return -1;
  out[0] = start;
  return end;
}

/**
 * What an '@' at `at` ends: a URL with credentials (`url`), else an e-mail
 * address (`mail`). Writes the start into out[0] and 1 for a URL, 0 for an
 * e-mail into out[1]; returns the end or -1. One walk back serves both: the
 * ASCII characters of a local part are userinfo characters too, so the walk
 * over userinfo goes on from where the local part stopped (or stops at the
 * local part's first letter outside ASCII, which is no userinfo character).
 */
export function atSignAddress(
  s: string,
  at: number,
  floor: number,
  url: boolean,
  mail: boolean,
  out: Int32Array,
): number {
  const minLocal = Math.max(floor, at - MAX_LOCAL);
  let j = at - 1;
  let intl = -1; // the local part's last letter outside ASCII (the first the walk meets)
  while (j >= minLocal) {
    const c = s.charCodeAt(j);
    if (c < 128) {
      if (LOCAL[c] !== 1) break;
    } else {
      if (!isIntlLetter(c)) break;
      if (intl < 0) intl = j;
    }
    j--;
  }
  if (url) {
    const u = intl >= 0 ? intl : userinfoWalk(s, j, Math.max(floor, at - MAX_USERINFO));
    const end = urlAfterUserinfo(s, at, floor, u, out);
    if (end >= 0) {
      out[1] = 1;
      return end;
    }
  }
  if (!mail) return -1;
  out[1] = 0;
  return emailAfterLocal(s, at, j, out, 1);
}

/**
 * MAC address at `i`: six pairs of hex digits joined by one consistent ':' or
 * '-', or Cisco's three dot-joined quads. Returns the end or -1.
 */
export function mac(s: string, i: number): number {
  if (isHexAt(s, i) && isHexAt(s, i + 1)) {
    const sep = codeAt(s, i + 2);
    if (sep === 58 || sep === 45) {
      let j = i;
      for (let g = 0; g < 6; g++) {
        if (!isHexAt(s, j) || !isHexAt(s, j + 1)) return -1;
        j += 2;
        if (g < 5) {
          if (codeAt(s, j) !== sep) return -1;
          j++;
        }
      }
      return boundaryAfter(s, j) && codeAt(s, j) !== sep ? j : -1;
    }
  }
  // 0011.2233.4455
  let j = i;
  for (let g = 0; g < 3; g++) {
    for (let k = 0; k < 4; k++) if (!isHexAt(s, j + k)) return -1;
    j += 4;
    if (g < 2) {
      if (codeAt(s, j) !== 46) return -1;
      j++;
    }
  }
  // require a letter somewhere: 1234.5678.9012 is a number, not a MAC
  let letters = false;
  for (let k = i; k < j; k++) if ((clsAt(s, k) & HEXL) !== 0) letters = true;
  return letters && boundaryAfter(s, j) && codeAt(s, j) !== 46 ? j : -1;
}

/**
 * IPv6 address at `i` (RFC 4291 text forms): eight groups of 1-4 hex digits,
 * or fewer with one '::', optionally ending in dotted IPv4. Returns the end or -1.
 */
export function ipv6(s: string, i: number): number {
  let j = i;
  let groups = 0;
  let compressed = false;
  let colons = 0;
  for (;;) {
    if (codeAt(s, j) === 58 && codeAt(s, j + 1) === 58) {
      if (compressed) return -1;
      compressed = true;
      colons += 2;
      j += 2;
      if (!isHexAt(s, j)) break;
    }
    const gs = j;
    while (j - gs < 5 && isHexAt(s, j)) j++;
    const glen = j - gs;
    if (glen === 0) {
      if (groups === 0 && !compressed) return -1;
      break;
    }
    if (glen > 4) return -1;
    // an embedded IPv4 tail: ::ffff:192.0.2.1
    if (codeAt(s, j) === 46 && (groups >= 1 || compressed)) {
      const v4 = ipv4Tail(s, gs);
      if (v4 < 0) return -1;
      groups += 2;
      j = v4;
      break;
    }
    groups++;
    if (groups > 8) return -1;
    if (codeAt(s, j) === 58) {
      if (codeAt(s, j + 1) === 58) continue;
      if (isHexAt(s, j + 1)) {
        colons++;
        j++;
        continue;
      }
    }
    break;
  }
  if (colons < 2) return -1;
  if (compressed ? groups > 7 || groups === 0 : groups !== 8) return -1;
  if ((clsAt(s, j) & WORD) !== 0 || codeAt(s, j) === 58) return -1;
  return j;
}

/** Dotted-quad IPv4 at `i` (each part 0-255). Returns the end or -1. */
export function ipv4Tail(s: string, i: number): number {
  // each character read once (this runs for every short number before a '.': decimals, dates,
  // versions); `i` is never negative
  const n = s.length;
  let j = i;
  let c = 0;
  for (let p = 0; p < 4; p++) {
    const ps = j;
    let v = 0;
    for (;;) {
      c = j < n ? s.charCodeAt(j) : 0;
      if (c < 48 || c > 57) break;
      if (j - ps === 3) return -1; // a fourth digit
      v = v * 10 + c - 48;
      j++;
    }
    if (j === ps || v > 255) return -1;
    if (p < 3) {
      if (c !== 46) return -1;
      j++;
    }
  }
  if (c < 128 && (CLS[c]! & WORD) !== 0) return -1;
  if (c === 46 && (clsAt(s, j + 1) & DIGIT) !== 0) return -1;
  return j;
}
