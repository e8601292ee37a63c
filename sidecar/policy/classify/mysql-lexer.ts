// A MySQL/MariaDB lexer that does just enough to hand node-sql-parser text it
// reads the way the server does, and to split statements where the server
// splits them:
// - executable comments `/*! ... */`, `/*!50000 ... */` and MariaDB's
//   `/*M!100100 ... */` are expanded to their content (the server runs it;
//   node-sql-parser would drop it), whatever the version number says, since
//   the classifier cannot know the server's version and more is safer;
// - ordinary comments become a space; `--` not followed by a space or control
//   character is not a comment to MySQL (`1--1` is `1 - -1`), so it is emitted
//   as `- -` where node-sql-parser would take it for one;
// - statements are cut at `;` outside strings, identifiers and comments;
// - with NO_BACKSLASH_ESCAPES (the server reports it in its status flags),
//   backslashes in strings are literal: they are doubled for node-sql-parser,
//   which always treats them as escapes;
// - a double-quoted token holding `\"` reads differently under ANSI_QUOTES
//   (an identifier, where backslash escapes nothing), so it is refused.
// Anything it cannot read the server's way is an error; the classifier turns
// that into UNKNOWN.

export interface MysqlLexOptions {
  readonly noBackslashEscapes?: boolean;
}

export type LexResult = { readonly statements: string[] } | { readonly error: string };

const enum Ch {
  Quote = 0x27, // '
  DoubleQuote = 0x22, // "
  Backtick = 0x60, // `
  Backslash = 0x5c, // \
  Hash = 0x23, // #
  Dash = 0x2d, // -
  Slash = 0x2f, // /
  Star = 0x2a, // *
  Bang = 0x21, // !
  Semicolon = 0x3b, // ;
  M = 0x4d, // M
  Newline = 0x0a,
  Space = 0x20,
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function lexMysql(sql: string, options?: MysqlLexOptions): LexResult {
  const backslash = options?.noBackslashEscapes !== true;
  const statements: string[] = [];
  let out = '';
  let inExec = false;
  let i = 0;
  const n = sql.length;
  const flush = () => {
    if (out.trim() !== '') statements.push(out.trim());
    out = '';
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === Ch.Quote || c === Ch.DoubleQuote || c === Ch.Backtick) {
      const end = quotedEnd(sql, i, c !== Ch.Backtick && backslash);
      if (end < 0) return { error: 'unterminated quoted string or identifier' };
      const token = sql.slice(i, end);
      if (c === Ch.DoubleQuote && backslash && token.includes('\\"')) {
        return { error: 'a double-quoted token with \\" reads differently under ANSI_QUOTES' };
      }
      out += c !== Ch.Backtick && !backslash ? token.replaceAll('\\', '\\\\') : token;
      i = end;
      continue;
    }
    if (c === Ch.Hash) {
      i = lineEnd(sql, i);
      out += ' ';
      continue;
    }
    if (c === Ch.Dash && sql.charCodeAt(i + 1) === Ch.Dash) {
      const after = sql.charCodeAt(i + 2);
      if (i + 2 >= n || after <= Ch.Space) {
        i = lineEnd(sql, i);
        out += ' ';
      } else {
        out += '- -';
        i += 2;
      }
      continue;
    }
    if (c === Ch.Slash && sql.charCodeAt(i + 1) === Ch.Star) {
      const exec = executableOpener(sql, i);
      if (exec > 0) {
        if (inExec) return { error: 'nested executable comment' };
        inExec = true;
        out += ' ';
        i = exec;
        continue;
      }
      if (inExec) return { error: 'comment inside an executable comment' };
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) return { error: 'unterminated comment' };
      out += ' ';
      i = close + 2;
      continue;
    }
    if (inExec && c === Ch.Star && sql.charCodeAt(i + 1) === Ch.Slash) {
      inExec = false;
      out += ' ';
      i += 2;
      continue;
    }
    if (c === Ch.Semicolon) {
      flush();
      i++;
      continue;
    }
    out += sql[i];
    i++;
  }
  if (inExec) return { error: 'unterminated executable comment' };
  flush();
  return { statements };
}

/** Index after `/*!`, `/*!NNNNN`, `/*M!NNNNNN` at i; 0 when it is no executable comment. */
function executableOpener(sql: string, i: number): number {
  let j = i + 2;
  if (sql.charCodeAt(j) === Ch.M && sql.charCodeAt(j + 1) === Ch.Bang) j += 2;
  else if (sql.charCodeAt(j) === Ch.Bang) j += 1;
  else return 0;
  // A version of five digits (MySQL) or six (MariaDB); shorter runs are content.
  let d = 0;
  while (d < 6 && isDigit(sql.charCodeAt(j + d))) d++;
  return d >= 5 ? j + d : j;
}

/** Index after the closing quote of the token opened at i, or -1. */
function quotedEnd(sql: string, i: number, escapes: boolean): number {
  const q = sql.charCodeAt(i);
  let j = i + 1;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (escapes && c === Ch.Backslash) {
      j += 2;
      continue;
    }
    if (c === q) {
      if (sql.charCodeAt(j + 1) === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return -1;
}

function lineEnd(sql: string, i: number): number {
  const nl = sql.indexOf('\n', i);
  return nl < 0 ? sql.length : nl + 1;
}
