// Policy decision plus PostgreSQL classification, the per-command cost the
// sidecar pays before a statement reaches the database. Goal: under 50 µs median
// for a typical short statement.

import type { AgentPolicy } from '../api/types.js';
import type { Identity } from '../sidecar/identity/identity.js';
import {
  classifyPostgres,
  clearPostgresCache,
  initClassifiers,
} from '../sidecar/policy/classify/postgres.js';
import { PolicyEngine } from '../sidecar/policy/engine.js';
import { loadPolicyFiles } from '../sidecar/policy/loader.js';
import { medianNs, round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Policy decision and PostgreSQL classification';

const SHORT = 'SELECT id, status, total FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 20';
const LONG = `WITH recent AS (SELECT o.id, o.customer_id, sum(i.price * i.qty) AS total FROM orders o
  JOIN order_items i ON i.order_id = o.id WHERE o.created_at > now() - interval '30 days' GROUP BY o.id, o.customer_id)
  SELECT c.name, c.email, r.total, rank() OVER (PARTITION BY c.region ORDER BY r.total DESC)
  FROM recent r JOIN customers c ON c.id = r.customer_id LEFT JOIN regions g ON g.id = c.region
  WHERE c.active AND r.total > (SELECT avg(total) FROM recent) ORDER BY r.total DESC LIMIT 100`;

export async function run(): Promise<BenchResult[]> {
  await initClassifiers();
  const { policies } = await loadPolicyFiles([new URL('../../examples/policies/', import.meta.url).pathname]);
  const engine = PolicyEngine.compile(policies as AgentPolicy[]);
  const pod = engine.forPod({ namespace: 'agents', labels: { app: 'support-agent' } });
  const identity: Identity = {
    kind: 'token',
    subject: 'agent',
    groups: ['ai-agents'],
    issuer: 'https://idp',
  };
  const decide = (sql: string) =>
    pod.decide({
      target: 'orders-db',
      protocol: 'postgres',
      identity,
      classification: classifyPostgres(sql),
      text: sql,
    });

  const warmShort = medianNs(() => decide(SHORT), 200_000);
  const warmLong = medianNs(() => decide(LONG), 200_000);
  let n = 0;
  // Distinct texts each call: the parser runs every time (the cache misses).
  const coldShort = medianNs(() => decide(`${SHORT} OFFSET ${n++}`), 5_000, 10);
  const coldLong = medianNs(() => decide(`${LONG} OFFSET ${n++}`), 2_000, 10);
  clearPostgresCache();
  const classification = classifyPostgres(SHORT);
  const engineOnly = medianNs(
    () => pod.decide({ target: 'orders-db', protocol: 'postgres', identity, classification, text: SHORT }),
    500_000,
  );
  // A copy of the classification each call: the engine cannot recall it and decides from scratch.
  const engineFresh = medianNs(
    () =>
      pod.decide({
        target: 'orders-db',
        protocol: 'postgres',
        identity,
        classification: { ...classification },
        text: SHORT,
      }),
    500_000,
  );
  return [
    {
      name: 'decide + classify, short statement, cached shape',
      unit: 'µs median',
      value: round(warmShort / 1000, 3),
    },
    {
      name: 'decide + classify, short statement, first sight',
      unit: 'µs median',
      value: round(coldShort / 1000, 2),
      note: 'goal < 50 µs',
    },
    {
      name: 'decide + classify, long statement (CTE, joins), cached',
      unit: 'µs median',
      value: round(warmLong / 1000, 3),
    },
    {
      name: 'decide + classify, long statement, first sight',
      unit: 'µs median',
      value: round(coldLong / 1000, 2),
    },
    {
      name: 'policy engine alone, a statement shape already decided',
      unit: 'µs median',
      value: round(engineOnly / 1000, 3),
      note: 'decisions are remembered per identity, target and classification',
    },
    {
      name: 'policy engine alone, deciding from scratch',
      unit: 'µs median',
      value: round(engineFresh / 1000, 3),
    },
    {
      name: 'short statements decided per second, first sight',
      unit: 'statements/s',
      value: Math.round(1e9 / coldShort),
    },
  ];
}
