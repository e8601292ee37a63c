// Table-qualified column rules (`users.email`) through the real sidecar and a
// real PostgreSQL: RowDescription names a column's table only by OID, so the
// session reads table names at its start. A column of the named table is
// masked; the same column name in another table is not; anything whose table
// is not known for certain (a view, an expression, a table made after the
// names were read) is masked by its name alone.

import pg from 'pg';
import { admin } from '../postgres/pg-fixture.js';
import {
  anonymousSidecarArgs,
  freePort,
  type PolicyFiles,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from '../sidecar/sidecar-process.js';

const USERS = 'ag_tq_users';
const ORDERS = 'ag_tq_orders';
const VIEW = 'ag_tq_users_view';
let files: PolicyFiles;
let sidecar: SidecarProcess;
let port: number;

beforeAll(async () => {
  files = policyFiles();
  port = await freePort();
  files.writePolicy(`apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: tables, namespace: shop}
spec:
  targets:
    - {name: orders-db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}
  rules:
    - {name: everything, match: {target: orders-db}, action: allow}
  masking:
    - {target: orders-db, columns: ['${USERS}.code'], strategy: redact}
  defaultAction: deny
`);
  files.writeCredentials('orders-db', 'postgres', '');
  await admin(`DROP VIEW IF EXISTS ${VIEW}`);
  await admin(`DROP TABLE IF EXISTS ${USERS}, ${ORDERS}`);
  await admin(`CREATE TABLE ${USERS} (id int, code text)`);
  await admin(`CREATE TABLE ${ORDERS} (id int, code text)`);
  await admin(`CREATE VIEW ${VIEW} AS SELECT id, code FROM ${USERS}`);
  await admin(`INSERT INTO ${USERS} VALUES (1, 'user-code-1')`);
  await admin(`INSERT INTO ${ORDERS} VALUES (1, 'order-code-1')`);
  sidecar = await startSidecarProcess([...anonymousSidecarArgs(files), '--namespace', 'shop']);
}, 60_000);

afterAll(async () => {
  await sidecar?.stop('SIGKILL');
  await admin(`DROP VIEW IF EXISTS ${VIEW}`);
  await admin(`DROP TABLE IF EXISTS ${USERS}, ${ORDERS}`);
});

async function agent(): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: '', database: 'postgres' });
  await c.connect();
  return c;
}

const REDACTED = /^<.+>$/;

test('a column of the named table is masked; the same name in another table is not', async () => {
  const c = await agent();
  try {
    expect((await c.query(`SELECT code FROM ${USERS}`)).rows[0].code).toMatch(REDACTED);
    expect((await c.query(`SELECT code FROM ${ORDERS}`)).rows[0].code).toBe('order-code-1');
    // Extended protocol, and both tables in one result.
    const joined = await c.query({
      text: `SELECT u.code AS code, o.code AS code2 FROM ${USERS} u JOIN ${ORDERS} o ON o.id = u.id WHERE u.id = $1`,
      values: [1],
      rowMode: 'array',
    });
    expect(joined.fields.map((f) => f.name)).toEqual(['code', 'code2']);
    expect(joined.rows).toEqual([[expect.stringMatching(REDACTED), 'order-code-1']]);
    const aliased = await c.query(`SELECT o.code FROM ${ORDERS} o, ${USERS} u WHERE o.id = u.id`);
    expect(aliased.rows[0].code).toBe('order-code-1');
  } finally {
    await c.end();
  }
});

test('renaming a column in the query does not unmask it, and does not mask another table', async () => {
  const c = await agent();
  try {
    expect((await c.query(`SELECT code AS renamed FROM ${USERS}`)).rows[0].renamed).toMatch(REDACTED);
    const joined = await c.query({
      text: `SELECT u.code AS a, o.code AS b FROM ${USERS} u JOIN ${ORDERS} o ON o.id = u.id WHERE u.id = $1`,
      values: [1],
      rowMode: 'array',
    });
    expect(joined.rows).toEqual([[expect.stringMatching(REDACTED), 'order-code-1']]);
  } finally {
    await c.end();
  }
});

test('columns whose table is not known for certain are masked by name: views and expressions', async () => {
  const c = await agent();
  try {
    expect((await c.query(`SELECT code FROM ${VIEW}`)).rows[0].code).toMatch(REDACTED);
    expect((await c.query(`SELECT upper(code) AS code FROM ${ORDERS}`)).rows[0].code).toMatch(REDACTED);
  } finally {
    await c.end();
  }
});

test('after a command that can change tables, the session masks by name alone', async () => {
  const c = await agent();
  try {
    expect((await c.query(`SELECT code FROM ${ORDERS}`)).rows[0].code).toBe('order-code-1');
    await c.query('CREATE TEMP TABLE ag_tq_scratch (code text)');
    expect((await c.query(`SELECT code FROM ${ORDERS}`)).rows[0].code).toMatch(REDACTED);
  } finally {
    await c.end();
  }
  // A new session reads the names afresh.
  const d = await agent();
  try {
    expect((await d.query(`SELECT code FROM ${ORDERS}`)).rows[0].code).toBe('order-code-1');
  } finally {
    await d.end();
  }
});
