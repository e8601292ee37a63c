// Statements drivers, ORMs and schema-exploring agents send that
// node-sql-parser's grammars do not accept: SET NAMES, SAVEPOINT, COMMIT WORK,
// XA, most SHOW forms, DESCRIBE db.t. Each is matched token by token against
// its complete grammar below (words, names, strings, numbers, `,` `.` `=`
// only), so a statement that adds anything else, such as `SET NAMES utf8,
// @x = (SELECT ...)`, does not match and stays UNKNOWN.
//
// Grammar notation: `A|B` one of the words, `[ ... ]` optional (one level),
// `$name` a word, quoted identifier or string, `$table` a name or db.name (reported as
// a table), `$db` a name (qualifies the table), `$str` a quoted string, `$num`
// digits, `$words` one or more words, names and commas.

import type { StatementClass } from '../command.js';

type Token =
  | { readonly kind: 'word'; readonly upper: string; readonly text: string }
  | { readonly kind: 'ident'; readonly text: string }
  | { readonly kind: 'string' }
  | { readonly kind: 'punct'; readonly ch: string };

const GRAMMARS: readonly (readonly [string, string])[] = [
  ['SET NAMES $name [COLLATE $name]', 'SET'],
  ['SET CHARACTER SET $name', 'SET'],
  ['SET CHARSET $name', 'SET'],
  ['SET [GLOBAL|SESSION|LOCAL] TRANSACTION $words', 'SET'],
  ['SAVEPOINT $name', 'TRANSACTION'],
  ['RELEASE SAVEPOINT $name', 'TRANSACTION'],
  ['ROLLBACK [WORK] TO [SAVEPOINT] $name', 'TRANSACTION'],
  ['COMMIT [WORK] [$words]', 'TRANSACTION'],
  ['ROLLBACK [WORK] [$words]', 'TRANSACTION'],
  ['XA $words', 'TRANSACTION'],
  ['SHOW [GLOBAL|SESSION] VARIABLES|STATUS [LIKE $str]', 'SHOW'],
  ['SHOW [FULL] TABLES [FROM|IN $db] [LIKE $str]', 'SHOW'],
  ['SHOW TABLE STATUS [FROM|IN $db] [LIKE $str]', 'SHOW'],
  ['SHOW [FULL] COLUMNS|FIELDS FROM|IN $table [FROM|IN $db] [LIKE $str]', 'SHOW'],
  ['SHOW INDEX|INDEXES|KEYS FROM|IN $table [FROM|IN $db]', 'SHOW'],
  ['SHOW DATABASES|SCHEMAS [LIKE $str]', 'SHOW'],
  ['SHOW WARNINGS|ERRORS [LIMIT $num]', 'SHOW'],
  ['SHOW [FULL] PROCESSLIST', 'SHOW'],
  ['SHOW [STORAGE] ENGINES', 'SHOW'],
  ['SHOW PLUGINS', 'SHOW'],
  ['DESCRIBE|DESC|EXPLAIN $table [$name]', 'SHOW'],
];

/** Words that start a statement: never taken for a name, so `EXPLAIN DELETE ...` cannot pass for DESCRIBE. */
const RESERVED = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'WITH',
  'TABLE',
  'VALUES',
  'ANALYZE',
  'FORMAT',
  'EXTENDED',
  'PARTITIONS',
  'FOR',
  'CALL',
  'DO',
  'SET',
  'DROP',
  'CREATE',
  'ALTER',
  'TRUNCATE',
]);

type Element =
  | { readonly kind: 'words'; readonly words: ReadonlySet<string> }
  | { readonly kind: 'slot'; readonly slot: string }
  | { readonly kind: 'optional'; readonly items: readonly Element[] };

function compile(pattern: string): Element[] {
  const out: Element[] = [];
  let group: Element[] | undefined;
  for (let part of pattern.split(' ')) {
    const opens = part.startsWith('[');
    const closes = part.endsWith(']');
    part = part.replace('[', '').replace(']', '');
    const el: Element = part.startsWith('$')
      ? { kind: 'slot', slot: part }
      : { kind: 'words', words: new Set(part.split('|')) };
    if (opens) group = [];
    if (group !== undefined) group.push(el);
    else out.push(el);
    if (closes && group !== undefined) {
      out.push({ kind: 'optional', items: group });
      group = undefined;
    }
  }
  return out;
}

