// Property tests over generated inputs: the classifiers never throw, always
// answer with at least one operation per statement, and keep their invariants
// (a lexed statement lexes to itself; a normalized path is canonical; Redis
// keys are arguments). Seeded, so a failure reproduces.

import { beforeAll, describe, expect, it } from '@jest/globals';
import { classifyHttp, compilePathTemplate, normalizePath } from './http.js';
import { classifyMysql } from './mysql.js';
import { lexMysql } from './mysql-lexer.js';
import { classifyPostgres, initClassifiers } from './postgres.js';
import { classifyRedis } from './redis.js';

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SQL_PIECES = [
  'SELECT ',
  'DELETE FROM ',
  'DROP TABLE ',
  ' t',
  ' users',
  ';',
  "'",
  '"',
  '`',
  '\\',
  '/*',
  '*/',
  '/*!',
  '/*!50000',
  '/*M!',
  '--',
  '-- ',
  '#',
  '\n',
  '$$',
  '$x$',
  "E'",
  ' WHERE 1=1',
  ' (',
  ')',
  ',',
  'WITH d AS (',
  ' RETURNING *',
  'EXPLAIN ANALYZE ',
  'COPY t TO PROGRAM ',
  'pg_terminate_backend(1)',
  ' FROM ',
  'x',
  '1',
  ' ',
];

function sqlText(next: () => number): string {
  let s = '';
  const n = 1 + Math.floor(next() * 14);
  for (let i = 0; i < n; i++) s += SQL_PIECES[Math.floor(next() * SQL_PIECES.length)];
  return s;
}

beforeAll(async () => {
  await initClassifiers();
});

describe('SQL classifiers on generated text', () => {
  it('never throw and give every statement an operation', () => {
    const next = rng(2);
    for (let i = 0; i < 3000; i++) {
      const sql = sqlText(next);
      for (const c of [
        classifyPostgres(sql),
        classifyMysql(sql),
        classifyMysql(sql, { noBackslashEscapes: true }),
      ]) {
        for (const st of c.statements) expect(st.operations.length).toBeGreaterThan(0);
      }
    }
  });

  it('lexMysql: each statement it returns lexes to itself', () => {
    const next = rng(3);
    for (let i = 0; i < 5000; i++) {
      const r = lexMysql(sqlText(next));
      if ('error' in r) continue;
      for (const st of r.statements) expect(lexMysql(st)).toEqual({ statements: [st] });
    }
  });
});

const PATH_PIECES = [
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E',
  '%252e',
  '%2f',
  '%5c',
  '\\',
  ';',
  ';x',
  'a',
  'admin',
  '%',
  '%25',
  '%zz',
  '~',
];

describe('HTTP paths on generated input', () => {
  it('normalize to a canonical absolute path or are refused', () => {
    const next = rng(4);
    const all = compilePathTemplate('/**');
    for (let i = 0; i < 5000; i++) {
      let p = '';
      const n = 1 + Math.floor(next() * 10);
      for (let k = 0; k < n; k++) p += PATH_PIECES[Math.floor(next() * PATH_PIECES.length)];
      const out = normalizePath(p);
      const c = classifyHttp({ method: 'GET', path: p });
      if (out === undefined) {
        expect(c.operations).toEqual(['UNKNOWN']);
        continue;
      }
      expect(out.startsWith('/')).toBe(true);
      expect(out === '/' || !out.endsWith('/')).toBe(true);
      expect(out.includes('//')).toBe(false);
      expect(out.split('/').some((s) => s === '.' || s === '..')).toBe(false);
      expect(all(out)).toBe(true);
    }
  });
});

describe('Redis on generated argv', () => {
  it('never throws, and every key is one of the arguments', () => {
    const next = rng(5);
    const names = [
      'GET',
      'SET',
      'MSET',
      'EVAL',
      'ZUNIONSTORE',
      'XREAD',
      'MIGRATE',
      'CONFIG',
      'OBJECT',
      'NOPE',
    ];
    const args = ['k', '0', '1', '2', '-1', 'STREAMS', 'KEYS', 'GET', 'SET', "redis.call('FLUSHALL')", ''];
    for (let i = 0; i < 5000; i++) {
      const argv = [names[Math.floor(next() * names.length)]!];
      const n = Math.floor(next() * 8);
      for (let k = 0; k < n; k++) argv.push(args[Math.floor(next() * args.length)]!);
      const c = classifyRedis(argv);
      expect(c.statements.length).toBeGreaterThan(0);
      for (const t of c.tables) expect(argv.slice(1)).toContain(t);
    }
  });
});
