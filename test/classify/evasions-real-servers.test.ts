// The classifier's claims checked against the real servers: for each evasion,
// the server really runs (or really does not run) what the classifier says.
// Each test works in its own schema, database or key prefix and removes it.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { classifyMysql } from '../../sidecar/policy/classify/mysql.js';
import { classifyPostgres, initClassifiers } from '../../sidecar/policy/classify/postgres.js';
import { classifyRedis } from '../../sidecar/policy/classify/redis.js';

const tag = `agentgate_classify_${process.pid}`;

describe('PostgreSQL runs what classifyPostgres reports', () => {
  let c: pg.Client;
  const exists = async (t: string) =>
    (await c.query('SELECT to_regclass($1) IS NOT NULL AS e', [`${tag}.${t}`])).rows[0].e as boolean;
  const count = async (t: string) =>
    Number((await c.query(`SELECT count(*) AS n FROM ${tag}.${t}`)).rows[0].n);

  beforeAll(async () => {
    await initClassifiers();
    c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await c.connect();
    await c.query(`CREATE SCHEMA ${tag}; SET search_path TO ${tag}`);
  });
  afterAll(async () => {
    await c.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
    await c.end();
  });

  it('EXPLAIN ANALYZE DELETE deletes, and is classified DELETE', async () => {
    await c.query('CREATE TABLE t1 (id int); INSERT INTO t1 VALUES (1), (2)');
    const sql = 'EXPLAIN ANALYZE DELETE FROM t1';
    expect(classifyPostgres(sql).operations).toContain('DELETE');
    await c.query(sql);
    expect(await count('t1')).toBe(0);
  });

  it('plain EXPLAIN DELETE deletes nothing, and is classified EXPLAIN only', async () => {
    await c.query('CREATE TABLE t2 (id int); INSERT INTO t2 VALUES (1)');
    const sql = 'EXPLAIN DELETE FROM t2';
    expect(classifyPostgres(sql).operations).toEqual(['EXPLAIN']);
    await c.query(sql);
    expect(await count('t2')).toBe(1);
  });

  it('a writing CTE under a SELECT deletes, and is classified DELETE', async () => {
    await c.query('CREATE TABLE t3 (id int); INSERT INTO t3 VALUES (1)');
    const sql = 'WITH d AS (DELETE FROM t3 RETURNING *) SELECT count(*) FROM d';
    expect(classifyPostgres(sql).operations).toEqual(['SELECT', 'DELETE']);
    await c.query(sql);
    expect(await count('t3')).toBe(0);
  });

  it('DROP inside dollar quotes and nested comments runs nothing, and is not classified DROP', async () => {
    await c.query('CREATE TABLE t4 (id int)');
    const sql = 'SELECT $q$ ; DROP TABLE t4; $q$ /* a /* b */ ; DROP TABLE t4; */';
    expect(classifyPostgres(sql).operations).toEqual(['SELECT']);
    await c.query(sql);
    expect(await exists('t4')).toBe(true);
  });

  it('with standard_conforming_strings off a backslash ends a string early; the classifier refuses the text', async () => {
    await c.query('CREATE TABLE t6 (id int)');
    // On: one string holding x\'' ; DROP ... Off: 'x\'' is x' and the DROP runs.
    const sql = "SELECT 'x\\'' ; DROP TABLE t6; --'";
    expect(classifyPostgres(sql).operations).toEqual(['SELECT']);
    expect(classifyPostgres(sql, { standardConformingStrings: false }).operations).toEqual(['UNKNOWN']);
    await c.query('SET standard_conforming_strings = off');
    try {
      await c.query(sql);
    } finally {
      await c.query('SET standard_conforming_strings = on');
    }
    expect(await exists('t6')).toBe(false);
  });

  it('a DROP after a statement on the same line runs, and is classified DROP', async () => {
    await c.query('CREATE TABLE t5 (id int)');
    const sql = "SELECT E'\\';' ; DROP TABLE t5";
    expect(classifyPostgres(sql).operations).toEqual(['SELECT', 'DROP']);
    await c.query(sql);
    expect(await exists('t5')).toBe(false);
  });
});

