// `agentgate sidecar` as a process: real flags, policy files, credential files,
// tokens from a real OpenID provider, node-postgres and pgbench as clients.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { groupSessions, loadSpans } from '../../sidecar/audit/session-store.js';
import { type OidcHarness, startOidcProvider } from '../identity/oidc-harness.js';
import { admin, type UpstreamRoles, upstreamRoles } from '../postgres/pg-fixture.js';
import {
  freePort,
  oidcSidecarArgs,
  type PolicyFiles,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from './sidecar-process.js';

const run = promisify(execFile);
let roles: UpstreamRoles;
let oidc: OidcHarness;
let files: PolicyFiles;
let sidecar: SidecarProcess;
let port: number;

function policy(extraRules = ''): string {
  return `apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: support, namespace: shop}
spec:
  podSelector: {matchLabels: {app: support-agent}}
  subjects: [{group: ai-agents}]
  targets:
    - {name: orders-db, protocol: postgres, address: 127.0.0.1:5432, localPort: ${port}}
  rules:
${extraRules}    - {name: no-ddl, match: {target: orders-db, operations: [DROP, TRUNCATE, ALTER]}, action: deny}
    - {name: writes-need-approval, match: {target: orders-db, operations: [DELETE]}, action: review, review: {approvers: [{group: dba}]}}
    - {name: everything-else, match: {target: orders-db}, action: allow}
  masking:
    - {target: orders-db, entities: [EMAIL_ADDRESS]}
  defaultAction: deny
`;
}

async function connect(token: string): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: token, database: 'postgres' });
  await c.connect();
  return c;
}

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${sidecar.adminPort}/metrics`)).text();
}

beforeAll(async () => {
  roles = await upstreamRoles('sidecar');
  oidc = await startOidcProvider({ audience: 'agentgate' });
  files = policyFiles();
  port = await freePort();
  files.writePolicy(policy());
  files.writeCredentials('orders-db', roles.scram.username, roles.scram.password);
  await admin('DROP TABLE IF EXISTS ag_sidecar_customers');
  await admin('CREATE TABLE ag_sidecar_customers (id int, email text)');
  await admin("INSERT INTO ag_sidecar_customers VALUES (1, 'ann@example.com'), (2, 'bob@example.org')");
  sidecar = await startSidecarProcess([
    ...oidcSidecarArgs(files, oidc.issuer),
    '--pod-labels',
    'app=support-agent',
    '--drain-seconds',
    '5',
    '--spool-dir',
    join(files.dir, 'spool'),
  ]);
}, 60_000);

afterAll(async () => {
  await sidecar?.stop('SIGKILL');
  await oidc?.close();
  await admin('DROP TABLE IF EXISTS ag_sidecar_customers');
  await roles?.cleanup();
});

test('is live and ready once policies and issuer keys are loaded, and serves Prometheus metrics', async () => {
  expect((await fetch(`http://127.0.0.1:${sidecar.adminPort}/healthz/live`)).status).toBe(200);
  expect((await fetch(`http://127.0.0.1:${sidecar.adminPort}/healthz/ready`)).status).toBe(200);
  expect(await metrics()).toContain('agentgate_sessions_total');
});

test('an agent with a token of an allowed group queries, gets e-mails masked, and is denied DROP and DELETE', async () => {
  const c = await connect(await oidc.mintToken(['ai-agents']));
  const rows = (await c.query('SELECT id, email FROM ag_sidecar_customers ORDER BY id')).rows;
  expect(rows).toEqual([
    { id: 1, email: '<EMAIL_ADDRESS>' },
    { id: 2, email: '<EMAIL_ADDRESS>' },
  ]);
  await expect(c.query('DROP TABLE ag_sidecar_customers')).rejects.toMatchObject({
    code: '42501',
    message: expect.stringMatching(/^agentgate: denied by policy shop\/support rule no-ddl/),
  });
  await expect(c.query('DELETE FROM ag_sidecar_customers')).rejects.toMatchObject({
    message: expect.stringMatching(
      /^agentgate: approval required by policy shop\/support rule writes-need-approval/,
    ),
  });
  await c.end();
  const m = await metrics();
  expect(m).toMatch(/agentgate_commands_total\{protocol="postgres",decision="deny"\} [1-9]/);
  expect(m).toMatch(/agentgate_masked_values_total [1-9]/);
});

