import {
  cmd,
  OK_AUTH,
  REFUSED_AUTH,
  SCOPE,
  SID,
  start,
  T0,
  VARIETY,
} from '../../test/audit/command-variety.js';
import { decodeOtlp } from '../../test/audit/otlp-receiver.js';
import { IDENTITY, scriptedCommands } from '../../test/audit/scripted-session.js';
import { canonicalBytes, linkHash } from './chain.js';
import { encodeCommand, OWN_KEY_ORDER, useNativeEncoder } from './command-encoder.js';
import { Kind, readEvent, writeCommand } from './event-codec.js';
import type { CommandEvent, SessionAuth, SessionStart } from './events.js';
import { decodeTraceRequest } from './otlp-decode.js';
import { SpanBatch } from './otlp-encode.js';
import { createRingBuffers, RingReader, RingWriter } from './ring.js';
import { commandSpan, openSession, type SessionState } from './spans.js';

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

  const cases: [string, SessionStart['protocol'], SessionAuth | undefined][] = [
    ['postgres, authenticated', 'postgres', OK_AUTH],
    ['postgres, not authenticated', 'postgres', undefined],
    ['mysql, refused', 'mysql', REFUSED_AUTH],
    ['http', 'http', OK_AUTH],
  ];
  // The native encoder where it loaded (what the worker runs), and the JavaScript one alone.
  const encoders: [string, boolean][] = [
    ['native first', true],
    ['JavaScript', false],
  ];
  const runs = encoders.flatMap(([e, on]) =>
    cases.map(([name, protocol, auth]) => [`${name}, ${e}`, protocol, auth, on] as const),
  );
  test.each(runs)(
    'are byte for byte the reference encoding of the span record (%s)',
    (_name, protocol, auth, native) => {
      const events = [
        ...VARIETY.map((x, i) => cmd(i + 1, x)),
        ...scriptedCommands(SID, T0),
        cmd(99, { httpMethod: 'POST', urlPath: '/v1/orders', httpStatus: 201 }),
      ];
      useNativeEncoder(native);
      try {
        const { fast, reference, fastState, refState } = bothWays(protocol, auth, events);
        expect(fast.toString('hex')).toBe(reference.toString('hex'));
        expect(fastState).toEqual(refState);
        expect(fastState.chained).toBe(events.length);
        // Read with the official protos too: a well-formed request.
        expect(decodeOtlp(fast)).toHaveLength(events.length);
      } finally {
        useNativeEncoder(true);
      }
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
