// Command events for the command encoder's tests: one session's start and a
// variety of commands covering every optional field and the encoder's special
// cases (masked counts, batches, traceparents, huge and odd numbers, times).

import type { CommandEvent, SessionAuth, SessionStart } from '../../sidecar/audit/events.js';
import { IDENTITY } from './scripted-session.js';

export const SID = '0123456789abcdef0123456789abcdef';
export const T0 = 1_764_000_000_123.25;
export const SCOPE = { resource: { 'service.name': 'agentgate-sidecar' }, name: 'agentgate', version: '1' };
export const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** The session's authentication, accepted and refused. */
export const OK_AUTH: SessionAuth = {
  sessionId: SID,
  at: T0 + 1,
  ok: true,
  identity: IDENTITY,
  database: 'orders',
};
export const REFUSED_AUTH: SessionAuth = {
  sessionId: SID,
  at: T0 + 1,
  ok: false,
  errorCode: 'AG_ERR_AUTH',
  database: '',
};

export function start(protocol: SessionStart['protocol'], extra: Partial<SessionStart> = {}): SessionStart {
  return {
    sessionId: SID,
    startedAt: T0,
    protocol,
    target: 'orders-db',
    serverAddress: 'orders-db.data.svc',
    serverPort: 5432,
    clientAddress: '10.0.0.7',
    clientPort: 40000,
    namespace: 'shop',
    podName: 'agent-0',
    ...extra,
  };
}

export function cmd(seq: number, extra: Partial<CommandEvent> = {}): CommandEvent {
  return {
    sessionId: SID,
    seq,
    startedAt: T0 + seq * 1.337,
    durationUs: 420.5,
    text: 'SELECT id FROM orders WHERE id = ?',
    operations: ['SELECT'],
    tables: ['orders'],
    decision: 'allow',
    policy: 'shop/agent',
    rule: 'reads',
    ...extra,
  };
}

export const VARIETY: readonly Partial<CommandEvent>[] = [
  {},
  { rows: 3, bytes: 412, masked: { EMAIL_ADDRESS: 3, 'column:ssn': 2, PERSON: 1 } },
  { masked: { count: 5, EMAIL_ADDRESS: 1 }, rows: 0, bytes: 0 },
  { masked: { 'column:Ünïcødé': 1 } },
  { decision: 'deny', errorCode: 'AG_ERR_POLICY_DENIED', error: 'denied by policy' },
  { decision: 'error' },
  { decision: 'review', error: '' },
  { decision: 'allow', errorCode: 'AG_ERR_UPSTREAM' },
  { approvalName: 'areq-7x2k', approver: 'dba-bob' },
  { rows: -1, bytes: 1.5, durationUs: 0.5 },
  { rows: 2 ** 53 + 2, bytes: Number.MAX_SAFE_INTEGER },
  { operations: ['SELECT', 'SELECT'], tables: [] },
  { operations: ['SELECT', 'UPDATE'], tables: ['a', 'b'] },
  { operations: [], tables: [], policy: '', rule: '' },
  { traceparent: TP },
  { traceparent: 'not-a-traceparent' },
  { text: `SELECT 1 /*traceparent='${TP}'*/` },
  { text: "SELECT 'ünïcødé ✓ 𝄞', '', E'\\x01\u0001' /* */", operations: ['SELECT'] },
  { text: `SELECT '${'x'.repeat(20_000)}'` },
  { text: 'SELECT 1', startedAt: 1_764_000_000_000, durationUs: 3.6e9 },
  { text: '', startedAt: 0.000_7 },
];
