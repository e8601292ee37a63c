import { jest } from '@jest/globals';
import {
  cmd,
  OK_AUTH,
  REFUSED_AUTH,
  SCOPE,
  SID,
  start,
  T0,
  TP,
  VARIETY,
} from '../../test/audit/command-variety.js';
import { scriptedCommands } from '../../test/audit/scripted-session.js';
import { encodeCommand, encodeCommandNative, useNativeEncoder } from './command-encoder.js';
import { Kind, writeCommand } from './event-codec.js';
import type { CommandEvent, SessionAuth, SessionStart } from './events.js';
import { IO, loadSpanCodec } from './native-span-codec.js';
import { SpanBatch } from './otlp-encode.js';
import { createRingBuffers, RingReader, RingWriter } from './ring.js';
import { openSession, type SessionState } from './spans.js';

/** A small seeded generator (mulberry32): a failure names its seed and replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const chance = (rng: Rng, p: number): boolean => rng() < p;

/** 1-, 2-, 3- and 4-byte UTF-8, SQL punctuation, a lone surrogate. */
const PIECES = ['a', 'Z', '0', ' ', "'", '*', '/', '-', 'é', 'ß', '✓', '中', '𝄞', '😀', '\u0001', '\ud800'];

function text(rng: Rng, max: number): string {
  const n = Math.floor(rng() * max);
  let s = '';
  for (let i = 0; i < n; i++) s += chance(rng, 0.7) ? 'x' : pick(rng, PIECES);
  return s;
}

/** Texts of 0, < 128, > 127 and > 16383 UTF-8 bytes, so each varint length size shows up. */
function queryText(rng: Rng): string {
  const r = rng();
  if (r < 0.05) return '';
  if (r < 0.6) return `SELECT ${text(rng, 60)}`;
  if (r < 0.9) return `SELECT '${text(rng, 400)}'`;
  return `SELECT '${'y'.repeat(16_400)}${text(rng, 2000)}'`;
}

const COUNTS = [0, 1, 2, 127, 128, 16_384, 2 ** 32, Number.MAX_SAFE_INTEGER];
const ODD_NUMBERS = [-1, 1.5, 2 ** 53 + 2, Number.POSITIVE_INFINITY];
const count = (rng: Rng): number => (chance(rng, 0.9) ? pick(rng, COUNTS) : pick(rng, ODD_NUMBERS));
const ENTITIES = [
  'EMAIL_ADDRESS',
  'email_address',
  'PERSON',
  'column:ssn',
  'COLUMN:ssn',
  'column:Email',
  'count',
];

function randomEvent(rng: Rng, seq: number): CommandEvent {
  const ops = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'BEGIN'];
  const nOps = pick(rng, [0, 1, 1, 1, 1, 2, 3]);
  const same = chance(rng, 0.5);
  const operations = Array.from({ length: nOps }, (_, i) =>
    same && i > 0 ? 'UPDATE' : chance(rng, 0.1) ? text(rng, 8) : pick(rng, ops),
  );
  if (same && nOps > 1) operations[0] = 'UPDATE';
  const e: CommandEvent = {
    sessionId: SID,
    seq: pick(rng, [seq, 0, 2 ** 32 - 1]),
    startedAt: pick(rng, [T0 + seq * 1.337, T0 + rng() * 1e6, 0, 0.000_7, 1_764_000_000_000, 2 ** 42 + 5]),
    durationUs: pick(rng, [420.5, 0, 0.000_5, 0.499_9, 0.5, 1.5, rng() * 1e7, 3.6e9, -3]),
    text: queryText(rng),
    operations,
    tables: Array.from({ length: pick(rng, [0, 1, 1, 1, 2, 40]) }, () =>
      chance(rng, 0.8) ? `t_${Math.floor(rng() * 1000)}` : text(rng, 20),
    ),
    decision: pick(rng, ['allow', 'deny', 'review', 'error'] as const),
    policy: chance(rng, 0.2) ? '' : `shop/${text(rng, 12)}`,
    rule: chance(rng, 0.2) ? '' : text(rng, 12),
  };
  const m = e as { -readonly [K in keyof CommandEvent]: CommandEvent[K] };
  if (chance(rng, 0.1)) m.approvalName = text(rng, 20);
  if (chance(rng, 0.1)) m.approver = text(rng, 20);
  if (chance(rng, 0.6)) m.rows = count(rng);
  if (chance(rng, 0.6)) m.bytes = count(rng);
  if (chance(rng, 0.3)) {
    const masked: Record<string, number> = {};
    const n = pick(rng, [1, 1, 2, 3, 6]);
    for (let i = 0; i < n; i++) {
      const name = chance(rng, 0.05)
        ? text(rng, 10)
        : chance(rng, 0.1)
          ? 'x'.repeat(200)
          : pick(rng, ENTITIES);
      masked[name] = chance(rng, 0.95) ? pick(rng, [1, 2, 3, 1000]) : pick(rng, ODD_NUMBERS);
    }
    m.masked = masked;
  }
  if (chance(rng, 0.2)) m.errorCode = pick(rng, ['AG_ERR_POLICY_DENIED', '42P01', text(rng, 10)]);
  if (chance(rng, 0.2)) m.error = chance(rng, 0.2) ? '' : text(rng, 200);
  if (chance(rng, 0.03)) m.traceparent = chance(rng, 0.5) ? TP : 'not-a-traceparent';
  if (chance(rng, 0.03)) m.text = `SELECT 1 /*traceparent='${TP}'*/`;
  if (chance(rng, 0.3)) m.httpMethod = pick(rng, ['GET', 'POST', 'DELETE']);
  if (chance(rng, 0.3)) m.urlPath = `/v1/${text(rng, 40)}`;
  if (chance(rng, 0.3)) m.httpStatus = pick(rng, [200, 201, 404, 503]);
  return e;
}

