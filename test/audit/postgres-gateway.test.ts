// End to end: node-postgres through the PostgreSQL gateway against the machine's
// PostgreSQL, audited by the real sink into a loopback OTLP receiver. The agent
// authenticates with a token, the gateway logs in upstream with a password the
// agent never sees, results carry e-mail addresses that policy masks; none of the
// three may appear anywhere in the exported bytes.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { MaskingRule, Target } from '../../api/types.js';
import { agError } from '../../common/errors.js';
import { createAuditSink, type DurableAuditSink } from '../../sidecar/audit/sink.js';
import { compileMasking, loadSqlScanner, maskSqlLiterals } from '../../sidecar/masking/index.js';
import { classifyPostgres, initClassifiers } from '../../sidecar/policy/classify/postgres.js';
import type { Decision } from '../../sidecar/policy/decision.js';
import {
  type GatewayContext,
  NOOP_METRICS,
  type ResultMasker,
} from '../../sidecar/protocols/gateway-context.js';
import { CancelRegistry } from '../../sidecar/protocols/postgres/cancel.js';
import { PgSession } from '../../sidecar/protocols/postgres/session.js';
import { admin, type UpstreamRoles, upstreamRoles } from '../postgres/pg-fixture.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const TOKEN = `eyJhbGciOiJFUzI1NiJ9.${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
const BAD_TOKEN = `eyJhbGciOiJFUzI1NiJ9.${randomBytes(24).toString('base64url')}.bad`;
const EMAILS = ['carol.secret@example.com', 'dave.hidden@example.org'];
const MASKING: MaskingRule[] = [{ target: 'orders-db', entities: ['EMAIL_ADDRESS'] }];

function masker(rules: readonly MaskingRule[]): ResultMasker | null {
  const m = compileMasking(rules, { hashKey: Buffer.from('k'), target: 'orders-db' });
  if (m === null) return null;
  return {
    forColumns(cols) {
      const rm = m.forColumns(cols.map((c) => ({ name: c.name, textual: c.textual })));
      return {
        active: rm.active,
        masks: (i) => rm.plans[i] !== 0,
        whole: (i) => rm.plans[i] === 1,
        mask: (i, v) => rm.mask(i, v),
        counts: () => rm.counts.toRecord(),
      };
    },
    maskText: (t) => m.maskText(t),
    hasColumnRules: m.hasColumnRules,
  };
}

function decide(ops: readonly string[]): Decision {
  return ops.includes('DROP')
    ? { action: 'deny', policy: 'shop/support-agent', rule: 'no-ddl', reason: 'DROP', masking: MASKING }
    : { action: 'allow', policy: 'shop/support-agent', rule: 'reads', reason: 'ok', masking: MASKING };
}

let roles: UpstreamRoles;
let receiver: OtlpReceiver;
let sink: DurableAuditSink;
let server: Server;
let port = 0;
let dir: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  await initClassifiers();
  await loadSqlScanner();
  roles = await upstreamRoles('audit');
  await admin('DROP TABLE IF EXISTS ag_audit_t');
  await admin('CREATE TABLE ag_audit_t (id int primary key, email text, note text)');
  await admin(`INSERT INTO ag_audit_t VALUES (1, '${EMAILS[0]}', 'first'), (2, '${EMAILS[1]}', 'second')`);
  dir = mkdtempSync(join(tmpdir(), 'ag-audit-pg-'));
  receiver = new OtlpReceiver();
  await receiver.start(0);
  sink = createAuditSink({
    otlpEndpoint: receiver.endpoint,
    spoolDir: dir,
    resource: { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'support-agent-0' },
  });
  const target: Target = { name: 'orders-db', protocol: 'postgres', address: '127.0.0.1:5432' };
  const ctx: GatewayContext = {
    namespace: 'shop',
    podName: 'support-agent-0',
    authenticate: async ({ token }) => {
      if (token !== TOKEN) throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'signature does not verify');
      return { kind: 'token', subject: 'agent-7', groups: ['ai-agents'], issuer: 'https://issuer.test' };
    },
    classify: (_p, text) => classifyPostgres(text),
    decide: (cmd) => decide(cmd.classification.operations),
    masker: (_t, rules) => masker(rules),
    credentials: () => roles.scram,
    caCertificate: () => undefined,
    auditText: (_p, text) => maskSqlLiterals(text),
    audit: sink,
    metrics: NOOP_METRICS,
  };
  const cancels = new CancelRegistry();
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new PgSession({
      ctx,
      target,
      agent: socket,
      sessionId: randomBytes(16).toString('hex'),
      cancels,
      serverAddress: '127.0.0.1',
      serverPort: port,
    }).start();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await sink.close();
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
  await admin('DROP TABLE IF EXISTS ag_audit_t');
  await roles.cleanup();
});

async function sessionSpans(pred: (root: ReceivedSpan) => boolean): Promise<ReceivedSpan[]> {
  for (;;) {
    const root = receiver.spans.find((s) => s.name === 'agentgate.session' && pred(s));
    if (root !== undefined) return receiver.spans.filter((s) => s.traceId === root.traceId);
    await receiver.waitForSpans(receiver.spans.length + 1);
  }
}

