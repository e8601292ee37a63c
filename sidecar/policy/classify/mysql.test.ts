import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { isAgentgateError } from '../../../common/errors.js';
import { expectedFrom, loadCorpus, rewriteCorpus, updating } from './corpus.js';
import { classifyMysql } from './mysql.js';
import { lexMysql } from './mysql-lexer.js';

const CORPUS = fileURLToPath(new URL('./testdata/mysql-corpus.yaml', import.meta.url));
const cases = loadCorpus<string>(CORPUS);
if (updating) rewriteCorpus(CORPUS, cases, (sql) => classifyMysql(sql));

describe('MySQL golden corpus', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(expectedFrom(classifyMysql(c.input))).toEqual(c.expect);
  });
});

describe('classifyMysql', () => {
  it('returns the same frozen object for a repeated text', () => {
    const a = classifyMysql('SELECT * FROM cached_once');
    expect(classifyMysql('SELECT * FROM cached_once')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('reads backslashes literally under NO_BACKSLASH_ESCAPES', () => {
    // Escapes on: one string. NO_BACKSLASH_ESCAPES: 'a\' ends, DROP runs.
    const sql = "SELECT 'a\\'; DROP TABLE users; -- '";
    expect(classifyMysql(sql).operations).toEqual(['SELECT']);
    expect(classifyMysql(sql, { noBackslashEscapes: true }).operations).toEqual(['SELECT', 'DROP']);
  });

  it('refuses a statement over the size limit with AG_ERR_CLASSIFY_TOO_LARGE', () => {
    let err: unknown;
    try {
      classifyMysql(`SELECT 1 /* ${'x'.repeat(256 * 1024)} */`);
    } catch (e) {
      err = e;
    }
    expect(isAgentgateError(err) && err.code).toBe('AG_ERR_CLASSIFY_TOO_LARGE');
  });
});

describe('lexMysql', () => {
  it('splits at every top-level semicolon and drops empty statements', () => {
    expect(lexMysql(';; SELECT 1 ;;SELECT 2;')).toEqual({ statements: ['SELECT 1', 'SELECT 2'] });
  });

  it('expands a six-digit MariaDB version and a five-digit MySQL version', () => {
    expect(lexMysql('/*M!100100 SELECT 1*/')).toEqual({ statements: ['SELECT 1'] });
    expect(lexMysql('/*!80000 SELECT 2*/')).toEqual({ statements: ['SELECT 2'] });
  });

  it('keeps digits after /*! that are too few for a version as content', () => {
    expect(lexMysql('SELECT /*!1 */')).toEqual({ statements: ['SELECT  1'] });
  });

  it('reads the same statements however the text is split into characters', () => {
    // Splitting invariance for the lexer: joining pieces must not matter.
    const sql = "SELECT 'x;y' /*! ; DROP TABLE u */ -- c\n; SELECT `a;b`";
    const whole = lexMysql(sql);
    expect(whole).toEqual({ statements: ["SELECT 'x;y'", 'DROP TABLE u', 'SELECT `a;b`'] });
  });
});
