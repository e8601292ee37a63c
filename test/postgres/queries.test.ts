// node-postgres through the gateway against the machine's PostgreSQL: the same
// answers as direct, except where policy says no.

import pg from 'pg';
import { denyOps, type Gateway, startGateway } from './gateway-harness.js';
import { admin, type UpstreamRoles, upstreamRoles } from './pg-fixture.js';

let roles: UpstreamRoles;
let gw: Gateway;

function client(password = 'agent-token'): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent', password, database: 'postgres' });
}

beforeAll(async () => {
  roles = await upstreamRoles('queries');
  gw = await startGateway({ credentials: roles.scram });
  await admin('DROP TABLE IF EXISTS ag_queries_t');
  await admin('CREATE TABLE ag_queries_t (id int primary key, email text, note text)');
  await admin(
    `INSERT INTO ag_queries_t SELECT g, 'user' || g || '@example.com', 'n' || g FROM generate_series(1, 100) g`,
  );
});

afterAll(async () => {
  await gw.close();
  await admin('DROP TABLE IF EXISTS ag_queries_t');
  await roles.cleanup();
});

beforeEach(() => {
  gw.decide = denyOps(['DROP', 'TRUNCATE', 'DELETE']);
});

test('runs a simple query as the sidecar role authenticated with SCRAM', async () => {
  const c = client();
  await c.connect();
  const r = await c.query('SELECT current_user AS u, count(*)::int AS n FROM ag_queries_t');
  expect(r.rows).toEqual([{ u: roles.scram.username, n: 100 }]);
  await c.end();
});

test('runs extended-protocol queries with parameters and binary-safe values like a direct connection', async () => {
  const c = client();
  await c.connect();
  const direct = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await direct.connect();
  const q = { text: 'SELECT id, email FROM ag_queries_t WHERE id <= $1 ORDER BY id', values: [5] };
  expect((await c.query(q)).rows).toEqual((await direct.query(q)).rows);
  const prepared = { name: 'by-id', text: 'SELECT note FROM ag_queries_t WHERE id = $1', values: [7] };
  expect((await c.query(prepared)).rows).toEqual([{ note: 'n7' }]);
  expect((await c.query({ ...prepared, values: [8] })).rows).toEqual([{ note: 'n8' }]);
  await direct.end();
  await c.end();
});

test('denies DROP with SQLSTATE 42501 naming policy and rule, and the session stays usable', async () => {
  const c = client();
  await c.connect();
  await expect(c.query('DROP TABLE ag_queries_t')).rejects.toMatchObject({
    code: '42501',
    message: expect.stringMatching(/^agentgate: denied by policy test\/policy rule no-ddl/),
  });
  expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  expect(gw.commands.some((e) => e.decision === 'deny' && e.rule === 'no-ddl')).toBe(true);
  await c.end();
  expect(await admin("SELECT to_regclass('ag_queries_t') IS NOT NULL AS present")).toEqual([
    { present: true },
  ]);
});

test('denies a DROP hidden in a multi-statement query, running none of it', async () => {
  const c = client();
  await c.connect();
  await expect(
    c.query("UPDATE ag_queries_t SET note = 'x' WHERE id = 1; DROP TABLE ag_queries_t"),
  ).rejects.toMatchObject({
    code: '42501',
  });
  expect((await c.query('SELECT note FROM ag_queries_t WHERE id = 1')).rows).toEqual([{ note: 'n1' }]);
  await c.end();
});

test('a DELETE denied inside a transaction aborts it like a PostgreSQL error would', async () => {
  const c = client();
  await c.connect();
  await c.query('BEGIN');
  await c.query("UPDATE ag_queries_t SET note = 'in-tx' WHERE id = 2");
  await expect(c.query('DELETE FROM ag_queries_t WHERE id = 2')).rejects.toMatchObject({ code: '42501' });
  await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
  await c.query('ROLLBACK');
  expect((await c.query('SELECT note FROM ag_queries_t WHERE id = 2')).rows).toEqual([{ note: 'n2' }]);
  await c.end();
});

test('a denied Execute in the extended protocol gets its error and the next query works', async () => {
  const c = client();
  await c.connect();
  await expect(
    c.query({ text: 'DELETE FROM ag_queries_t WHERE id = $1', values: [3] }),
  ).rejects.toMatchObject({
    code: '42501',
  });
  expect(
    (await c.query({ text: 'SELECT count(*)::int AS n FROM ag_queries_t WHERE id = $1', values: [3] })).rows,
  ).toEqual([{ n: 1 }]);
  await c.end();
});

test('a review decision is refused with "approval required" naming the rule', async () => {
  gw.decide = denyOps(['UPDATE'], 'writes-need-approval', 'review');
  const c = client();
  await c.connect();
  await expect(c.query("UPDATE ag_queries_t SET note = 'r' WHERE id = 4")).rejects.toMatchObject({
    code: '42501',
    message: expect.stringMatching(
      /^agentgate: approval required by policy test\/policy rule writes-need-approval/,
    ),
  });
  await c.end();
});

test('a refused token ends the session with 28000 before any upstream connection', async () => {
  const c = client('bad');
  await expect(c.connect()).rejects.toMatchObject({ code: '28000' });
});

test('authenticates upstream with md5 too', async () => {
  const md5 = await startGateway({ credentials: roles.md5 });
  const c = new pg.Client({
    host: '127.0.0.1',
    port: md5.port,
    user: 'agent',
    password: 't',
    database: 'postgres',
  });
  await c.connect();
  expect((await c.query('SELECT current_user AS u')).rows).toEqual([{ u: roles.md5.username }]);
  await c.end();
  await md5.close();
});

test('wrong upstream credentials reach the agent as AG_ERR_UPSTREAM_AUTH without the role name', async () => {
  const wrong = await startGateway({ credentials: { username: roles.scram.username, password: 'nope' } });
  const c = new pg.Client({
    host: '127.0.0.1',
    port: wrong.port,
    user: 'agent',
    password: 't',
    database: 'postgres',
  });
  const err = await c.connect().then(
    () => null,
    (e: Error & { code?: string }) => e,
  );
  expect(err).toMatchObject({ code: '08006' });
  expect(err?.message).not.toContain(roles.scram.username);
  await wrong.close();
});
