// PostgreSQL classification with libpg-query, the server's own parser compiled
// to WebAssembly: what it parses is exactly what PostgreSQL parses, so comments,
// dollar quoting, E'' strings and nested comments cannot hide a statement.
// Every statement of a multi-statement query is classified on its own; results
// are cached per distinct text.

import { loadModule, parseSync, scanSync } from 'libpg-query';
import { agError } from '../../../common/errors.js';
import {
  type Classification,
  classification,
  type StatementClass,
  UNKNOWN,
  unknownStatement,
} from '../command.js';
import { freeze } from './freeze.js';
import { CACHE_CHARS, CACHE_ENTRIES, MAX_STATEMENT_CHARS } from './limits.js';
import { LruCache } from './lru-cache.js';
import { type Json, type JsonObject, StatementWalker } from './postgres-walker.js';

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the parsers once at startup; classifyPostgres throws until it has resolved. */
export function initClassifiers(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export interface PostgresOptions {
  /**
   * The session's standard_conforming_strings (reported by the server in
   * ParameterStatus). When off, a backslash in a plain '...' string escapes
   * the next character, which libpg-query (always on) would read differently;
   * statements with such a string are classified UNKNOWN instead of guessed.
   */
  readonly standardConformingStrings?: boolean;
}

const cache = new LruCache<Classification>(CACHE_ENTRIES, CACHE_CHARS);

/** Classifies a simple-query or Parse message text. Throws AG_ERR_CLASSIFY_TOO_LARGE over the size limit. */
export function classifyPostgres(sql: string, options?: PostgresOptions): Classification {
  if (sql.length > MAX_STATEMENT_CHARS)
    throw agError('AG_ERR_CLASSIFY_TOO_LARGE', sql.length, MAX_STATEMENT_CHARS);
  if (options?.standardConformingStrings === false && readsDifferentlyWithoutScs(sql)) {
    return classification([
      unknownStatement("a '...' string with a backslash while standard_conforming_strings is off"),
    ]);
  }
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  const result = freeze(classifyUncached(sql));
  cache.set(sql, result);
  return result;
}

/** Forgets cached classifications (tests, and after a classifier change at runtime). */
export function clearPostgresCache(): void {
  cache.clear();
}

function classifyUncached(sql: string): Classification {
  if (!ready) throw new Error('classifyPostgres called before initClassifiers() resolved');
  let tree: JsonObject;
  try {
    tree = parseSync(sql) as unknown as JsonObject;
  } catch (e) {
    return classification([unknownStatement(`parse error: ${e instanceof Error ? e.message : String(e)}`)]);
  }
  const stmts = tree['stmts'];
  if (!Array.isArray(stmts)) return classification([]);
  return classification((stmts as readonly Json[]).map(classifyRaw));
}

function classifyRaw(raw: Json): StatementClass {
  const w = new StatementWalker();
  try {
    w.walk(
      typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as JsonObject)['stmt'] : null,
    );
  } catch (e) {
    // A parse tree deep enough to exhaust the stack: refuse rather than guess.
    if (e instanceof RangeError) return unknownStatement('statement nested too deeply to classify');
    throw e;
  }
  const operations = [...w.ops];
  if (w.unknown !== undefined) operations.push(UNKNOWN);
  if (operations.length === 0) return unknownStatement('no operation recognised');
  const st: { operations: string[]; tables: string[]; unbounded?: boolean; reason?: string } = {
    operations,
    tables: [...w.tables],
  };
  if (w.unbounded) st.unbounded = true;
  if (w.unknown !== undefined) st.reason = w.unknown;
  return st;
}

/**
 * With standard_conforming_strings off, a backslash in a plain '...' string
 * escapes the next character, so the server may end the string elsewhere than
 * libpg-query (always on) does. Everything before the first such string reads
 * the same in both modes, so scanning in on-mode finds it. E'', $$ and U&''
 * strings read the same either way.
 */
function readsDifferentlyWithoutScs(sql: string): boolean {
  if (!sql.includes('\\')) return false;
  let tokens: { text: string; tokenName: string }[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return true;
  }
  return tokens.some((t) => t.tokenName === 'SCONST' && t.text.startsWith("'") && t.text.includes('\\'));
}
