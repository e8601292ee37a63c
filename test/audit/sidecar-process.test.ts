// Audit end to end through `agentgate sidecar` as a process: node-postgres with
// a real OpenID token, the collector down while the agent works, the sidecar
// killed with SIGKILL mid-session, a new sidecar on the same spool, and the
// spans arriving at a loopback OTLP receiver that decodes them with the
// official protos. On the way: a sqlcommenter traceparent links the command to
// the agent's trace, and neither the token, the upstream password, the masked
// e-mails nor an e-mail pasted into a SQL comment appear in the exported bytes.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { run as sessions } from '../../cli/sessions.js';
import { type OidcHarness, startOidcProvider } from '../identity/oidc-harness.js';
import { admin, type UpstreamRoles, upstreamRoles } from '../postgres/pg-fixture.js';
import {
  freePort,
  oidcSidecarArgs,
  type PolicyFiles,
  policyFiles,
  type SidecarProcess,
  startSidecarProcess,
} from '../sidecar/sidecar-process.js';
import { OtlpReceiver } from './otlp-receiver.js';

const TABLE = 'ag_audit_sidecar';
const EMAILS = ['erin.private@example.com', 'frank.hidden@example.net'];
const PASTED = 'grace.pasted@example.org';
let roles: UpstreamRoles;
let oidc: OidcHarness;
let files: PolicyFiles;
let spoolDir: string;
let port: number;
const running: SidecarProcess[] = [];

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
    - {target: orders-db, entities: [EMAIL_ADDRESS]}
  defaultAction: deny
`;
}

async function sidecar(otlpEndpoint: string): Promise<SidecarProcess> {
  const s = await startSidecarProcess([
    ...oidcSidecarArgs(files, oidc.issuer),
    '--pod-name',
    'support-agent-0',
    '--pod-labels',
    'app=support-agent',
    '--otlp-endpoint',
    otlpEndpoint,
    '--spool-dir',
    spoolDir,
  ]);
  running.push(s);
  return s;
}

async function spooledSpans(s: SidecarProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.adminPort}/metrics`)).text();
  return Number(/^agentgate_audit_spans_spooled_total (\d+)/m.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  roles = await upstreamRoles('auditproc');
  oidc = await startOidcProvider({ audience: 'agentgate' });
  files = policyFiles();
  spoolDir = mkdtempSync(join(tmpdir(), 'ag-audit-proc-'));
  port = await freePort();
  files.writePolicy(policy());
  files.writeCredentials('orders-db', roles.scram.username, roles.scram.password);
  await admin(`DROP TABLE IF EXISTS ${TABLE}`);
  await admin(`CREATE TABLE ${TABLE} (id int, email text)`);
  await admin(`INSERT INTO ${TABLE} VALUES (1, $1), (2, $2)`, EMAILS);
}, 60_000);

afterAll(async () => {
  for (const s of running) await s.stop('SIGKILL');
  await oidc?.close();
  await admin(`DROP TABLE IF EXISTS ${TABLE}`);
  await roles?.cleanup();
  rmSync(spoolDir, { recursive: true, force: true });
});

test('spans of a session cut short by SIGKILL, with the collector down, arrive from the spool after a restart, linked and clean', async () => {
  const first = await sidecar(`http://127.0.0.1:${await freePort()}`);
  const token = await oidc.mintToken(['ai-agents']);
  const agentTrace = randomBytes(16).toString('hex');
  const agentSpan = randomBytes(8).toString('hex');
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'agent', password: token, database: 'postgres' });
  c.on('error', () => {}); // the sidecar is killed under the open connection
  await c.connect();
  const rows = await c.query(
    `SELECT id, email FROM ${TABLE} WHERE email = '${EMAILS[0]}' OR id = 2 -- for ${PASTED}\nORDER BY id /*traceparent='00-${agentTrace}-${agentSpan}-01'*/`,
  );
  expect(rows.rows).toEqual([
    { id: 1, email: '<EMAIL_ADDRESS>' },
    { id: 2, email: '<EMAIL_ADDRESS>' },
  ]);
  await c.query('SELECT count(*) FROM pg_class');
  // both command spans are durable before the kill; the session span is not written yet
  while ((await spooledSpans(first)) < 2) await new Promise((r) => setTimeout(r, 20));
  expect(await first.stop('SIGKILL')).toBeNull();
  running.splice(running.indexOf(first), 1); // stop() again would wait for an exit already seen

  const receiver = new OtlpReceiver();
  await receiver.start(0);
  try {
    await sidecar(receiver.endpoint);
    await receiver.waitForSpans(3);
    const root = receiver.spans.find((s) => s.name === 'agentgate.session')!;
    expect(root.attributes).toMatchObject({
      'agentgate.session.incomplete': true,
      'agentgate.auth.result': 'ok',
      'agentgate.target': 'orders-db',
      'agentgate.chain.length': 2,
      'k8s.namespace.name': 'shop',
    });
    const commands = receiver.spans
      .filter((s) => s.traceId === root.traceId && s.name === 'agentgate.command')
      .sort(
        (x, y) =>
          Number(x.attributes['agentgate.command.seq']) - Number(y.attributes['agentgate.command.seq']),
      );
    expect(commands).toHaveLength(2);
    expect(commands[0]!.attributes).toMatchObject({
      'db.query.text': `SELECT id, email FROM ${TABLE} WHERE email = ? OR id = ? -- for <EMAIL_ADDRESS>\nORDER BY id /*traceparent='00-${agentTrace}-${agentSpan}-01'*/`,
      'agentgate.decision': 'allow',
      'agentgate.rows': 2,
      'agentgate.masked.email_address': 2,
    });
    expect(commands[0]!.links).toEqual([
      { traceId: agentTrace, spanId: agentSpan, attributes: { 'agentgate.link.source': 'traceparent' } },
    ]);
    expect(commands[1]!.links).toEqual([]);

    const bytes = receiver.allBytes();
    for (const secret of [token, roles.scram.password, ...EMAILS, PASTED]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    let verified = '';
    const out = (t: string): void => {
      verified += t;
    };
    expect(await sessions(['verify', root.traceId, '--from', spoolDir], { out })).toBe(0);
    expect(verified).toContain('chain intact (2 commands');
  } finally {
    await receiver.stop();
  }
}, 60_000);