interface Both {
  readonly native: Buffer;
  readonly js: Buffer;
  readonly nativeState: SessionState;
  readonly jsState: SessionState;
  /** Commands the native encoder took (not declined). */
  readonly taken: number;
}

/**
 * Each event through the ring, its record encoded twice: as the worker does
 * (native, JavaScript when it declines), then by the JavaScript encoder alone.
 * Spans, ends and cursors must agree one by one. `authAt`: the session's auth
 * arrives before that command.
 */
function bothPaths(
  protocol: SessionStart['protocol'],
  auth: SessionAuth | undefined,
  events: readonly CommandEvent[],
  authAt = 0,
  maxTextChars = 32_768,
): Both {
  const nativeState = openSession(start(protocol), 'aaaaaaaaaaaaaaaa');
  const jsState = openSession(start(protocol), 'aaaaaaaaaaaaaaaa');
  // Small batches: the native path has to make room itself.
  const nb = new SpanBatch(SCOPE, 256);
  const jb = new SpanBatch(SCOPE, 256);
  const bufs = createRingBuffers(1 << 22);
  const w = new RingWriter(bufs);
  const r = new RingReader(bufs);
  const ids = Buffer.alloc(64);
  let taken = 0;
  try {
    events.forEach((e, i) => {
      if (i === authAt && auth !== undefined) {
        nativeState.auth = auth;
        jsState.auth = auth;
      }
      const idAt = (i * 8) % 57;
      ids.writeUInt32BE(0x1000 + i, idAt + 4);
      expect(writeCommand(w, e, maxTextChars)).toBe(true);
      expect(r.next()).toBe(true);
      expect(r.u8v()).toBe(Kind.Command);
      const at = r.pos;
      const nFrom = nb.w.pos;
      const jFrom = jb.w.pos;
      useNativeEncoder(true);
      let nEnd = encodeCommandNative(r, nativeState, nb, ids, idAt);
      if (nEnd === undefined) {
        expect([r.pos, nb.w.pos]).toEqual([at, nFrom]);
        nEnd = encodeCommand(r, nativeState, nb, ids, idAt);
      } else taken++;
      const nPos = r.pos;
      r.pos = at;
      useNativeEncoder(false);
      const jEnd = encodeCommand(r, jsState, jb, ids, idAt);
      const span = (b: SpanBatch, from: number): string => b.w.buf.subarray(from, b.w.pos).toString('hex');
      expect({ i, span: span(nb, nFrom), end: nEnd, pos: nPos }).toEqual({
        i,
        span: span(jb, jFrom),
        end: jEnd,
        pos: r.pos,
      });
      r.release();
    });
  } finally {
    useNativeEncoder(true);
  }
  expect(nb.count).toBe(jb.count);
  return { native: Buffer.from(nb.finish()), js: Buffer.from(jb.finish()), nativeState, jsState, taken };
}

const SESSIONS: [string, SessionStart['protocol'], SessionAuth | undefined][] = [
  ['postgres, authenticated', 'postgres', OK_AUTH],
  ['postgres, not authenticated', 'postgres', undefined],
  ['mysql, refused', 'mysql', REFUSED_AUTH],
  ['http, authenticated', 'http', OK_AUTH],
  ['http, not authenticated', 'http', undefined],
];