test("the audit trail names the target's address and port, not the listener the agent dialled", async () => {
  const c = await connect(await oidc.mintToken(['ai-agents']));
  await c.query('SELECT current_database()');
  await c.end();
  const spoolDir = join(files.dir, 'spool');
  let root: Record<string, unknown> | undefined;
  for (let i = 0; i < 100 && root === undefined; i++) {
    await sleep(50);
    const ended = groupSessions(loadSpans(spoolDir)).filter(
      (s) =>
        s.root !== undefined &&
        s.commands.some((x) => x.attributes['db.query.text'] === 'SELECT current_database()'),
    );
    root = ended.at(-1)?.root?.attributes;
    if (root !== undefined) {
      const cmd = ended
        .at(-1)!
        .commands.find((x) => x.attributes['db.query.text'] === 'SELECT current_database()')!;
      expect(cmd.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': 5432 });
    }
  }
  expect(root).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': 5432 });
});

test('a second sidecar on the same admin port stops with a clear error, and the first keeps serving', async () => {
  const other = startSidecarProcess([
    ...oidcSidecarArgs(files, oidc.issuer),
    '--admin',
    `127.0.0.1:${sidecar.adminPort}`,
    '--no-transparent',
  ]);
  const err = await other.then(
    () => new Error('the second sidecar started'),
    (e: Error) => e,
  );
  expect(err.message).toMatch(
    new RegExp(
      `cannot listen on 127\\.0\\.0\\.1:${sidecar.adminPort} for the admin server \\(--admin\\): the address is in use`,
    ),
  );
  expect(err.message).not.toMatch(/\n\s+at /); // no stack trace for a configuration error
  expect(await metrics()).toContain('agentgate_sessions_total');
});

test('a token of another group is denied by default; a forged token never authenticates', async () => {
  const other = await connect(await oidc.mintToken(['interns']));
  await expect(other.query('SELECT 1')).rejects.toMatchObject({ code: '42501' });
  await other.end();
  await expect(connect('not-a-jwt')).rejects.toMatchObject({ code: '28000' });
  await expect(connect('')).rejects.toMatchObject({ code: '28000' });
});

test('a policy change applies to open sessions from their next command', async () => {
  const c = await connect(await oidc.mintToken(['ai-agents']));
  expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  files.writePolicy(
    policy('    - {name: no-reads-now, match: {target: orders-db, operations: [SELECT]}, action: deny}\n'),
  );
  let denied = false;
  for (let i = 0; i < 100 && !denied; i++) {
    await new Promise((r) => setTimeout(r, 50));
    denied = await c.query('SELECT 1').then(
      () => false,
      (e: { code?: string }) => e.code === '42501',
    );
  }
  expect(denied).toBe(true);
  files.writePolicy(policy());
  let allowed = false;
  for (let i = 0; i < 100 && !allowed; i++) {
    await new Promise((r) => setTimeout(r, 50));
    allowed = await c.query('SELECT 1').then(
      () => true,
      () => false,
    );
  }
  expect(allowed).toBe(true);
  await c.end();
});

test('credentials are re-read when their files change', async () => {
  files.writeCredentials('orders-db', roles.md5.username, roles.md5.password);
  let user = '';
  for (let i = 0; i < 100 && user !== roles.md5.username; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const c = await connect(await oidc.mintToken(['ai-agents']));
    user = (await c.query('SELECT current_user AS u')).rows[0].u as string;
    await c.end();
  }
  expect(user).toBe(roles.md5.username);
  files.writeCredentials('orders-db', roles.scram.username, roles.scram.password);
});

test('pgbench -M simple, extended and prepared run through the sidecar without failures', async () => {
  const token = await oidc.mintToken(['ai-agents'], { expiresIn: 600 });
  const env = {
    ...process.env,
    PGPASSWORD: token,
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: 'agent',
  };
  // Initializing drops and creates tables, which this policy rightly denies: do it directly.
  await run('pgbench', [
    '-i',
    '-s',
    '1',
    '-q',
    '-h',
    '127.0.0.1',
    '-p',
    '5432',
    '-U',
    'postgres',
    'postgres',
  ]);
  for (const mode of ['simple', 'extended', 'prepared']) {
    const { stdout } = await run('pgbench', ['-M', mode, '-c', '2', '-t', '50', '-n', 'postgres'], { env });
    expect(stdout).toContain('number of transactions actually processed: 100/100');
    expect(stdout).toMatch(/number of failed transactions: 0/);
  }
  const direct = await admin<{ n: string }>('SELECT count(*) AS n FROM pgbench_history');
  expect(Number(direct[0]?.n)).toBe(300);
  await admin('DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers');
}, 120_000);

test('SIGTERM lets a running command finish, refuses new connections and exits 0', async () => {
  const c = await connect(await oidc.mintToken(['ai-agents']));
  c.on('error', () => {});
  const running = c.query('SELECT pg_sleep(1), 42 AS answer');
  await new Promise((r) => setTimeout(r, 200));
  const exited = sidecar.stop('SIGTERM');
  await expect(running).resolves.toMatchObject({ rows: [{ pg_sleep: '', answer: 42 }] });
  await expect(connect(await oidc.mintToken(['ai-agents']))).rejects.toThrow();
  expect(await exited).toBe(0);
}, 30_000);
