// Classification alone, per protocol: what each command costs before the
// policy engine sees it. "first sight" texts are all distinct, so the parser
// runs every time; "cached" repeats texts the LRU already holds, the common
// case for an agent that reuses a handful of statement shapes.

import { classifyHttp } from '../sidecar/policy/classify/http.js';
import { classifyMysql, clearMysqlCache } from '../sidecar/policy/classify/mysql.js';
import {
  classifyPostgres,
  clearPostgresCache,
  initClassifiers,
} from '../sidecar/policy/classify/postgres.js';
import { classifyRedis } from '../sidecar/policy/classify/redis.js';
import { medianNs, round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Statement classification (PostgreSQL, MySQL, Redis, HTTP)';

const SHORT = 'SELECT id, status, total FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 20';
const MIX: readonly string[] = [
  SHORT,
  'UPDATE orders SET status = 2 WHERE id = 17',
  'INSERT INTO audit (actor, action, at) VALUES (1, 2, 3)',
  'DELETE FROM sessions WHERE expires_at < 1700000000',
  'SELECT count(*) FROM customers',
  `WITH recent AS (SELECT o.id, o.customer_id, sum(i.price * i.qty) AS total FROM orders o
    JOIN order_items i ON i.order_id = o.id WHERE o.created_at > 1700000000 GROUP BY o.id, o.customer_id)
    SELECT c.name, c.email, r.total FROM recent r JOIN customers c ON c.id = r.customer_id
    LEFT JOIN regions g ON g.id = c.region WHERE c.active = 1 AND r.total > (SELECT avg(total) FROM recent)
    ORDER BY r.total DESC LIMIT 100`,
  `SELECT p.id, p.name, p.price, s.qty, w.name AS warehouse FROM products p JOIN stock s ON s.product_id = p.id
    JOIN warehouses w ON w.id = s.warehouse_id WHERE p.category IN (1, 2, 3, 4, 5) AND s.qty > 0
    AND p.id NOT IN (SELECT product_id FROM recalls WHERE active = 1) ORDER BY p.price, p.name LIMIT 50 OFFSET 100`,
];

type Classify = (sql: string) => unknown;

/**
 * Fresh string objects with the mix's texts, as each decoded off the wire is:
 * V8 caches a string's hash on the object, so reusing one literal would make
 * the cache lookup look cheaper than it is for long texts.
 */
function wireCopies(rounds: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < rounds; r++) for (const sql of MIX) out.push(Buffer.from(sql).toString('utf8'));
  return out;
}

/** Statements per second over `rounds` passes of the mix; `distinct` makes every text new. */
function throughput(classify: Classify, rounds: number, distinct: boolean): number {
  const texts = distinct ? wireCopies(rounds).map((s, i) => `${s} /* ${i} */`) : wireCopies(rounds);
  const t0 = process.hrtime.bigint();
  for (const sql of texts) classify(sql);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return texts.length / s;
}

function sqlResults(label: string, classify: Classify, clear: () => void, coldRounds: number): BenchResult[] {
  throughput(classify, 20, false);
  const warm = throughput(classify, 20_000, false);
  clear();
  const cold = throughput(classify, coldRounds, true);
  clear();
  let n = 0;
  const shortCopies = Array.from({ length: 4096 }, () => Buffer.from(SHORT).toString('utf8'));
  let k = 0;
  const shortWarm = medianNs(() => classify(shortCopies[k++ & 4095]!), 200_000);
  const shortCold = medianNs(() => classify(`${SHORT} /* ${n++} */`), coldRounds * 5, 10);
  clear();
  return [
    { name: `${label}: mix, cached`, unit: 'statements/s', value: Math.round(warm) },
    {
      name: `${label}: mix, first sight`,
      unit: 'statements/s',
      value: Math.round(cold),
      note: '5 short, 2 long',
    },
    {
      name: `${label}: short statement, cached`,
      unit: 'µs median',
      value: round(shortWarm / 1000, 3),
      note: 'a fresh string per call, as off the wire',
    },
    { name: `${label}: short statement, first sight`, unit: 'µs median', value: round(shortCold / 1000, 2) },
  ];
}

export async function run(): Promise<BenchResult[]> {
  await initClassifiers();
  const out = [
    ...sqlResults('PostgreSQL', (s) => classifyPostgres(s), clearPostgresCache, 2_000),
    ...sqlResults('MySQL', (s) => classifyMysql(s), clearMysqlCache, 300),
  ];
  const get = ['GET', 'user:42'];
  const evalArgv = ['EVAL', "return redis.call('GET', KEYS[1])", '1', 'user:42'];
  out.push(
    {
      name: 'Redis: GET',
      unit: 'µs median',
      value: round(medianNs(() => classifyRedis(get), 500_000) / 1000, 3),
    },
    {
      name: 'Redis: EVAL with script scan',
      unit: 'µs median',
      value: round(medianNs(() => classifyRedis(evalArgv), 200_000) / 1000, 3),
    },
    {
      name: 'HTTP: GET with traversal to normalize',
      unit: 'µs median',
      value: round(
        medianNs(() => classifyHttp({ method: 'GET', path: '/v1/%2e%2e/orders//42?x=1' }), 200_000) / 1000,
        3,
      ),
    },
  );
  return out;
}