/** pgbench's SELECT as the postgres protocol reports it. */
const PGBENCH: Partial<CommandEvent> = {
  text: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  operations: ['SELECT'],
  tables: ['pgbench_accounts'],
  decision: 'allow',
  rows: 1,
  bytes: 120,
};

/** AGENTGATE_AUDIT_NATIVE=0 (the whole suite on the JavaScript encoder): nothing native to compare. */
const nativeOff = process.env['AGENTGATE_AUDIT_NATIVE'] === '0';

(nativeOff ? describe.skip : describe)('the native command span encoder', () => {
  test('is built and loaded (make native)', () => {
    expect(useNativeEncoder(true)).toBe(true);
  });

  test.each(SESSIONS)(
    'writes the JavaScript encoder bytes for the variety of commands (%s)',
    (_n, protocol, auth) => {
      const events = [
        ...VARIETY.map((x, i) => cmd(i + 1, x)),
        ...scriptedCommands(SID, T0),
        cmd(99, { httpMethod: 'POST', urlPath: '/v1/orders', httpStatus: 201 }),
      ];
      const both = bothPaths(protocol, auth, events, 3);
      expect(both.native.equals(both.js)).toBe(true);
      expect(both.nativeState).toEqual(both.jsState);
      expect(both.nativeState.chained).toBe(events.length);
      expect(both.taken).toBeGreaterThan(events.length / 2);
    },
  );

  test.each(SESSIONS)(
    'writes the JavaScript encoder bytes for random commands (%s)',
    (_n, protocol, auth) => {
      for (const seed of [1, 2, 3, 4]) {
        const rng = random(seed * 7919 + protocol.length);
        const events = Array.from({ length: 150 }, (_, i) => randomEvent(rng, i + 1));
        const both = bothPaths(protocol, auth, events, 40, pick(rng, [32_768, 10_000]));
        expect(both.native.equals(both.js)).toBe(true);
        expect(both.nativeState).toEqual(both.jsState);
        expect(both.taken).toBeGreaterThan(30);
      }
    },
  );

  test.each([
    ['pgbench SELECT', PGBENCH],
    ['masked counts', { ...PGBENCH, masked: { EMAIL_ADDRESS: 2, 'column:ssn': 1, count: 9 } }],
    ['a denial', { decision: 'deny', errorCode: 'AG_ERR_POLICY_DENIED', error: 'denied by policy' }],
    ['a batch of one operation', { operations: ['INSERT', 'INSERT'], tables: ['a', 'b'] }],
    ['a batch of several', { operations: ['INSERT', 'UPDATE'] }],
    ['an approval', { approvalName: 'areq-7x2k', approver: 'dba-bob', decision: 'review' }],
    ['a truncated text', { text: 'é'.repeat(40_000) }],
    ['an HTTP request', { httpMethod: 'GET', urlPath: '/v1/orders/7', httpStatus: 200 }],
  ] as [string, Partial<CommandEvent>][])('takes %s (no fallback to JavaScript)', (_n, x) => {
    const events = Array.from({ length: 5 }, (_, i) => cmd(i + 1, x));
    const both = bothPaths('postgres', OK_AUTH, events);
    expect(both.taken).toBe(events.length);
    expect(both.native.equals(both.js)).toBe(true);
  });

  test.each([
    ['a traceparent', { traceparent: TP }],
    ['a comment end in the text', { text: `SELECT 1 /*traceparent='${TP}'*/` }],
    ['negative rows', { rows: -1 }],
    ['fractional bytes', { bytes: 1.5 }],
    ['rows beyond safe integers', { rows: 2 ** 53 + 2 }],
    ['a masked count beyond safe integers', { masked: { PERSON: 2 ** 60 } }],
    ['a non-ASCII masked entity', { masked: { 'column:Ünïcødé': 1 } }],
    ['a start beyond the fast time range', { startedAt: 2 ** 42 + 1 }],
  ] as [string, Partial<CommandEvent>][])(
    'declines %s, changing nothing, and JavaScript encodes it',
    (_n, x) => {
      const both = bothPaths('postgres', OK_AUTH, [cmd(1, x), cmd(2, x)]);
      expect(both.taken).toBe(0);
      expect(both.native.equals(both.js)).toBe(true);
      expect(both.nativeState).toEqual(both.jsState);
    },
  );

  /** One command record in a ring, with the reader on it (kind byte read). */
  function oneRecord(e: CommandEvent): { r: RingReader; at: number; end: number } {
    const bufs = createRingBuffers(1 << 16);
    const w = new RingWriter(bufs);
    const r = new RingReader(bufs);
    expect(writeCommand(w, e, 32_768)).toBe(true);
    expect(r.next()).toBe(true);
    r.pos++;
    // Bytes past the record that a reader running over its end would take as lengths.
    r.buf.fill(0x7f, r.end, r.end + 4096);
    return { r, at: r.pos, end: r.end };
  }

  const FULL: Partial<CommandEvent> = {
    ...PGBENCH,
    approvalName: 'areq',
    approver: 'bob',
    masked: { PERSON: 1 },
    errorCode: 'E1',
    error: 'bad',
    httpMethod: 'GET',
    urlPath: '/x',
    httpStatus: 200,
    text: 'x'.repeat(20_000),
  };

  test('declines a record cut short at any byte, reading nothing past its end', () => {
    const { r, at, end } = oneRecord(cmd(1, FULL));
    const st = openSession(start('postgres'), 'aaaaaaaaaaaaaaaa');
    const batch = new SpanBatch(SCOPE, 1024);
    const ids = Buffer.alloc(8);
    const before = { ...st };
    for (let cut = at; cut < end; cut++) {
      r.pos = at;
      r.end = cut;
      const w = batch.w.pos;
      expect(encodeCommandNative(r, st, batch, ids, 0)).toBeUndefined();
      expect([r.pos, batch.w.pos, batch.count]).toEqual([at, w, 0]);
    }
    expect(st).toEqual(before);
    r.pos = at;
    r.end = end;
    expect(encodeCommandNative(r, st, batch, ids, 0)).toBeDefined();
    expect(r.pos).toBe(end);
  });

  test('takes a corrupted record only when it lies within its end, and then writes what JavaScript writes', () => {
    const rng = random(42);
    const { r, at, end } = oneRecord(cmd(1, FULL));
    const original = Buffer.from(r.buf.subarray(at, end));
    let taken = 0;
    for (let n = 0; n < 3000; n++) {
      original.copy(r.buf, at);
      // Lengths, counts and mask bits are what matter: hit the first 200 bytes mostly.
      for (let k = 0; k < 1 + Math.floor(rng() * 3); k++) {
        const i = at + Math.floor(rng() * Math.min(200, end - at));
        r.buf[i] = pick(rng, [0, 0xff, 0x7f, 0x80, Math.floor(rng() * 256)]);
      }
      const a = openSession(start('postgres'), 'aaaaaaaaaaaaaaaa');
      const nb = new SpanBatch(SCOPE, 1024);
      r.pos = at;
      r.end = end;
      if (encodeCommandNative(r, a, nb, Buffer.alloc(8), 0) === undefined) {
        expect(r.pos).toBe(at);
        continue;
      }
      taken++;
      expect(r.pos).toBeLessThanOrEqual(end);
      const nPos = r.pos;
      const b = openSession(start('postgres'), 'aaaaaaaaaaaaaaaa');
      const jb = new SpanBatch(SCOPE, 1024);
      r.pos = at;
      useNativeEncoder(false);
      try {
        encodeCommand(r, b, jb, Buffer.alloc(8), 0);
      } finally {
        useNativeEncoder(true);
      }
      expect(r.pos).toBe(nPos);
      expect(Buffer.from(nb.finish()).equals(Buffer.from(jb.finish()))).toBe(true);
      expect(a).toEqual(b);
    }
    expect(taken).toBeGreaterThan(100);
  });
});

