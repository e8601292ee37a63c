// Classification by statement shape. With the simple query protocol every
// execution of the same statement differs only by its literal values
// (`... WHERE aid = 4711`), so caching by exact text classifies every
// execution anew. Numbers never name an operation or a table, so two texts
// that differ only in numeric literals outside strings, identifiers and
// comments classify the same (EXPLAIN's option values aside: see classify):
// the cache key replaces those numbers with `?`.
// Strings stay in the key (a string can carry SQL that the classifier reads,
// e.g. dblink_exec('DROP ...')); any backslash, or anything the scan cannot
// follow (an unterminated quote or comment), bypasses the cache.

import type { Classification } from '../policy/command.js';

const MAX_ENTRIES = 8192;
const MAX_KEY_CHARS = 16 * 1024;

function isIdent(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c > 0x7f
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The text with numeric literals replaced by `?`, or null when it must be classified as it is. */
export function shapeKey(sql: string): string | null {
  const n = sql.length;
  if (n > MAX_KEY_CHARS || sql.includes('\\')) return null;
  let out = '';
  let from = 0;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x27 /* ' */ || c === 0x22 /* " */) {
      // '...' and "..." with doubled quotes inside
      let j = i + 1;
      for (;;) {
        j = sql.indexOf(sql[i]!, j);
        if (j < 0) return null;
        if (sql.charCodeAt(j + 1) === c) j += 2;
        else break;
      }
      i = j + 1;
    } else if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      let depth = 1;
      let j = i + 2;
      while (depth > 0) {
        const open = sql.indexOf('/*', j);
        const close = sql.indexOf('*/', j);
        if (close < 0) return null;
        if (open >= 0 && open < close) {
          depth++;
          j = open + 2;
        } else {
          depth--;
          j = close + 2;
        }
      }
      i = j;
    } else if (c === 0x24 /* $ */ && (i === 0 || !isIdent(sql.charCodeAt(i - 1)))) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 66));
      if (m === null) {
        // $1: a parameter reference, kept as it is
        i++;
        while (i < n && isDigit(sql.charCodeAt(i))) i++;
        continue;
      }
      const end = sql.indexOf(m[0], i + m[0].length);
      if (end < 0) return null;
      i = end + m[0].length;
    } else if (isDigit(c) && (i === 0 || !isIdent(sql.charCodeAt(i - 1)))) {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      out += `${sql.slice(from, i)}?`;
      from = j;
      i = j;
    } else {
      i++;
    }
  }
  return from === 0 ? sql : out + sql.slice(from);
}

/** A bounded cache of classifications by shape, in front of a classifier that caches by exact text. */
export class ShapeCache {
  private readonly map = new Map<string, Classification>();

  constructor(private readonly max = MAX_ENTRIES) {}

  classify(sql: string, classify: (sql: string) => Classification): Classification {
    const key = shapeKey(sql);
    if (key === null) return classify(sql);
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const c = classify(sql);
    // One place where a number does change the reading: EXPLAIN (ANALYZE 1)
    // runs its statement, EXPLAIN (ANALYZE 0) does not. Such texts are
    // classified by exact text only, never by shape.
    if (c.operations.includes('EXPLAIN')) return c;
    // Cheaper than LRU bookkeeping on every hit: start over when full.
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, c);
    return c;
  }

  get size(): number {
    return this.map.size;
  }
}
