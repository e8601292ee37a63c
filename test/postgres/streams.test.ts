// Cursors, COPY both ways, notices, notifications, cancel requests and
// pipelines through the gateway, with real clients against the real server.

import { connect } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { cancelRequest, execute } from '../../sidecar/protocols/postgres/serializer.js';
import { allowAll, type Gateway, startGateway } from './gateway-harness.js';
import { admin, type UpstreamRoles, upstreamRoles } from './pg-fixture.js';
import { RawClient } from './raw-client.js';

let roles: UpstreamRoles;
let gw: Gateway;

async function client(): Promise<pg.Client> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: gw.port,
    user: 'agent',
    password: 'tok',
    database: 'postgres',
  });
  await c.connect();
  return c;
}

beforeAll(async () => {
  roles = await upstreamRoles('streams');
  gw = await startGateway({ credentials: roles.scram });
  await admin('DROP TABLE IF EXISTS ag_streams_t');
  await admin('CREATE TABLE ag_streams_t (id int, v text)');
});

afterAll(async () => {
  await gw.close();
  await admin('DROP TABLE IF EXISTS ag_streams_t');
  await roles.cleanup();
});

beforeEach(() => {
  gw.decide = allowAll;
});

test('reads a result in batches through a cursor', async () => {
  const c = await client();
  const cursor = c.query(new Cursor('SELECT g AS n FROM generate_series(1, 250) g'));
  const seen: number[] = [];
  for (;;) {
    const rows = await cursor.read(100);
    if (rows.length === 0) break;
    seen.push(rows.length);
  }
  expect(seen).toEqual([100, 100, 50]);
  await cursor.close();
  await c.end();
});

test('COPY FROM STDIN and COPY TO STDOUT pass through intact', async () => {
  const c = await client();
  const lines = Array.from({ length: 1000 }, (_, i) => `${i}\tvalue ${i} ✓\n`).join('');
  await pipeline(Readable.from([Buffer.from(lines)]), c.query(copyFrom('COPY ag_streams_t FROM STDIN')));
  const chunks: Buffer[] = [];
  await pipeline(
    c.query(copyTo('COPY (SELECT * FROM ag_streams_t ORDER BY id) TO STDOUT')),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  );
  expect(Buffer.concat(chunks).toString()).toBe(lines);
  await c.end();
});

test('notices and notifications reach the agent', async () => {
  const c = await client();
  const notices: string[] = [];
  c.on('notice', (n) => notices.push(n.message ?? ''));
  const notified = new Promise<string>((resolve) => c.on('notification', (n) => resolve(n.payload ?? '')));
  await c.query("DO $$BEGIN RAISE NOTICE 'hello from plpgsql'; END$$");
  await c.query('LISTEN ag_streams_chan');
  await admin("NOTIFY ag_streams_chan, 'payload-1'");
  expect(await notified).toBe('payload-1');
  expect(notices).toContain('hello from plpgsql');
  await c.end();
});

test('a CancelRequest with the key the agent saw cancels the running query upstream', async () => {
  const c = await client();
  const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
  const upstreamPid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  expect(processID).not.toBe(upstreamPid);
  const running = c.query('SELECT pg_sleep(30)');
  await new Promise((r) => setTimeout(r, 200));
  const s = connect({ host: '127.0.0.1', port: gw.port });
  s.end(cancelRequest(processID, secretKey));
  await expect(running).rejects.toMatchObject({ code: '57014' });
  expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  await c.end();
});

