// MySQL/MariaDB classification with node-sql-parser (MySQL grammar first,
// MariaDB's when that fails). Text goes through mysql-lexer first: executable
// comments are expanded (MySQL runs them; node-sql-parser would not see them),
// comments removed and statements split where the server splits them. Each
// statement is parsed on its own, so one the parser does not know is UNKNOWN
// without hiding the others. Results are cached per distinct text and mode.

import mariadb from 'node-sql-parser/build/mariadb.js';
import mysql from 'node-sql-parser/build/mysql.js';
import { agError } from '../../../common/errors.js';
import {
  type Classification,
  classification,
  type StatementClass,
  UNKNOWN,
  unknownStatement,
} from '../command.js';
import { freeze } from './freeze.js';
import { CACHE_CHARS, CACHE_ENTRIES, MAX_MYSQL_STATEMENT_CHARS } from './limits.js';
import { LruCache } from './lru-cache.js';
import { fallbackStatement } from './mysql-fallback.js';
import { lexMysql } from './mysql-lexer.js';
import { type Ast, type AstObject, MysqlStatementWalker } from './mysql-walker.js';

export interface MysqlOptions {
  /** The session runs with NO_BACKSLASH_ESCAPES (SERVER_STATUS_NO_BACKSLASH_ESCAPES in OK packets). */
  readonly noBackslashEscapes?: boolean;
}

interface SqlParser {
  astify(sql: string, opt?: { database?: string }): unknown;
}

// MySQL's grammar first: it is the faster of the two (about 100 µs against
// 170 µs for a short SELECT) and accepts more (MariaDB's takes `status` for a
// keyword); MariaDB's catches what only MariaDB has.
const PARSERS: readonly [SqlParser, string][] = [
  [new mysql.Parser(), 'MySQL'],
  [new mariadb.Parser(), 'MariaDB'],
];

const cache = new LruCache<Classification>(CACHE_ENTRIES, CACHE_CHARS);
const MAX_REASON = 160;

/** Classifies a COM_QUERY or COM_STMT_PREPARE text. Throws AG_ERR_CLASSIFY_TOO_LARGE over the size limit. */
export function classifyMysql(sql: string, options?: MysqlOptions): Classification {
  if (sql.length > MAX_MYSQL_STATEMENT_CHARS)
    throw agError('AG_ERR_CLASSIFY_TOO_LARGE', sql.length, MAX_MYSQL_STATEMENT_CHARS);
  const noBackslash = options?.noBackslashEscapes === true;
  // The mode changes how the same text reads, so it is part of the cache key.
  const key = noBackslash ? `\u0000${sql}` : sql;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const result = freeze(classifyUncached(sql, noBackslash));
  cache.set(key, result);
  return result;
}

export function clearMysqlCache(): void {
  cache.clear();
}

function classifyUncached(sql: string, noBackslashEscapes: boolean): Classification {
  const lexed = lexMysql(sql, { noBackslashEscapes });
  if ('error' in lexed) return classification([unknownStatement(lexed.error)]);
  const out: StatementClass[] = [];
  for (const text of lexed.statements) out.push(...classifyOne(text));
  return classification(out);
}

function classifyOne(text: string): StatementClass[] {
  let firstError = '';
  for (const [parser, database] of PARSERS) {
    let ast: unknown;
    try {
      ast = parser.astify(text, { database });
    } catch (e) {
      if (firstError === '') firstError = e instanceof Error ? e.message : String(e);
      continue;
    }
    const list = (Array.isArray(ast) ? ast : [ast]) as Ast[];
    if (list.length === 0) return [unknownStatement('no statement recognised')];
    return list.map(fromAst);
  }
  const simple = fallbackStatement(text);
  if (simple !== undefined) return [simple];
  const word = /^\S*/.exec(text)?.[0].slice(0, 32).toUpperCase() ?? '';
  return [unknownStatement(`parse error in ${word} statement: ${firstError.slice(0, MAX_REASON)}`)];
}

function fromAst(ast: Ast): StatementClass {
  if (typeof ast !== 'object' || ast === null || Array.isArray(ast))
    return unknownStatement('no statement recognised');
  const w = new MysqlStatementWalker();
  try {
    w.statement(ast as AstObject);
  } catch (e) {
    if (e instanceof RangeError) return unknownStatement('statement nested too deeply to classify');
    throw e;
  }
  const operations = [...w.ops];
  if (w.unknown !== undefined) operations.push(UNKNOWN);
  const st: { operations: string[]; tables: string[]; unbounded?: boolean; reason?: string } = {
    operations,
    tables: [...w.tables],
  };
  if (w.unbounded) st.unbounded = true;
  if (w.unknown !== undefined) st.reason = w.unknown;
  return st;
}
