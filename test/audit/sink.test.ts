import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditSink, type DurableAuditSink } from '../../sidecar/audit/sink.js';
import { OtlpReceiver } from './otlp-receiver.js';
import {
  AGENT_TRACEPARENT,
  feedSession,
  MASKED_EMAIL,
  MASKED_SSN,
  SECRET_PASSWORD,
  SECRET_TOKEN,
} from './scripted-session.js';

describe('audit sink exporting to an OTLP collector', () => {
  let dir: string;
  let receiver: OtlpReceiver;
  let sink: DurableAuditSink | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ag-audit-'));
    receiver = new OtlpReceiver();
    await receiver.start(0);
  });

  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a scripted session becomes one trace: a session span and one span per command, with the documented attributes', async () => {
    sink = createAuditSink({
      otlpEndpoint: receiver.endpoint,
      spoolDir: dir,
      resource: { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'support-agent-0' },
    });
    const sid = feedSession(sink);
    await receiver.waitForSpans(4);
    const spans = receiver.spans.filter((s) => s.traceId === sid);
    expect(spans).toHaveLength(4);
    const root = spans.find((s) => s.name === 'agentgate.session')!;
    const cmds = spans
      .filter((s) => s.name === 'agentgate.command')
      .sort(
        (a, b) =>
          Number(a.attributes['agentgate.command.seq']) - Number(b.attributes['agentgate.command.seq']),
      );
    expect(root.parentSpanId).toBe('');
    expect(root.kind).toBe(2);
    expect(root.resource).toMatchObject({
      'service.name': 'agentgate-sidecar',
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'support-agent-0',
    });
    expect(root.attributes).toMatchObject({
      'agentgate.session.id': sid,
      'agentgate.protocol': 'postgres',
      'agentgate.target': 'orders-db',
      'db.system.name': 'postgresql',
      'db.namespace': 'orders',
      'server.address': 'orders-db.data.svc',
      'server.port': 5432,
      'client.address': '127.0.0.1',
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'support-agent-0',
      'agentgate.auth.result': 'ok',
      'enduser.id': 'agent-42',
      'agentgate.identity.groups': ['ai-agents', 'support'],
      'agentgate.identity.issuer': 'https://issuer.test',
      'agentgate.identity.kind': 'token',
      'agentgate.session.commands': 3,
      'agentgate.chain.length': 3,
    });
    expect(root.events.map((e) => e.name)).toEqual(['agentgate.connect', 'agentgate.auth']);
    expect(cmds.map((c) => c.parentSpanId)).toEqual([root.spanId, root.spanId, root.spanId]);
    expect(cmds[0]!.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.query.text': "SELECT email, ssn FROM customers WHERE email = '<EMAIL_ADDRESS>'",
      'db.operation.name': 'SELECT',
      'db.collection.name': 'customers',
      'enduser.id': 'agent-42',
      'agentgate.decision': 'allow',
      'agentgate.policy': 'shop/support-agent',
      'agentgate.rule': 'reads',
      'agentgate.rows': 3,
      'agentgate.bytes': 412,
      'agentgate.masked.count': 6,
      'agentgate.masked.email_address': 3,
      'agentgate.masked.column.ssn': 3,
    });
    // Who and against what repeat on every command; the connection stays on the session span.
    expect(Object.keys(cmds[0]!.attributes)).toEqual(
      expect.arrayContaining([
        'agentgate.identity.groups',
        'agentgate.target',
        'db.namespace',
        'server.address',
        'server.port',
      ]),
    );
    for (const k of ['agentgate.session.id', 'agentgate.protocol', 'client.address', 'client.port'])
      expect(cmds[0]!.attributes[k]).toBeUndefined();
    expect(cmds[0]!.links).toEqual([
      {
        traceId: AGENT_TRACEPARENT.split('-')[1],
        spanId: AGENT_TRACEPARENT.split('-')[2],
        attributes: { 'agentgate.link.source': 'traceparent' },
      },
    ]);
    expect(cmds[1]!.attributes).toMatchObject({
      'agentgate.decision': 'deny',
      'agentgate.rule': 'no-ddl',
      'error.type': 'AG_ERR_POLICY_DENIED',
    });
    expect(cmds[1]!.status.code).toBe(2);
    expect(cmds[2]!.attributes).toMatchObject({
      'agentgate.approval.name': 'areq-7x2k',
      'agentgate.approval.approver': 'dba-bob',
    });
    for (const c of cmds) expect(c.attributes['agentgate.chain.hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(root.attributes['agentgate.chain.hash']).toMatch(/^[0-9a-f]{64}$/);
    // command spans last 1.5 ms, 120 us, 2.5 ms
    expect(cmds.map((c) => BigInt(c.endTimeUnixNano) - BigInt(c.startTimeUnixNano))).toEqual([
      1_500_000n,
      120_000n,
      2_500_000n,
    ]);
  });

  test('no token, password or masked value appears anywhere in the exported bytes', async () => {
    sink = createAuditSink({ otlpEndpoint: receiver.endpoint, spoolDir: dir });
    feedSession(sink);
    await receiver.waitForSpans(4);
    const bytes = receiver.allBytes();
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [SECRET_TOKEN, SECRET_PASSWORD, MASKED_EMAIL, MASKED_SSN]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
  });

  test('when the audit worker cannot start, the sink stops being writable and waiting sessions are refused', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    sink = createAuditSink({ otlpEndpoint: receiver.endpoint, spoolDir: join(file, 'spool') });
    await sink.ready();
    expect(sink.writable()).toBe(false);
    await expect(sink.whenWritable()).rejects.toMatchObject({ code: 'AG_ERR_AUDIT_UNAVAILABLE' });
    expect(sink.stats().failed).toBe(true);
    await sink.close();
    sink = undefined;
  });
});