test('a pipeline with a denied statement in the middle answers every query in order', async () => {
  gw.decide = (cmd) =>
    cmd.classification.operations.includes('DELETE')
      ? { action: 'deny', policy: 'test/p', rule: 'no-delete', reason: 'no', masking: [] }
      : { action: 'allow', policy: 'test/p', rule: 'ok', reason: 'ok', masking: [] };
  const c = await client();
  // node-postgres queues these; each is Parse/Bind/Describe/Execute/Sync, sent back to back.
  const results = await Promise.allSettled([
    c.query({ text: 'SELECT $1::int AS a', values: [1] }),
    c.query({ text: 'DELETE FROM ag_streams_t WHERE id = $1', values: [1] }),
    c.query({ text: 'SELECT $1::int AS b', values: [2] }),
    c.query('SELECT 3 AS c'),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  expect((results[2] as PromiseFulfilledResult<pg.QueryResult>).value.rows).toEqual([{ b: 2 }]);
  expect((results[3] as PromiseFulfilledResult<pg.QueryResult>).value.rows).toEqual([{ c: 3 }]);
  await c.end();
});

test('masks DataRow values per column and rebuilds lengths', async () => {
  const masked = await startGateway({
    credentials: roles.scram,
    decide: () => ({
      action: 'allow',
      policy: 'test/p',
      rule: 'r',
      reason: '',
      masking: [{ columns: ['email'] }],
    }),
    masker: () => ({
      forColumns: (cols) => {
        let n = 0;
        return {
          active: cols.some((c) => c.name === 'email'),
          masks: (i) => cols[i]?.name === 'email',
          whole: (i) => cols[i]?.name === 'email',
          mask: (_i, v) => {
            n++;
            return v.includes('@') ? '<EMAIL_ADDRESS>' : v;
          },
          counts: () => ({ EMAIL_ADDRESS: n }),
        };
      },
      maskText: (t) => t.replace(/\S+@\S+/g, '<EMAIL_ADDRESS>'),
      hasColumnRules: true,
    }),
  });
  const c = new pg.Client({
    host: '127.0.0.1',
    port: masked.port,
    user: 'a',
    password: 't',
    database: 'postgres',
  });
  await c.connect();
  const simple = await c.query("SELECT 1 AS id, 'ann@example.com' AS email, 'ann@example.com' AS other");
  expect(simple.rows).toEqual([{ id: 1, email: '<EMAIL_ADDRESS>', other: 'ann@example.com' }]);
  const extended = await c.query({
    text: 'SELECT $1::text AS email, NULL::text AS n',
    values: ['bo@example.com'],
  });
  expect(extended.rows).toEqual([{ email: '<EMAIL_ADDRESS>', n: null }]);
  const binaryQuery: pg.QueryConfig & { binary: boolean } = {
    text: "SELECT 'x@y.z'::varchar AS email",
    values: [],
    binary: true,
  };
  const binary = await c.query(binaryQuery);
  expect(String(binary.rows[0].email)).toBe('<EMAIL_ADDRESS>');
  expect(masked.commands.at(-1)?.masked).toEqual({ EMAIL_ADDRESS: 1 });
  await c.end();
  await masked.close();
});

test('a row whose masking fails never reaches the agent; the command fails and the session goes on', async () => {
  const failing = await startGateway({
    credentials: roles.scram,
    decide: () => ({
      action: 'allow',
      policy: 'test/p',
      rule: 'r',
      reason: '',
      masking: [{ columns: ['secret'] }],
    }),
    masker: () => ({
      forColumns: () => ({
        active: true,
        masks: (i) => i === 1,
        whole: (i) => i === 1,
        mask: (_i, v) => {
          if (v === 'boom') throw new Error('recognizer crashed');
          return v;
        },
        counts: () => ({}),
      }),
      maskText: (t) => t,
      hasColumnRules: true,
    }),
  });
  const c = new pg.Client({
    host: '127.0.0.1',
    port: failing.port,
    user: 'a',
    password: 't',
    database: 'postgres',
  });
  await c.connect();
  const q = "SELECT * FROM (VALUES (1, 'fine'), (2, 'boom'), (3, 'never')) v(id, secret)";
  await expect(c.query(q)).rejects.toMatchObject({
    code: '58000',
    message: expect.stringMatching(/^agentgate: result withheld/),
  });
  await expect(c.query({ text: q, values: [] })).rejects.toMatchObject({ code: '58000' });
  expect((await c.query("SELECT 'ok' AS secret, 1 AS x")).rows).toEqual([{ secret: 'ok', x: 1 }]);
  await c.end();
  await failing.close();
});

test('an Execute of a portal never bound through the protocol (a DECLAREd cursor) is decided as UNKNOWN', async () => {
  gw.decide = (cmd) =>
    cmd.classification.operations.includes('UNKNOWN')
      ? { action: 'deny', policy: 'test/p', rule: 'no-unknown', reason: 'unknown', masking: [] }
      : { action: 'allow', policy: 'test/p', rule: 'ok', reason: 'ok', masking: [] };
  const c = new RawClient(gw.port);
  await c.login();
  c.query('BEGIN; DECLARE agc CURSOR FOR SELECT 1');
  await c.until(
    (m) => m.name === 'readyForQuery' && c.messages.filter((x) => x.name === 'readyForQuery').length === 2,
  );
  c.socket.write(Buffer.concat([execute('agc', 0), Buffer.from([0x53, 0, 0, 0, 4])]));
  const err = await c.until((m) => m.name === 'error');
  expect(err?.name === 'error' && err.fields.get(0x4d)).toMatch(/rule no-unknown/);
  c.end();
});

test('while audit has no room the session reads nothing more from the agent, then goes on', async () => {
  let open!: () => void;
  let blocked = false;
  const gated = await startGateway({
    credentials: roles.scram,
    auditGate: () => (blocked ? new Promise<void>((r) => (open = r)) : null),
  });
  const c = new pg.Client({
    host: '127.0.0.1',
    port: gated.port,
    user: 'a',
    password: 't',
    database: 'postgres',
  });
  await c.connect();
  blocked = true;
  let done = false;
  const q = c.query('SELECT 5 AS five').then((r) => {
    done = true;
    return r.rows;
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(done).toBe(false);
  expect(gated.commands).toHaveLength(0);
  blocked = false;
  open();
  expect(await q).toEqual([{ five: 5 }]);
  await c.end();
  await gated.close();
});

test('with standard_conforming_strings off, a backslash in a string makes the statement UNKNOWN', async () => {
  gw.decide = (cmd) =>
    cmd.classification.operations.includes('UNKNOWN')
      ? { action: 'deny', policy: 'test/p', rule: 'no-unknown', reason: 'unknown', masking: [] }
      : { action: 'allow', policy: 'test/p', rule: 'ok', reason: 'ok', masking: [] };
  const c = await client();
  expect((await c.query("SELECT 'a\\b' AS v")).rows).toEqual([{ v: 'a\\b' }]);
  await c.query('SET standard_conforming_strings = off');
  await expect(c.query("SELECT 'a\\b' AS v")).rejects.toMatchObject({ code: '42501' });
  await c.query('SET standard_conforming_strings = on');
  expect((await c.query("SELECT 'a\\b' AS v")).rows).toEqual([{ v: 'a\\b' }]);
  await c.end();
});
