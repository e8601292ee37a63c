// A few statements drivers and ORMs send that node-sql-parser's grammars do
// not accept: SET NAMES, SET CHARACTER SET, SET ... TRANSACTION, SAVEPOINT,
// RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT. Each is matched token by token
// against its complete grammar (words, quoted names, commas and `=` only), so a
// statement that adds anything else, such as `SET NAMES utf8, @x = (SELECT
// ...)`, does not match and stays UNKNOWN.

import type { StatementClass } from '../command.js';

type Token =
  | { readonly kind: 'word'; readonly upper: string }
  | { readonly kind: 'name' }
  | { readonly kind: 'punct'; readonly ch: string };

/** Tokens of a lexed statement (comments already gone), or undefined on any other character. */
function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_$]/.test(text[j]!)) j++;
      out.push({ kind: 'word', upper: text.slice(i, j).toUpperCase() });
      i = j;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1);
      if (end < 0 || text.slice(i + 1, end).includes('\\')) return undefined;
      out.push({ kind: 'name' });
      i = end + 1;
    } else if (c === ',' || c === '=') {
      out.push({ kind: 'punct', ch: c });
      i++;
    } else {
      return undefined;
    }
  }
  return out;
}

type Pattern = readonly (string | 'NAME' | 'NAME?' | 'WORDS')[];

/** Grammars: literal words, NAME (a word or quoted name), optional parts as separate patterns. */
const GRAMMARS: readonly [Pattern, string][] = [
  [['SET', 'NAMES', 'NAME'], 'SET'],
  [['SET', 'NAMES', 'NAME', 'COLLATE', 'NAME'], 'SET'],
  [['SET', 'CHARACTER', 'SET', 'NAME'], 'SET'],
  [['SET', 'CHARSET', 'NAME'], 'SET'],
  [['SET', 'TRANSACTION', 'WORDS'], 'SET'],
  [['SET', 'SESSION', 'TRANSACTION', 'WORDS'], 'SET'],
  [['SET', 'GLOBAL', 'TRANSACTION', 'WORDS'], 'SET'],
  [['SAVEPOINT', 'NAME'], 'TRANSACTION'],
  [['RELEASE', 'SAVEPOINT', 'NAME'], 'TRANSACTION'],
  [['ROLLBACK', 'TO', 'NAME'], 'TRANSACTION'],
  [['ROLLBACK', 'TO', 'SAVEPOINT', 'NAME'], 'TRANSACTION'],
  [['ROLLBACK', 'WORK', 'TO', 'NAME'], 'TRANSACTION'],
  [['ROLLBACK', 'WORK', 'TO', 'SAVEPOINT', 'NAME'], 'TRANSACTION'],
];

function matches(p: Pattern, tokens: readonly Token[]): boolean {
  let t = 0;
  for (const part of p) {
    if (part === 'WORDS') {
      // Transaction characteristics: words separated by commas, nothing else.
      if (t >= tokens.length) return false;
      for (; t < tokens.length; t++) {
        const tok = tokens[t]!;
        if (!(tok.kind === 'word' || (tok.kind === 'punct' && tok.ch === ','))) return false;
      }
      return true;
    }
    const tok = tokens[t++];
    if (tok === undefined) return false;
    if (part === 'NAME') {
      if (tok.kind === 'punct') return false;
    } else if (tok.kind !== 'word' || tok.upper !== part) {
      return false;
    }
  }
  return t === tokens.length;
}

/** The classification of a statement the parsers rejected, when it is one of the known simple forms. */
export function fallbackStatement(text: string): StatementClass | undefined {
  const tokens = tokenize(text);
  if (tokens === undefined) return undefined;
  for (const [pattern, op] of GRAMMARS) {
    if (matches(pattern, tokens)) return { operations: [op], tables: [] };
  }
  return undefined;
}