describe('loading the native encoder', () => {
  test('without the addon: one warning naming the paths tried, and the JavaScript encoder', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const saved = process.env['AGENTGATE_AUDIT_NATIVE'];
    delete process.env['AGENTGATE_AUDIT_NATIVE'];
    try {
      const io = new Float64Array(IO.WORDS);
      expect(
        loadSpanCodec(io, Buffer.alloc(0), ['/nonexistent/a.node', '/nonexistent/b.node']),
      ).toBeUndefined();
      expect(loadSpanCodec(io, Buffer.alloc(0), ['/nonexistent/a.node'])).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/\/nonexistent\/a\.node, \/nonexistent\/b\.node/);
    } finally {
      warn.mockRestore();
      if (saved !== undefined) process.env['AGENTGATE_AUDIT_NATIVE'] = saved;
    }
  });

  test('AGENTGATE_AUDIT_NATIVE=0 chooses the JavaScript encoder', () => {
    const saved = process.env['AGENTGATE_AUDIT_NATIVE'];
    process.env['AGENTGATE_AUDIT_NATIVE'] = '0';
    try {
      expect(loadSpanCodec(new Float64Array(IO.WORDS), Buffer.alloc(0))).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env['AGENTGATE_AUDIT_NATIVE'];
      else process.env['AGENTGATE_AUDIT_NATIVE'] = saved;
    }
  });
});
