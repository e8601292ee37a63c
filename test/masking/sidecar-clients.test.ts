// A PostgreSQL table full of personal data, read through `agentgate sidecar`
// (the real process, real policy file, real OpenID tokens) with masking on:
// psql, node-postgres in text format and node-postgres in binary format must
// each get masked values and never the originals.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type OidcHarness, startOidcProvider } from '../identity/oidc-harness.js';
import { admin, type UpstreamRoles, upstreamRoles } from '../postgres/pg-fixture.js';
import { RawClient } from '../postgres/raw-client.js';
import {
  freePort,
  oidcSidecarArgs,
  type PolicyFiles,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from '../sidecar/sidecar-process.js';

const run = promisify(execFile);
const TABLE = 'ag_masking_clients';
let roles: UpstreamRoles;
let oidc: OidcHarness;
let files: PolicyFiles;
let sidecar: SidecarProcess;
let port: number;
let token: string;

// Every value here is personal data a recognizer or a column rule must catch.
const PII = {
  email: 'ana.garcia@example.com',
  phone: '+44 20 7946 0958',
  ssn: '536-90-4399',
  card: '4111 1111 1111 1111',
  iban: 'DE89 3704 0044 0532 0130 00',
  ip: '192.168.10.77',
  note: 'ship to jan.novak@example.cz, card 5500 0000 0000 0004',
  password: 'hunter2-Correct-Horse',
};
const SECRETS = [
  PII.email,
  PII.phone,
  PII.ssn,
  PII.card,
  PII.iban,
  PII.ip,
  'jan.novak@example.cz',
  '5500 0000 0000 0004',
  PII.password,
];
const SELECT = `SELECT id, email, phone, ssn, card_number, iban, ip, note, password FROM ${TABLE}`;

function policy(): string {
  return `apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: support, namespace: shop}
spec:
  podSelector: {matchLabels: {app: support-agent}}
  subjects: [{group: ai-agents}]
  targets:
    - {name: orders-db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}
  rules:
    - {name: reads, match: {target: orders-db}, action: allow}
  masking:
    - {target: orders-db, columns: ['*.card_number'], strategy: partial, keep: 4}
    - {target: orders-db, columns: [password], strategy: 'null'}
    - {target: orders-db, entities: [EMAIL_ADDRESS, PHONE_NUMBER, US_SSN, CREDIT_CARD, IBAN_CODE, IP_ADDRESS, DATE_OF_BIRTH]}
  defaultAction: deny
`;
}

/** Asserts one masked row, whatever client decoded it, as strings (or null). */
function expectMasked(row: (string | null)[]): void {
  expect(row).toEqual([
    '1',
    '<EMAIL_ADDRESS>',
    '<PHONE_NUMBER>',
    '<US_SSN>',
    '**** **** **** 1111',
    '<IBAN_CODE>',
    '<IP_ADDRESS>',
    'ship to <EMAIL_ADDRESS>, card <CREDIT_CARD>',
    null,
  ]);
}

/** A node-postgres client of the agent's, through the sidecar; `binary` asks for binary results. */
async function agentClient(opts: { binary?: boolean } = {}): Promise<pg.Client> {
  // `binary` is a node-postgres option its type definitions leave out
  const config = { host: '127.0.0.1', port, user: 'agent', password: token, database: 'postgres', ...opts };
  const c = new pg.Client(config as pg.ClientConfig);
  await c.connect();
  return c;
}

beforeAll(async () => {
  roles = await upstreamRoles('maskclients');
  oidc = await startOidcProvider({ audience: 'agentgate' });
  files = policyFiles();
  port = await freePort();
  files.writePolicy(policy());
  files.writeCredentials('orders-db', roles.scram.username, roles.scram.password);
  await admin(`DROP TABLE IF EXISTS ${TABLE}`);
  await admin(`CREATE TABLE ${TABLE} (id int, email text, phone varchar(32), ssn text,
    card_number text, iban text, ip text, note text, password text)`);
  await admin(`INSERT INTO ${TABLE} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
    1,
    PII.email,
    PII.phone,
    PII.ssn,
    PII.card,
    PII.iban,
    PII.ip,
    PII.note,
    PII.password,
  ]);
  sidecar = await startSidecarProcess([
    ...oidcSidecarArgs(files, oidc.issuer),
    '--pod-labels',
    'app=support-agent',
  ]);
  token = await oidc.mintToken(['ai-agents']);
}, 60_000);

afterAll(async () => {
  await sidecar?.stop('SIGKILL');
  await oidc?.close();
  await admin(`DROP TABLE IF EXISTS ${TABLE}`);
  await roles?.cleanup();
});

test('the table read directly holds the personal data (the premise of the other tests)', async () => {
  const [row] = await admin<Record<string, string>>(`${SELECT}`);
  expect(row?.email).toBe(PII.email);
  expect(row?.card_number).toBe(PII.card);
});

test('psql gets every value masked, in aligned and unaligned output', async () => {
  const env = { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '10' };
  const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'agent', '-d', 'postgres', '-X'];
  const unaligned = await run('psql', [...args, '-At', '-F', '\t', '-P', 'null=NULL', '-c', SELECT], {
    env,
  });
  expect(unaligned.stdout.trimEnd().split('\t')).toEqual([
    '1',
    '<EMAIL_ADDRESS>',
    '<PHONE_NUMBER>',
    '<US_SSN>',
    '**** **** **** 1111',
    '<IBAN_CODE>',
    '<IP_ADDRESS>',
    'ship to <EMAIL_ADDRESS>, card <CREDIT_CARD>',
    'NULL',
  ]);
  const aligned = await run('psql', [...args, '-c', SELECT], { env });
  for (const secret of SECRETS) expect(aligned.stdout).not.toContain(secret);
  expect(aligned.stdout).toContain('(1 row)');
});

test('node-postgres in text format (simple and extended protocol) gets every value masked', async () => {
  const c = await agentClient();
  try {
    const simple = await c.query<(string | null)[]>({ text: SELECT, rowMode: 'array' });
    expect(simple.fields.every((f) => f.format === 'text')).toBe(true);
    expectMasked(simple.rows[0]!.map((v) => (v === null ? null : String(v))));
    const extended = await c.query<(string | null)[]>({
      text: `${SELECT} WHERE id = $1`,
      values: [1],
      rowMode: 'array',
    });
    expectMasked(extended.rows[0]!.map((v) => (v === null ? null : String(v))));
  } finally {
    await c.end();
  }
});

async function binaryRow(through: number, user: string, password: string): Promise<unknown[]> {
  // `binary` is a node-postgres option its type definitions leave out
  const config = { host: '127.0.0.1', port: through, user, password, database: 'postgres', binary: true };
  const c = new pg.Client(config as pg.ClientConfig);
  await c.connect();
  try {
    // binary results need the extended protocol: a parameter makes node-postgres use it
    const r = await c.query<unknown[]>({ text: `${SELECT} WHERE id = $1`, values: [1], rowMode: 'array' });
    expect(r.fields.every((f) => f.format === 'binary')).toBe(true);
    return r.rows[0]!;
  } finally {
    await c.end();
  }
}

test('node-postgres in binary format gets every text value masked and the rest as PostgreSQL sent it', async () => {
  const masked = await binaryRow(port, 'agent', token);
  const direct = await binaryRow(5432, roles.scram.username, roles.scram.password);
  // node-postgres 8 decodes binary int4 wrongly on its own; the sidecar must pass the same bytes through
  expect(masked[0]).toEqual(direct[0]);
  expectMasked(['1', ...masked.slice(1).map((v) => (v === null ? null : String(v)))]);
});

test('a binary column the engine cannot read is withheld, never sent unmasked', async () => {
  // date_of_birth arrives as a 4-byte binary date: masking it as text is impossible,
  // so the gateway fails the command instead of passing the original through.
  await admin(`ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS date_of_birth date`);
  await admin(`UPDATE ${TABLE} SET date_of_birth = '1984-02-29'`);
  const c = await agentClient({ binary: true });
  try {
    const text = await c.query({ text: `SELECT date_of_birth::text AS date_of_birth FROM ${TABLE}` });
    expect(text.rows).toEqual([{ date_of_birth: '<DATE_OF_BIRTH>' }]);
    await expect(
      c.query({ text: `SELECT date_of_birth FROM ${TABLE} WHERE id = $1`, values: [1] }),
    ).rejects.toThrow(/agentgate/);
    // the session goes on after the withheld row
    expect((await c.query({ text: 'SELECT $1::int AS one', values: [1] })).rows).toEqual([{ one: 1 }]);
  } finally {
    await c.end();
  }
});

test('a column renamed in the query is masked by its real name: column rules and name checks alike', async () => {
  await admin(`ALTER TABLE ${TABLE} ADD COLUMN IF NOT EXISTS date_of_birth date`);
  await admin(`UPDATE ${TABLE} SET date_of_birth = '1984-02-29'`);
  const c = await agentClient();
  try {
    for (const extended of [false, true]) {
      const r = await c.query<(string | null)[]>({
        text: `SELECT password AS p, card_number AS "Card", date_of_birth AS d, id AS password FROM ${TABLE}${extended ? ' WHERE id = $1' : ''}`,
        ...(extended ? { values: [1] } : {}),
        rowMode: 'array',
        // the values as the sidecar sent them: node-postgres would read '<DATE_OF_BIRTH>' as an invalid date
        types: { getTypeParser: () => (v: string) => v },
      });
      expect(r.fields.map((f) => f.name)).toEqual(['p', 'Card', 'd', 'password']);
      // password: the null rule; card_number: partial; a date of birth by its real name; and
      // a harmless column given a masked name is masked too (more, never less)
      expect(r.rows[0]).toEqual([null, '**** **** **** 1111', '<DATE_OF_BIRTH>', null]);
    }
  } finally {
    await c.end();
  }
});

test("the server's errors, notices and notifications do not echo masked values", async () => {
  const c = await agentClient();
  const notices: string[] = [];
  const notifications: string[] = [];
  c.on('notice', (n) => notices.push(JSON.stringify(n)));
  c.on('notification', (n) => notifications.push(JSON.stringify(n)));
  try {
    // a failed cast echoes the value it could not read
    const cast = await c.query(`SELECT email::int FROM ${TABLE}`).then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    expect(cast).toMatchObject({ code: '22P02' });
    // the policy has column rules too, so the quoted input of a data exception is blanked whole
    expect(cast!.message).toContain('"<MASKED>"');
    // RAISE with a message, a detail and a hint built from the table
    const raised = await c
      .query(
        `DO $$ DECLARE r record; BEGIN SELECT * INTO r FROM ${TABLE} LIMIT 1;
         RAISE NOTICE 'contact %', r.email USING DETAIL = 'phone ' || r.phone, HINT = r.iban;
         RAISE EXCEPTION 'card %', r.card_number USING DETAIL = r.note; END $$`,
      )
      .then(
        () => null,
        (e: pg.DatabaseError) => e,
      );
    expect(raised).toMatchObject({ code: 'P0001' });
    await c.query(`LISTEN ag_masking_channel`);
    await c.query(`SELECT pg_notify('ag_masking_channel', 'new signup ' || email) FROM ${TABLE}`);
    for (let i = 0; i < 50 && notifications.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const seen = JSON.stringify({
      cast: cast!.message,
      raised: { ...raised, message: raised!.message },
      notices,
      notifications,
    });
    for (const secret of SECRETS) expect(seen).not.toContain(secret);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('contact <EMAIL_ADDRESS>');
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toContain('new signup <EMAIL_ADDRESS>');
    // and the session goes on
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await c.end();
  }
});

test('a value only a column rule knows is blanked where the server quotes it back', async () => {
  await admin(`CREATE UNIQUE INDEX IF NOT EXISTS ${TABLE}_pw ON ${TABLE} (password)`);
  const c = await agentClient();
  try {
    const cast = await c.query(`SELECT password::int FROM ${TABLE}`).then(
      () => null,
      (e: pg.DatabaseError) => e,
    );
    expect(cast).toMatchObject({ code: '22P02', message: expect.stringContaining('"<MASKED>"') });
    const dup = await c
      .query(`INSERT INTO ${TABLE} (id, password) VALUES (2, (SELECT password FROM ${TABLE} WHERE id = 1))`)
      .then(
        () => null,
        (e: pg.DatabaseError) => e,
      );
    expect(dup).toMatchObject({ code: '23505', detail: expect.stringContaining('(password)=(<MASKED>)') });
    expect(JSON.stringify([cast, { ...dup, message: dup!.message }])).not.toContain(PII.password);
  } finally {
    await c.end();
    await admin(`DROP INDEX IF EXISTS ${TABLE}_pw`);
  }
});

test('a setting the agent fills from the table is reported masked, and a fast-path call under masking is withheld', async () => {
  const raw = new RawClient(port);
  try {
    await raw.login(token);
    const start = raw.messages.length;
    raw.query(`SELECT set_config('application_name', email, false) FROM ${TABLE}`);
    // ReadyForQuery messages may be one shared object: look for one past `start`
    await raw.until((m) => m.name === 'readyForQuery' && raw.messages.lastIndexOf(m) >= start);
    const reported = raw.messages.filter(
      (m) => m.name === 'parameterStatus' && m.parameter === 'application_name',
    );
    expect(reported.at(-1)).toMatchObject({ value: '<EMAIL_ADDRESS>' });
    // current_setting('application_name') by FunctionCall (OID 2077): a result with no column to mask by
    const arg = Buffer.from('application_name');
    const body = Buffer.alloc(4 + 2 + 2 + 2 + 4 + arg.length + 2);
    let o = body.writeInt32BE(2077, 0);
    o = body.writeInt16BE(1, o);
    o = body.writeInt16BE(0, o);
    o = body.writeInt16BE(1, o);
    o = body.writeInt32BE(arg.length, o);
    o += arg.copy(body, o);
    body.writeInt16BE(0, o);
    const head = Buffer.alloc(5);
    head[0] = 0x46; // F
    head.writeInt32BE(4 + body.length, 1);
    const before = raw.messages.length;
    raw.socket.write(Buffer.concat([head, body]));
    await raw.until((m) => m.name === 'readyForQuery' && raw.messages.lastIndexOf(m) >= before);
    const answer = raw.messages.slice(before);
    const err = answer.find((m) => m.name === 'error');
    expect(err?.name === 'error' ? err.fields.get(0x4d) : '').toMatch(
      /masking failed \(a FunctionCall result cannot be masked\)/,
    );
    expect(JSON.stringify(answer, (_k, v) => (v instanceof Map ? [...v] : v))).not.toContain(PII.email);
  } finally {
    raw.end();
  }
});

test('values inside records, arrays and text-search vectors are scanned too', async () => {
  // An agent need not select a column as it is: a ROW(), an array of names or
  // addresses, or a tsvector carries the same text under another type.
  const c = await agentClient();
  try {
    const r = await c.query<(string | null)[]>({
      text: `SELECT ROW(email, phone), ARRAY[ROW(iban)], ARRAY[email::name], ARRAY[ip::inet],
        to_tsvector('simple', note), ARRAY[ssn::"char"::text]::text[] FROM ${TABLE}`,
      rowMode: 'array',
    });
    expect(r.fields.map((f) => f.dataTypeID)).toEqual([2249, 2287, 1003, 1041, 3614, 1009]);
    const out = JSON.stringify(r.rows);
    for (const secret of SECRETS) expect(out).not.toContain(secret);
    expect(out).toContain('<EMAIL_ADDRESS>');
    expect(out).toContain('<IBAN_CODE>');
    expect(out).toContain('<IP_ADDRESS>');
  } finally {
    await c.end();
  }
});

test("the planner's statistics (pg_stats, anyarray) do not show sampled values", async () => {
  await admin(`DROP TABLE IF EXISTS ${TABLE}_stats`);
  await admin(`CREATE TABLE ${TABLE}_stats AS SELECT email FROM ${TABLE}, generate_series(1, 50)`);
  await admin(`INSERT INTO ${TABLE}_stats SELECT 'x' || g || '@example.org' FROM generate_series(1, 20) g`);
  await admin(`GRANT SELECT ON ${TABLE}_stats TO PUBLIC`);
  await admin(`ANALYZE ${TABLE}_stats`);
  const c = await agentClient();
  try {
    const r = await c.query<{ most_common_vals: string | null }>(
      `SELECT most_common_vals::text FROM pg_stats WHERE tablename = '${TABLE}_stats' AND attname = 'email'`,
    );
    const direct = await admin<{ v: string }>(
      `SELECT most_common_vals::text AS v FROM pg_stats WHERE tablename = '${TABLE}_stats' AND attname = 'email'`,
    );
    expect(direct[0]!.v).toContain(PII.email); // the premise: the statistics hold the address
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]!.most_common_vals).not.toContain(PII.email);
    expect(r.rows[0]!.most_common_vals).toContain('<EMAIL_ADDRESS>');
    // and as the anyarray it is, not cast to text
    const raw = await c.query(
      `SELECT most_common_vals FROM pg_stats WHERE tablename = '${TABLE}_stats' AND attname = 'email'`,
    );
    expect(raw.fields[0]!.dataTypeID).toBe(2277);
    expect(JSON.stringify(raw.rows)).not.toContain(PII.email);
  } finally {
    await c.end();
    await admin(`DROP TABLE IF EXISTS ${TABLE}_stats`);
  }
});

test('binary arrays and records (asyncpg, pgx) have their text masked; what cannot be read is withheld', async () => {
  const c = await agentClient({ binary: true });
  try {
    const arr = await c.query({
      text: `SELECT ARRAY[email, 'plain'] AS emails, ARRAY[password] AS password FROM ${TABLE} WHERE id = $1`,
      values: [1],
    });
    expect(arr.fields.map((f) => [f.dataTypeID, f.format])).toEqual([
      [1009, 'binary'],
      [1009, 'binary'],
    ]);
    // a content recognizer per element; a column rule (password: null) element by element
    // (node-postgres reads a NULL element of a binary array as garbage: test/postgres/binary-values.test.ts
    // holds the bytes against PostgreSQL's own)
    expect(arr.rows[0].emails).toEqual(['<EMAIL_ADDRESS>', 'plain']);
    expect(JSON.stringify(arr.rows)).not.toContain(PII.password);
    // node-postgres has no binary record parser: the raw bytes must hold no secret
    const rec = await c.query({
      text: `SELECT ROW(email, phone, id) AS r FROM ${TABLE} WHERE id = $1`,
      values: [1],
      types: { getTypeParser: () => (v: Buffer | string) => v },
    });
    const bytes = Buffer.from(rec.rows[0].r as Buffer);
    for (const secret of SECRETS) expect(bytes.includes(Buffer.from(secret))).toBe(false);
    expect(bytes.includes(Buffer.from('<EMAIL_ADDRESS>'))).toBe(true);
    await expect(
      c.query({ text: `SELECT array_agg(ip::inet) FROM ${TABLE} WHERE id = $1`, values: [1] }),
    ).rejects.toThrow(/agentgate: result withheld: masking failed/);
    expect((await c.query({ text: 'SELECT $1::int AS one', values: [1] })).rows).toEqual([{ one: 1 }]);
  } finally {
    await c.end();
  }
});

describe('the hash strategy through the sidecar', () => {
  const hashPolicy = (p: number): string =>
    policy()
      .replace(`localPort: ${port}`, `localPort: ${p}`)
      .replace(
        'masking:\n',
        'masking:\n    - {target: orders-db, entities: [EMAIL_ADDRESS], strategy: hash}\n',
      );

  async function emailHash(keyFile: string): Promise<string> {
    const p = await freePort();
    const f = policyFiles();
    f.writePolicy(hashPolicy(p));
    f.writeCredentials('orders-db', roles.scram.username, roles.scram.password);
    const s = await startSidecarProcess([
      ...oidcSidecarArgs(f, oidc.issuer),
      '--pod-labels',
      'app=support-agent',
      '--hash-key-file',
      keyFile,
    ]);
    try {
      const c = new pg.Client({
        host: '127.0.0.1',
        port: p,
        user: 'agent',
        password: token,
        database: 'postgres',
      });
      await c.connect();
      try {
        const r = await c.query<{ email: string }>(`SELECT email FROM ${TABLE}`);
        return r.rows[0]!.email;
      } finally {
        await c.end();
      }
    } finally {
      await s.stop();
    }
  }

  test('is stable across sidecar restarts with the same --hash-key-file, and differs under another key', async () => {
    const one = join(files.dir, 'hash-key-1');
    const two = join(files.dir, 'hash-key-2');
    writeFileSync(one, randomBytes(32));
    writeFileSync(two, randomBytes(32));
    const first = await emailHash(one);
    expect(first).toMatch(/^<EMAIL_ADDRESS:[0-9a-f]{16}>$/);
    expect(await emailHash(one)).toBe(first);
    expect(await emailHash(two)).not.toBe(first);
  }, 60_000);
});
