// What must never happen (the large-result memory test is in test/sidecar,
// against a sidecar process of its own): a dead upstream that
// leaves the agent hanging, a vanished agent that leaves a query running, a
// malformed message that takes other sessions down.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { type Gateway, startGateway } from './gateway-harness.js';
import { admin, type UpstreamRoles, upstreamRoles } from './pg-fixture.js';
import { RawClient } from './raw-client.js';

const run = promisify(execFile);
let roles: UpstreamRoles;
let gw: Gateway;

beforeAll(async () => {
  roles = await upstreamRoles('resilience');
  gw = await startGateway({ credentials: roles.scram });
});

afterAll(async () => {
  await gw.close();
  await roles.cleanup();
});

async function until<T>(f: () => Promise<T | undefined>, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition never held');
}

test('an upstream backend killed mid-session gives the agent a clean error, not a hang', async () => {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: gw.port,
    user: 'a',
    password: 't',
    database: 'postgres',
  });
  const errors: Error[] = [];
  c.on('error', (e) => errors.push(e));
  await c.connect();
  const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  await admin('SELECT pg_terminate_backend($1)', [pid]);
  await until(async () => (errors.length > 0 ? true : undefined));
  expect(errors[0]).toMatchObject({ code: expect.stringMatching(/^(57P01|08006)$/) });
  await expect(c.query('SELECT 1')).rejects.toThrow();
});

test('an agent that disconnects mid-result ends its upstream query and session', async () => {
  const before = new Set(gw.sessions);
  const c = new RawClient(gw.port);
  await c.login('agent-token', 'agentgate-disconnect');
  const mine = [...gw.sessions].find((s) => !before.has(s));
  expect(mine).toBeDefined();
  c.query("SELECT pg_sleep(0.01), repeat('y', 1000) FROM generate_series(1, 100000)");
  await until(async () => (c.bytes > 100_000 ? true : undefined));
  c.end();
  await until(async () => (gw.sessions.has(mine!) ? undefined : true));
  await until(async () => {
    const rows = await admin(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'agentgate-disconnect'",
    );
    return rows.length === 0 ? true : undefined;
  });
});

test('a malformed or oversized message ends only that session', async () => {
  const good = new pg.Client({
    host: '127.0.0.1',
    port: gw.port,
    user: 'a',
    password: 't',
    database: 'postgres',
  });
  await good.connect();
  const bad = new RawClient(gw.port);
  await bad.login();
  bad.socket.write(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff])); // a Query claiming 2 GB
  const err = await bad.until((m) => m.name === 'error');
  expect(err?.name === 'error' && err.fields.get(0x43)).toBe('08P01');
  await until(async () => (bad.closed ? true : undefined));
  const junk = new RawClient(gw.port);
  await junk.login();
  junk.socket.write(Buffer.from([0x7e, 0, 0, 0, 4])); // an unknown message type
  await until(async () => (junk.closed ? true : undefined));
  expect((await good.query('SELECT 42 AS still')).rows).toEqual([{ still: 42 }]);
  await good.end();
});

test('psql runs a script through the gateway with the same output as direct', async () => {
  const script = [
    'CREATE TEMP TABLE t (id int, v text);',
    "INSERT INTO t VALUES (1, 'a'), (2, 'b');",
    'SELECT * FROM t ORDER BY id;',
    '\\copy t FROM STDIN',
    '3\tc',
    '\\.',
    'SELECT count(*) FROM t;',
    'BEGIN; SELECT 1/0; ROLLBACK;',
    'SELECT 7 AS seven \\gset',
    '\\echo :seven',
  ].join('\n');
  const psql = async (port: number, user: string, password: string) => {
    const { stdout } = await run(
      'bash',
      [
        '-c',
        `printf '%s\\n' "$SCRIPT" | psql -X -q -A -h 127.0.0.1 -p ${port} -U ${user} -d postgres 2>&1 || true`,
      ],
      { env: { ...process.env, SCRIPT: script, PGPASSWORD: password, PGSSLMODE: 'prefer' } },
    );
    return stdout;
  };
  const direct = await psql(5432, 'postgres', '');
  const through = await psql(gw.port, 'agent', 'token');
  expect(through).toBe(direct);
  expect(through).toContain('division by zero');
  expect(through).toContain('\n7');
});
