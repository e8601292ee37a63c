import { classifyPostgres, initClassifiers } from '../policy/classify/postgres.js';
import { ShapeCache, shapeKey } from './shape-cache.js';

beforeAll(async () => {
  await initClassifiers();
});

describe('shapeKey', () => {
  test('replaces numeric literals outside strings, identifiers and comments', () => {
    expect(shapeKey('SELECT abalance FROM pgbench_accounts WHERE aid = 4711;')).toBe(
      'SELECT abalance FROM pgbench_accounts WHERE aid = ?;',
    );
    expect(shapeKey('SELECT t1.c2 FROM t1 LIMIT 10 OFFSET 5')).toBe('SELECT t1.c2 FROM t1 LIMIT ? OFFSET ?');
    expect(shapeKey('SELECT \'42\', "col 7" -- 9\n FROM x WHERE y = 3.5')).toBe(
      'SELECT \'42\', "col 7" -- 9\n FROM x WHERE y = ?.?',
    );
    expect(shapeKey('SELECT $$ 12 $$, $tag$ 1 $tag$, $1 /* 5 /* 6 */ */ FROM a$1')).toBe(
      'SELECT $$ 12 $$, $tag$ 1 $tag$, $1 /* 5 /* 6 */ */ FROM a$1',
    );
  });

  test('refuses what it cannot follow: backslashes, unterminated quotes and comments', () => {
    expect(shapeKey("SELECT E'\\'' , 1")).toBeNull();
    expect(shapeKey("SELECT 'open")).toBeNull();
    expect(shapeKey('SELECT 1 /* open')).toBeNull();
    expect(shapeKey('SELECT $x$ open')).toBeNull();
  });
});

describe('ShapeCache', () => {
  test('texts that differ only in numbers share one classification; strings do not', () => {
    const cache = new ShapeCache();
    let calls = 0;
    const counted = (sql: string) => {
      calls++;
      return classifyPostgres(sql);
    };
    for (let i = 0; i < 100; i++)
      cache.classify(`SELECT abalance FROM pgbench_accounts WHERE aid = ${i}`, counted);
    expect(calls).toBe(1);
    const a = cache.classify("SELECT dblink_exec('c', 'SELECT 1')", counted);
    const b = cache.classify("SELECT dblink_exec('c', 'DROP TABLE orders')", counted);
    expect(calls).toBe(3);
    expect(a).not.toBe(b);
  });

  test('a hidden DROP after numbers is never masked by a cached shape', () => {
    const cache = new ShapeCache();
    const safe = cache.classify('SELECT 1', classifyPostgres);
    const hidden = cache.classify('SELECT 2; DROP TABLE orders', classifyPostgres);
    expect(safe.operations).toEqual(['SELECT']);
    expect(hidden.operations).toContain('DROP');
  });

  test('EXPLAIN (ANALYZE 0) seen first never lets EXPLAIN (ANALYZE 1) DELETE pass as a plain EXPLAIN', () => {
    const cache = new ShapeCache();
    expect(cache.classify('EXPLAIN (ANALYZE 0) DELETE FROM orders', classifyPostgres).operations).toEqual([
      'EXPLAIN',
    ]);
    expect(cache.classify('EXPLAIN (ANALYZE 1) DELETE FROM orders', classifyPostgres).operations).toContain(
      'DELETE',
    );
  });
});
