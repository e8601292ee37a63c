// Query text goes to audit with its literals replaced by `?`, so
// `WHERE email = 'a@b.c'` is recorded as `WHERE email = ?`. PostgreSQL text is
// cut at the token positions of the real PostgreSQL lexer (libpg-query's scan);
// MySQL text, and PostgreSQL text the lexer refuses (an unterminated quote),
// go through a quote-aware scanner that fails towards masking: an unterminated
// literal is masked to the end. Comments are kept but run through the masker,
// since people paste values into them too.

import { loadModule, scanSync } from 'libpg-query';
import { compileMasking, type Masker } from './masker.js';

let lexerReady = false;

/** Loads the PostgreSQL lexer (WebAssembly); until then the fallback scanner is used. */
export async function loadSqlScanner(): Promise<void> {
  await loadModule();
  lexerReady = true;
}

const PLACEHOLDER = '?';

let everyEntity: Masker | null = null;

/**
 * Comments go to audit too, and people paste values into them: a caller that
 * names no masker (the sidecar's audit text) still gets every recognizer,
 * redacting. Compiled on first use; `redact` never reads the hash key.
 */
function commentMasker(masker: Masker | null | undefined): Masker {
  if (masker) return masker;
  everyEntity ??= compileMasking([{ strategy: 'redact' }], { hashKey: new Uint8Array(32) })!;
  return everyEntity;
}

function isLiteralToken(text: string): boolean {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) return true; // 42, 3.5e2, 0x1F
  if (c === 46) return text.length > 1; // .5
  if (c === 39) return true; // 'x'
  if (c === 36) return !(text.charCodeAt(1) >= 48 && text.charCodeAt(1) <= 57); // $$x$$ yes, $1 no
  const q = text.indexOf("'");
  // E'..', B'..', X'..', N'..', U&'..'
  return q > 0 && q <= 2 && /^(?:[eEbBxXnN]|[uU]&)'/.test(text);
}

/**
 * Text the quote-aware scanner reads exactly as PostgreSQL's lexer does: no
 * dollar quotes, no block comments (PostgreSQL nests them), no backslashes,
 * no Unicode-escape strings. Most statements agents send are like this, and
 * the scanner takes about a microsecond where the lexer takes tens.
 */
const NEEDS_LEXER = /\$[^0-9]|\/\*|\\|[uU]&/;

/**
 * PostgreSQL query text with every literal replaced by `?` and comments run
 * through `masker` (every recognizer, redacting, when none is given). Never throws.
 */
export function maskSqlLiterals(sql: string, masker?: Masker | null): string {
  if (!NEEDS_LEXER.test(sql)) return scanLiterals(sql, PG, masker);
  if (lexerReady) {
    try {
      return maskWithLexer(sql, masker);
    } catch {
      // the lexer refuses unterminated quotes and comments: the fallback masks them to the end
    }
  }
  return scanLiterals(sql, PG, masker);
}

function maskWithLexer(sql: string, masker: Masker | null | undefined): string {
  const { tokens } = scanSync(sql);
  // The lexer counts UTF-8 bytes; slice bytes unless the text is ASCII.
  const ascii = Buffer.byteLength(sql) === sql.length;
  const bytes = ascii ? null : Buffer.from(sql);
  const piece = (a: number, b: number): string =>
    bytes === null ? sql.slice(a, b) : bytes.toString('utf8', a, b);
  let out = '';
  let pos = 0;
  for (const t of tokens) {
    const comment = t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT';
    if (!comment && !isLiteralToken(t.text)) continue;
    out += piece(pos, t.start);
    out += comment ? commentMasker(masker).maskText(piece(t.start, t.end)) : PLACEHOLDER;
    pos = t.end;
  }
  const total = bytes === null ? sql.length : bytes.length;
  return pos === 0 ? sql : out + piece(pos, total);
}

interface Dialect {
  /** Backslash escapes inside every quoted string (MySQL), or only in E'' (PostgreSQL). */
  readonly backslash: boolean;
  /** Double quotes delimit strings (MySQL) rather than identifiers. */
  readonly doubleQuoteString: boolean;
  readonly dollarQuotes: boolean;
  readonly hashComments: boolean;
  /** PostgreSQL block comments nest: an inner comment inside a comment does not end it. */
  readonly nestedComments: boolean;
}

