import { Kind, readEvent, writeCommand, writeJson } from './event-codec.js';
import type { CommandEvent } from './events.js';
import { createRingBuffers, RingReader, RingWriter } from './ring.js';

function cmd(seq: number, text: string, extra: Partial<CommandEvent> = {}): CommandEvent {
  return {
    sessionId: 'f'.repeat(32),
    seq,
    startedAt: 1_764_000_000_000 + seq / 3,
    durationUs: seq * 1.5,
    text,
    operations: ['SELECT', 'UPDATE'].slice(0, 1 + (seq % 2)),
    tables: seq % 3 === 0 ? [] : ['public.orders'],
    decision: (['allow', 'deny', 'review', 'error'] as const)[seq % 4]!,
    policy: 'ns/p',
    rule: 'r',
    ...extra,
  };
}

describe('audit ring and event codec', () => {
  test('every field of a command survives the ring, optional ones included', () => {
    const bufs = createRingBuffers(1 << 16);
    const w = new RingWriter(bufs);
    const r = new RingReader(bufs);
    const full = cmd(7, "SELECT 'ünïcødé 𝄞'", {
      approvalName: 'areq-1',
      approver: 'dba',
      rows: 0,
      bytes: 12.5,
      masked: { EMAIL_ADDRESS: 2, 'column:ssn': 1 },
      errorCode: 'AG_ERR_X',
      error: 'boom',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      httpMethod: 'GET',
      urlPath: '/v1/x',
      httpStatus: 404,
    });
    expect(writeCommand(w, full, 1000)).toBe(true);
    expect(writeCommand(w, cmd(8, 'SELECT 1'), 1000)).toBe(true);
    expect(r.next()).toBe(true);
    expect(readEvent(r)).toEqual({ kind: Kind.Command, e: full });
    expect(r.next()).toBe(true);
    expect(readEvent(r)).toEqual({ kind: Kind.Command, e: cmd(8, 'SELECT 1') });
    expect(r.next()).toBe(false);
  });

  test('text over the limit is cut and its original length kept', () => {
    const bufs = createRingBuffers(1 << 16);
    const w = new RingWriter(bufs);
    const r = new RingReader(bufs);
    writeCommand(w, cmd(1, 'x'.repeat(50)), 10);
    r.next();
    const ev = readEvent(r);
    expect(ev.kind === Kind.Command && ev.e.text).toBe('x'.repeat(10));
    expect(ev.kind === Kind.Command && ev.e.textTruncatedFrom).toBe(50);
  });

  test('records of varying size wrap around the buffer in order, and a full ring refuses instead of overwriting', () => {
    const bufs = createRingBuffers(4096);
    const w = new RingWriter(bufs);
    const r = new RingReader(bufs);
    let written = 0;
    let read = 0;
    let refused = 0;
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    while (written < 3000) {
      const burst = 1 + Math.floor(rand() * 20);
      for (let i = 0; i < burst; i++) {
        const e = cmd(written + 1, 'q'.repeat(Math.floor(rand() * 300)));
        if (written % 5 === 0) {
          if (
            !writeJson(w, Kind.SessionEnd, {
              sessionId: String(written + 1),
              endedAt: 1,
              commands: 0,
              bytesIn: 0,
              bytesOut: 0,
            })
          ) {
            refused++;
            break;
          }
        } else if (!writeCommand(w, e, 1000)) {
          refused++;
          break;
        }
        written++;
      }
      const take = Math.floor(rand() * 25);
      for (let i = 0; i < take && r.next(); i++) {
        const ev = readEvent(r);
        read++;
        if (ev.kind === Kind.Command) expect(ev.e.seq).toBe(read);
        else expect(ev.kind === Kind.SessionEnd && ev.e.sessionId).toBe(String(read));
      }
      r.release();
    }
    while (r.next()) {
      readEvent(r);
      read++;
    }
    expect(read).toBe(written);
    expect(refused).toBeGreaterThan(0);
  });
});
