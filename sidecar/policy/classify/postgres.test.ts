import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { isAgentgateError } from '../../../common/errors.js';
import { expectedFrom, loadCorpus, rewriteCorpus, updating } from './corpus.js';
import { classifyPostgres, clearPostgresCache, initClassifiers } from './postgres.js';

const CORPUS = fileURLToPath(new URL('./testdata/postgres-corpus.yaml', import.meta.url));
const cases = loadCorpus<string>(CORPUS);

beforeAll(async () => {
  await initClassifiers();
  if (updating) rewriteCorpus(CORPUS, cases, (sql) => classifyPostgres(sql));
});

describe('PostgreSQL golden corpus', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(expectedFrom(classifyPostgres(c.input))).toEqual(c.expect);
  });
});

describe('classifyPostgres', () => {
  it('returns the same frozen object for a repeated text', () => {
    const a = classifyPostgres('SELECT * FROM cached_once');
    const b = classifyPostgres('SELECT * FROM cached_once');
    expect(b).toBe(a);
    expect(Object.isFrozen(a.statements[0])).toBe(true);
  });

  it('classifies the same again after the cache is cleared', () => {
    const a = classifyPostgres('DELETE FROM t WHERE id = 1');
    clearPostgresCache();
    expect(classifyPostgres('DELETE FROM t WHERE id = 1')).toEqual(a);
  });

  it('refuses a statement over the size limit with AG_ERR_CLASSIFY_TOO_LARGE', () => {
    const huge = `SELECT 1 /* ${'x'.repeat(1024 * 1024)} */`;
    let err: unknown;
    try {
      classifyPostgres(huge);
    } catch (e) {
      err = e;
    }
    expect(isAgentgateError(err) && err.code).toBe('AG_ERR_CLASSIFY_TOO_LARGE');
  });

  it('refuses backslashes when standard_conforming_strings is off', () => {
    // On: 'a\\' is a whole string and DROP follows. Off: all one string. Either
    // way the classifier must not guess which reading the server has.
    const sql = "SELECT 'a\\'; DROP TABLE t; --'";
    expect(classifyPostgres(sql).operations).toEqual(['SELECT', 'DROP']);
    expect(classifyPostgres(sql, { standardConformingStrings: false }).operations).toEqual(['UNKNOWN']);
  });

  it('keeps classifying E, dollar-quoted and backslash-free strings when standard_conforming_strings is off', () => {
    const off = { standardConformingStrings: false };
    expect(classifyPostgres("SELECT E'a\\'' ; DELETE FROM t", off).operations).toEqual(['SELECT', 'DELETE']);
    expect(classifyPostgres('SELECT $$a\\$$ FROM t', off).operations).toEqual(['SELECT']);
    expect(classifyPostgres("SELECT 'plain' FROM t -- a \\ in a comment", off).operations).toEqual([
      'SELECT',
    ]);
  });

  it('classifies a statement nested past the stack as UNKNOWN and keeps working', () => {
    for (const depth of [3000, 20000]) {
      const deep = `SELECT ${'f('.repeat(depth)}1${')'.repeat(depth)}`;
      expect(classifyPostgres(deep).operations).toEqual(['UNKNOWN']);
    }
    expect(classifyPostgres('DELETE FROM after_deep').operations).toEqual(['DELETE']);
  });

  it('finds a table at the bottom of deeply nested subqueries', () => {
    const sql = `SELECT ${'(SELECT '.repeat(200)}x FROM hidden${')'.repeat(200)}`;
    expect(classifyPostgres(sql).tables).toEqual(['hidden']);
  });

  it('classifies an empty query as no statements', () => {
    expect(classifyPostgres(' -- nothing\n /* at all */ ;').statements).toEqual([]);
  });
});