const PG: Dialect = {
  backslash: false,
  doubleQuoteString: false,
  dollarQuotes: true,
  hashComments: false,
  nestedComments: true,
};
const MYSQL: Dialect = {
  backslash: true,
  doubleQuoteString: true,
  dollarQuotes: false,
  hashComments: true,
  nestedComments: false,
};

function blockCommentEnd(s: string, i: number): number {
  const close = s.indexOf('*/', i + 2);
  return close < 0 ? s.length : close + 2;
}

function nestedCommentEnd(s: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < s.length) {
    if (s.charCodeAt(j) === 47 && s.charCodeAt(j + 1) === 42) {
      depth++;
      j += 2;
    } else if (s.charCodeAt(j) === 42 && s.charCodeAt(j + 1) === 47) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return s.length;
}

/** MySQL query text with every literal replaced by `?`, comments as in maskSqlLiterals. Never throws. */
export function maskMysqlLiterals(sql: string, masker?: Masker | null): string {
  return scanLiterals(sql, MYSQL, masker);
}

function isWordChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 128
  );
}

/** End of a quoted run opened at `i` by `q`, or the text's end when unterminated. */
function quotedEnd(s: string, i: number, q: number, backslash: boolean): number {
  const n = s.length;
  let j = i + 1;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (backslash && c === 92) j += 2;
    else if (c === q) {
      if (s.charCodeAt(j + 1) === q) j += 2;
      else return j + 1;
    } else j++;
  }
  return n;
}

function scanLiterals(s: string, d: Dialect, masker: Masker | null | undefined): string {
  const n = s.length;
  let out = '';
  let pos = 0;
  let i = 0;
  const emit = (start: number, end: number, replacement: string): void => {
    out += s.slice(pos, start) + replacement;
    pos = end;
    i = end;
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    const prev = i > 0 ? s.charCodeAt(i - 1) : 32;
    if (c === 39 || (c === 34 && d.doubleQuoteString)) {
      // a prefix letter (E'', X'', N'', B'') belongs to the literal
      let start = i;
      const escapes = d.backslash || prev === 69 || prev === 101;
      if (/[eEbBxXnN]/.test(s[i - 1] ?? '') && !isWordChar(i >= 2 ? s.charCodeAt(i - 2) : 32)) start = i - 1;
      emit(start, quotedEnd(s, i, c, escapes), PLACEHOLDER);
    } else if (c === 34 || c === 96) {
      i = quotedEnd(s, i, c, false); // identifiers stay
    } else if (c === 36 && d.dollarQuotes && !isWordChar(prev)) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i, i + 64));
      if (m === null) i++;
      else {
        const close = s.indexOf(m[0], i + m[0].length);
        emit(i, close < 0 ? n : close + m[0].length, PLACEHOLDER);
      }
    } else if ((c === 45 && s.charCodeAt(i + 1) === 45) || (c === 35 && d.hashComments)) {
      const nl = s.indexOf('\n', i);
      const end = nl < 0 ? n : nl;
      emit(i, end, commentMasker(masker).maskText(s.slice(i, end)));
    } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const end = d.nestedComments ? nestedCommentEnd(s, i) : blockCommentEnd(s, i);
      emit(i, end, commentMasker(masker).maskText(s.slice(i, end)));
    } else if (((c >= 48 && c <= 57) || (c === 46 && isDigit(s.charCodeAt(i + 1)))) && !isWordChar(prev)) {
      let j = i + 1;
      while (j < n && (isWordChar(s.charCodeAt(j)) || s.charCodeAt(j) === 46)) {
        // exponent sign: 1e-5
        if (
          (s.charCodeAt(j) === 101 || s.charCodeAt(j) === 69) &&
          (s.charCodeAt(j + 1) === 45 || s.charCodeAt(j + 1) === 43)
        )
          j++;
        j++;
      }
      emit(i, j, PLACEHOLDER);
    } else i++;
  }
  return pos === 0 ? s : out + s.slice(pos);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
