import { decodeOtlp } from '../../test/audit/otlp-receiver.js';
import { IDENTITY, scriptedCommands } from '../../test/audit/scripted-session.js';
import { canonicalBytes, linkHash } from './chain.js';
import { encodeCommand, OWN_KEY_ORDER } from './command-encoder.js';
import { Kind, readEvent, writeCommand } from './event-codec.js';
import type { CommandEvent, SessionAuth, SessionStart } from './events.js';
import { decodeTraceRequest } from './otlp-decode.js';
import { SpanBatch } from './otlp-encode.js';
import { createRingBuffers, RingReader, RingWriter } from './ring.js';
import { commandSpan, openSession, type SessionState } from './spans.js';

const SID = '0123456789abcdef0123456789abcdef';
const T0 = 1_764_000_000_123.25;
const SCOPE = { resource: { 'service.name': 'agentgate-sidecar' }, name: 'agentgate', version: '1' };
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function start(protocol: SessionStart['protocol'], extra: Partial<SessionStart> = {}): SessionStart {
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

function cmd(seq: number, extra: Partial<CommandEvent> = {}): CommandEvent {
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

const VARIETY: readonly Partial<CommandEvent>[] = [
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

/** Each event through the ring twice: the fast path, and the reference (decode, commandSpan, encode). */
function bothWays(
  protocol: SessionStart['protocol'],
  auth: SessionAuth | undefined,
  events: readonly CommandEvent[],
): { fast: Buffer; reference: Buffer; fastState: SessionState; refState: SessionState } {
  const fastState = openSession(start(protocol), 'aaaaaaaaaaaaaaaa');
  const refState = openSession(start(protocol), 'aaaaaaaaaaaaaaaa');
  if (auth !== undefined) {
    fastState.auth = auth;
    refState.auth = auth;
  }
  const fast = new SpanBatch(SCOPE, 1024);
  const ref = new SpanBatch(SCOPE, 1024);
  const bufs = createRingBuffers(1 << 20);
  const w = new RingWriter(bufs);
  const r = new RingReader(bufs);
  const ids = Buffer.alloc(8);
  events.forEach((e, i) => {
    ids.writeUInt32BE(0x1000 + i, 4);
    expect(writeCommand(w, e, 32768)).toBe(true);
    expect(r.next()).toBe(true);
    const at = r.pos;
    expect(r.u8v()).toBe(Kind.Command);
    encodeCommand(r, fastState, fast, ids, 0);
    expect(r.pos).toBe(r.end);
    r.pos = at;
    const ev = readEvent(r);
    if (ev.kind !== Kind.Command) throw new Error('not a command');
    ref.add(commandSpan(refState, ev.e, ids.toString('hex')));
    r.release();
  });
  return {
    fast: Buffer.from(fast.finish()),
    reference: Buffer.from(ref.finish()),
    fastState,
    refState,
  };
}

describe('command spans straight from the ring', () => {
  test('the own keys the encoder writes in a fixed order are sorted', () => {
    expect([...OWN_KEY_ORDER].sort()).toEqual(OWN_KEY_ORDER);
  });

  const ok: SessionAuth = { sessionId: SID, at: T0 + 1, ok: true, identity: IDENTITY, database: 'orders' };
  const refused: SessionAuth = {
    sessionId: SID,
    at: T0 + 1,
    ok: false,
    errorCode: 'AG_ERR_AUTH',
    database: '',
  };
  const cases: [string, SessionStart['protocol'], SessionAuth | undefined][] = [
    ['postgres, authenticated', 'postgres', ok],
    ['postgres, not authenticated', 'postgres', undefined],
    ['mysql, refused', 'mysql', refused],
    ['http', 'http', ok],
  ];
  test.each(cases)(
    'are byte for byte the reference encoding of the span record (%s)',
    (_name, protocol, auth) => {
      const events = [
        ...VARIETY.map((x, i) => cmd(i + 1, x)),
        ...scriptedCommands(SID, T0),
        cmd(99, { httpMethod: 'POST', urlPath: '/v1/orders', httpStatus: 201 }),
      ];
      const { fast, reference, fastState, refState } = bothWays(protocol, auth, events);
      expect(fast.toString('hex')).toBe(reference.toString('hex'));
      expect(fastState).toEqual(refState);
      expect(fastState.chained).toBe(events.length);
      // Read with the official protos too: a well-formed request.
      expect(decodeOtlp(fast)).toHaveLength(events.length);
    },
  );

  test('each span carries the v2 link of its own canonical bytes after the previous hash', () => {
    const auth: SessionAuth = {
      sessionId: SID,
      at: T0 + 1,
      ok: true,
      identity: IDENTITY,
      database: 'orders',
    };
    const { fast, fastState } = bothWays(
      'postgres',
      auth,
      VARIETY.map((x, i) => cmd(i + 1, x)),
    );
    const spans = decodeTraceRequest(fast);
    let prev = openSession(start('postgres'), 'aaaaaaaaaaaaaaaa').lastHash;
    for (const s of spans) {
      const stored = s.attributes['agentgate.chain.hash'];
      expect(linkHash(prev, s)).toBe(stored);
      // The canonical bytes are a prefix of the span as exported.
      expect(fast.includes(Buffer.from(canonicalBytes(s)))).toBe(true);
      prev = stored as string;
    }
    expect(prev).toBe(fastState.lastHash);
  });
});