describe('MariaDB runs what classifyMysql reports', () => {
  let c: mysql.Connection;
  const exists = async (t: string) => {
    const [rows] = await c.query(
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
      [tag, t],
    );
    return (rows as { n: number }[])[0]!.n > 0;
  };

  beforeAll(async () => {
    c = await mysql.createConnection({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      multipleStatements: true,
    });
    await c.query(`CREATE DATABASE ${tag}`);
    await c.query(`USE ${tag}`);
  });
  afterAll(async () => {
    await c.query(`DROP DATABASE IF EXISTS ${tag}`);
    await c.end();
  });

  it('SELECT 1 /*! ; DROP TABLE ... */ is classified DROP, and the server never runs the SELECT alone', async () => {
    // MySQL 8 runs both statements; MariaDB 10.11 refuses the whole text. The
    // classifier reports the DROP either way: never less than the server runs.
    await c.query('CREATE TABLE u1 (id INT)');
    const sql = 'SELECT 1 /*! ; DROP TABLE u1 */';
    expect(classifyMysql(sql).operations).toEqual(['SELECT', 'DROP']);
    const refused = await c.query(sql).then(
      () => false,
      () => true,
    );
    expect(refused || !(await exists('u1'))).toBe(true);
  });

  it('an executable comment inside one statement adds a table the server drops', async () => {
    await c.query('CREATE TABLE u5 (id INT); CREATE TABLE u6 (id INT)');
    const sql = 'DROP TABLE u5 /*!50000 , u6 */';
    expect(classifyMysql(sql).tables).toEqual(['u5', 'u6']);
    await c.query(sql);
    expect(await exists('u6')).toBe(false);
  });

  it('/*!50000 DROP TABLE ... */ drops, and is classified DROP', async () => {
    await c.query('CREATE TABLE u2 (id INT)');
    const sql = '/*!50000 DROP TABLE u2 */';
    expect(classifyMysql(sql).operations).toEqual(['DROP']);
    await c.query(sql);
    expect(await exists('u2')).toBe(false);
  });

  it('MariaDB runs /*M! comments, which are expanded too', async () => {
    const sql = 'SELECT 1 /*M!100100 + 1 */ AS v';
    expect(classifyMysql(sql).operations).toEqual(['SELECT']);
    const [rows] = await c.query(sql);
    expect((rows as { v: number }[])[0]!.v).toBe(2);
  });

  it('--1 is arithmetic to the server, not a comment, and the table after it is seen', async () => {
    await c.query('CREATE TABLE u3 (id INT); INSERT INTO u3 VALUES (5)');
    const sql = 'SELECT 1 --1 AS v FROM u3';
    expect(classifyMysql(sql).tables).toEqual(['u3']);
    const [rows] = await c.query(sql);
    expect((rows as { v: number }[])[0]!.v).toBe(2);
  });

  it('under NO_BACKSLASH_ESCAPES a backslash ends a string early, and the classifier told so sees the DROP', async () => {
    await c.query('CREATE TABLE u7 (id INT)');
    const sql = "SELECT 'a\\'; DROP TABLE u7; -- '";
    expect(classifyMysql(sql).operations).toEqual(['SELECT']);
    expect(classifyMysql(sql, { noBackslashEscapes: true }).operations).toEqual(['SELECT', 'DROP']);
    await c.query("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'");
    try {
      await c.query(sql);
    } finally {
      await c.query('SET SESSION sql_mode = DEFAULT');
    }
    expect(await exists('u7')).toBe(false);
  });

  it('a DROP inside a string runs nothing, and is not classified DROP', async () => {
    await c.query('CREATE TABLE u4 (id INT)');
    const sql = "SELECT 'it\\'s; DROP TABLE u4; -- ' AS s";
    expect(classifyMysql(sql).operations).toEqual(['SELECT']);
    await c.query(sql);
    expect(await exists('u4')).toBe(true);
  });
});

describe('Redis runs what classifyRedis reports', () => {
  let r: Redis;
  beforeAll(async () => {
    r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await r.connect();
  });
  afterAll(async () => {
    await r.del(`${tag}:a`, `${tag}:b`);
    r.disconnect();
  });

  it('an EVAL script that deletes its key is classified EVAL with a DEL on that key', async () => {
    await r.set(`${tag}:a`, '1');
    const argv = ['EVAL', "return redis.call('DEL', KEYS[1])", '1', `${tag}:a`];
    const c = classifyRedis(argv);
    expect(c.statements.map((s) => s.operations)).toEqual([
      ['EVAL', 'DANGEROUS'],
      ['DEL', 'WRITE'],
    ]);
    expect(c.statements[1]!.tables).toEqual([`${tag}:a`]);
    await r.call(argv[0]!, ...argv.slice(1));
    expect(await r.exists(`${tag}:a`)).toBe(0);
  });

  it('the keys Redis itself reports for a command are the tables', async () => {
    const argv = ['ZUNIONSTORE', `${tag}:b`, '2', `${tag}:x`, `${tag}:y`, 'WEIGHTS', '1', '2'];
    const keys = (await r.call('COMMAND', 'GETKEYS', ...argv)) as string[];
    expect(classifyRedis(argv).tables).toEqual(keys);
  });
});