const COMPILED = GRAMMARS.map(([p, op]) => [compile(p), op] as const);

interface Captures {
  table?: [string | undefined, string];
  db?: string;
}

function nameOf(t: Token | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (t.kind === 'ident') return t.text;
  if (t.kind === 'word' && !RESERVED.has(t.upper)) return t.text;
  return undefined;
}

/** Matches elements from token i; returns the index after the match, or -1. */
function match(
  els: readonly Element[],
  e: number,
  tokens: readonly Token[],
  i: number,
  cap: Captures,
): number {
  if (e === els.length) return i;
  const el = els[e]!;
  if (el.kind === 'optional') {
    const inner: Captures = { ...cap };
    const after = match(el.items, 0, tokens, i, inner);
    if (after >= 0) {
      const rest = match(els, e + 1, tokens, after, inner);
      if (rest >= 0) {
        Object.assign(cap, inner);
        return rest;
      }
    }
    return match(els, e + 1, tokens, i, cap);
  }
  const t = tokens[i];
  if (el.kind === 'words') {
    return t?.kind === 'word' && el.words.has(t.upper) ? match(els, e + 1, tokens, i + 1, cap) : -1;
  }
  switch (el.slot) {
    case '$name':
    case '$db': {
      // A character set or savepoint may be quoted as a string too.
      const n = el.slot === '$name' && t?.kind === 'string' ? '' : nameOf(t);
      if (n === undefined) return -1;
      if (el.slot === '$db') cap.db = n;
      return match(els, e + 1, tokens, i + 1, cap);
    }
    case '$table': {
      const first = nameOf(t);
      if (first === undefined) return -1;
      const dot = tokens[i + 1];
      if (dot?.kind === 'punct' && dot.ch === '.') {
        const second = nameOf(tokens[i + 2]);
        if (second === undefined) return -1;
        cap.table = [first, second];
        return match(els, e + 1, tokens, i + 3, cap);
      }
      cap.table = [undefined, first];
      return match(els, e + 1, tokens, i + 1, cap);
    }
    case '$str':
      return t?.kind === 'string' ? match(els, e + 1, tokens, i + 1, cap) : -1;
    case '$num':
      return t?.kind === 'word' && /^\d+$/.test(t.text) ? match(els, e + 1, tokens, i + 1, cap) : -1;
    case '$words': {
      let j = i;
      while (j < tokens.length) {
        const w = tokens[j]!;
        if (w.kind === 'punct' && w.ch !== ',') break;
        j++;
      }
      return j > i ? match(els, e + 1, tokens, j, cap) : -1;
    }
  }
  return -1;
}

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
      const w = text.slice(i, j);
      out.push({ kind: 'word', upper: w.toUpperCase(), text: w });
      i = j;
    } else if (c === "'" || c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1);
      // Escapes and doubled quotes are left to the real parsers.
      if (end < 0 || text.slice(i + 1, end).includes('\\') || text[end + 1] === c) return undefined;
      out.push(c === '`' ? { kind: 'ident', text: text.slice(i + 1, end) } : { kind: 'string' });
      i = end + 1;
    } else if (c === ',' || c === '=' || c === '.') {
      out.push({ kind: 'punct', ch: c });
      i++;
    } else {
      return undefined;
    }
  }
  return out;
}

/** The classification of a statement the parsers rejected, when it is one of the known simple forms. */
export function fallbackStatement(text: string): StatementClass | undefined {
  const tokens = tokenize(text);
  if (tokens === undefined) return undefined;
  for (const [els, op] of COMPILED) {
    const cap: Captures = {};
    if (match(els, 0, tokens, 0, cap) !== tokens.length) continue;
    const tables: string[] = [];
    if (cap.table !== undefined) {
      const [db, name] = cap.table;
      const schema = db ?? cap.db;
      tables.push((schema === undefined ? name : `${schema}.${name}`).toLowerCase());
    }
    return { operations: [op], tables };
  }
  return undefined;
}
