// A scripted session fed straight into an audit sink, with secrets and masked
// values the tests then look for (and must not find) in the exported bytes.

import type { AuditSink, CommandEvent } from '../../sidecar/audit/events.js';
import type { Identity } from '../../sidecar/identity/identity.js';

export const SECRET_TOKEN =
  'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.U0lHTkFUVVJFLXNob3VsZC1uZXZlci1sZWFr';
export const SECRET_PASSWORD = 'upstream-pw-7f3a91';
export const MASKED_EMAIL = 'alice.secret@example.com';
export const MASKED_SSN = '078-05-1120';
export const AGENT_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

export const IDENTITY: Identity = {
  kind: 'token',
  subject: 'agent-42',
  groups: ['ai-agents', 'support'],
  issuer: 'https://issuer.test',
  tokenId: 'jti-1',
};

let counter = 0;
/** A fresh 32-hex session id. */
export function sessionId(): string {
  counter++;
  return `${Date.now().toString(16).padStart(16, '0')}${(counter + 0x1000).toString(16).padStart(16, '0')}`;
}

/** Commands of the scripted session: text is already masked, as the protocol layer hands it over. */
export function scriptedCommands(sid: string, t0: number): CommandEvent[] {
  return [
    {
      sessionId: sid,
      seq: 1,
      startedAt: t0 + 5,
      durationUs: 1500,
      text: "SELECT email, ssn FROM customers WHERE email = '<EMAIL_ADDRESS>'",
      operations: ['SELECT'],
      tables: ['customers'],
      decision: 'allow',
      policy: 'shop/support-agent',
      rule: 'reads',
      rows: 3,
      bytes: 412,
      masked: { EMAIL_ADDRESS: 3, 'column:ssn': 3 },
      traceparent: AGENT_TRACEPARENT,
    },
    {
      sessionId: sid,
      seq: 2,
      startedAt: t0 + 10,
      durationUs: 120,
      text: 'DROP TABLE customers',
      operations: ['DROP'],
      tables: ['customers'],
      decision: 'deny',
      policy: 'shop/support-agent',
      rule: 'no-ddl',
      errorCode: 'AG_ERR_POLICY_DENIED',
      error: 'agentgate: denied by policy shop/support-agent rule no-ddl',
    },
    {
      sessionId: sid,
      seq: 3,
      startedAt: t0 + 20,
      durationUs: 2500,
      text: "UPDATE orders SET status = 'shipped' WHERE id = 7",
      operations: ['UPDATE'],
      tables: ['orders'],
      decision: 'allow',
      policy: 'shop/support-agent',
      rule: 'writes-need-approval',
      approvalName: 'areq-7x2k',
      approver: 'dba-bob',
      rows: 1,
      bytes: 0,
    },
  ];
}

/** Feeds a whole session: start, auth, commands, end. Returns its id. */
export function feedSession(sink: AuditSink, sid = sessionId(), t0 = Date.now()): string {
  sink.sessionStart({
    sessionId: sid,
    startedAt: t0,
    protocol: 'postgres',
    target: 'orders-db',
    serverAddress: 'orders-db.data.svc',
    serverPort: 5432,
    clientAddress: '127.0.0.1',
    clientPort: 40000,
    namespace: 'shop',
    podName: 'support-agent-0',
  });
  sink.sessionAuth({ sessionId: sid, at: t0 + 2, ok: true, identity: IDENTITY, database: 'orders' });
  for (const c of scriptedCommands(sid, t0)) sink.command(c);
  sink.sessionEnd({ sessionId: sid, endedAt: t0 + 30, commands: 3, bytesIn: 200, bytesOut: 900 });
  return sid;
}