test('a session through the gateway exports exactly its session span and one span per command, with no secret in the bytes', async () => {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: TOKEN, database: 'postgres' });
  await c.connect();
  const r = await c.query(
    `SELECT id, email FROM ag_audit_t WHERE email = '${EMAILS[0]}' OR id = 2 ORDER BY id`,
  );
  expect(r.rows).toEqual([
    { id: 1, email: '<EMAIL_ADDRESS>' },
    { id: 2, email: '<EMAIL_ADDRESS>' },
  ]);
  await expect(c.query('DROP TABLE ag_audit_t')).rejects.toMatchObject({ code: '42501' });
  await c.end();

  const bad = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'agent',
    password: BAD_TOKEN,
    database: 'postgres',
  });
  await expect(bad.connect()).rejects.toMatchObject({ code: '28000' });
  await bad.end().catch(() => {});

  const spans = await sessionSpans((s) => s.attributes['agentgate.auth.result'] === 'ok');
  const root = spans.find((s) => s.name === 'agentgate.session')!;
  const commands = spans
    .filter((s) => s.name === 'agentgate.command')
    .sort(
      (a, b) => Number(a.attributes['agentgate.command.seq']) - Number(b.attributes['agentgate.command.seq']),
    );
  expect(spans).toHaveLength(3);
  expect(root.attributes).toMatchObject({
    'agentgate.protocol': 'postgres',
    'agentgate.target': 'orders-db',
    'db.system.name': 'postgresql',
    'enduser.id': 'agent-7',
    'agentgate.identity.groups': ['ai-agents'],
    'k8s.namespace.name': 'shop',
    'k8s.pod.name': 'support-agent-0',
    'agentgate.auth.result': 'ok',
    'agentgate.chain.length': 2,
  });
  expect(commands.map((c) => c.attributes['agentgate.decision'])).toEqual(['allow', 'deny']);
  expect(commands[0]!.attributes).toMatchObject({
    'db.operation.name': 'SELECT',
    'db.collection.name': 'ag_audit_t',
    'agentgate.rule': 'reads',
    'agentgate.rows': 2,
    'agentgate.masked.count': 2,
    'agentgate.masked.email_address': 2,
  });
  expect(String(commands[0]!.attributes['db.query.text'])).toMatch(
    /^SELECT id, email FROM ag_audit_t WHERE email = /,
  );
  expect(commands[1]!.attributes).toMatchObject({ 'db.operation.name': 'DROP', 'agentgate.rule': 'no-ddl' });

  const refused = await sessionSpans((s) => s.attributes['agentgate.auth.result'] === 'refused');
  expect(refused).toHaveLength(1);
  expect(refused[0]!.attributes).toMatchObject({ 'agentgate.auth.error.code': 'AG_ERR_AUTH_TOKEN_INVALID' });

  const bytes = receiver.allBytes();
  for (const secret of [TOKEN, BAD_TOKEN, roles.scram.password, ...EMAILS]) {
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
  }
});

test('an error that echoes a masked value is recorded masked, as the agent got it', async () => {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: TOKEN, database: 'postgres' });
  await c.connect();
  await expect(c.query('SELECT email::int FROM ag_audit_t WHERE id = 1')).rejects.toMatchObject({
    code: '22P02',
    message: expect.stringContaining('<EMAIL_ADDRESS>'),
  });
  await c.end();
  const spans = await sessionSpans((s) =>
    receiver.spans.some(
      (x) =>
        x.traceId === s.traceId &&
        x.attributes['db.query.text'] === 'SELECT email::int FROM ag_audit_t WHERE id = ?',
    ),
  );
  const cmd = spans.find((s) => s.name === 'agentgate.command')!;
  expect(cmd.attributes).toMatchObject({ 'error.type': '22P02' });
  expect(String(cmd.attributes['agentgate.error'])).toContain('<EMAIL_ADDRESS>');
  expect(receiver.allBytes().includes(Buffer.from(EMAILS[0]!))).toBe(false);
});

test("a sqlcommenter traceparent links the command span to the agent's trace, through the gateway", async () => {
  const agentTrace = randomBytes(16).toString('hex');
  const agentSpan = randomBytes(8).toString('hex');
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: TOKEN, database: 'postgres' });
  await c.connect();
  // sqlcommenter URL-encodes values; the simple and the extended protocol both carry it
  const comment = `/*action='lookup',traceparent='00-${agentTrace}-${agentSpan}-01'*/`;
  await c.query(`SELECT note FROM ag_audit_t WHERE id = 1 ${comment}`);
  await c.query({ text: `SELECT note FROM ag_audit_t WHERE id = $1 ${comment}`, values: [2] });
  await c.query('SELECT 1');
  await c.end();

  const spans = await sessionSpans(
    (s) => s.attributes['agentgate.auth.result'] === 'ok' && s.attributes['agentgate.session.commands'] === 3,
  );
  const commands = spans
    .filter((s) => s.name === 'agentgate.command')
    .sort(
      (x, y) => Number(x.attributes['agentgate.command.seq']) - Number(y.attributes['agentgate.command.seq']),
    );
  expect(commands).toHaveLength(3);
  for (const linked of commands.slice(0, 2)) {
    expect(linked.links).toEqual([
      { traceId: agentTrace, spanId: agentSpan, attributes: { 'agentgate.link.source': 'traceparent' } },
    ]);
    // the command span stays in the session's trace; the link points at the agent's
    expect(linked.traceId).not.toBe(agentTrace);
  }
  expect(commands[2]!.links).toEqual([]);
});
