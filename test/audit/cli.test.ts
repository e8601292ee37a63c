import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { run as replay } from '../../cli/replay.js';
import { run as sessions } from '../../cli/sessions.js';
import { createAuditSink } from '../../sidecar/audit/sink.js';
import { RECORD_HEADER } from '../../sidecar/audit/spool.js';
import { OtlpReceiver, type ReceivedSpan, type Value } from './otlp-receiver.js';
import { feedSession, sessionId } from './scripted-session.js';

// OTLP JSON as the collector's file exporter writes it, built from what the
// receiver decoded with the official protos (independent of agentgate's writer).
function anyValue(v: Value): unknown {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { arrayValue: { values: v.map(anyValue) } };
}
function kvs(a: Record<string, Value>): unknown[] {
  return Object.entries(a).map(([key, v]) => ({ key, value: anyValue(v) }));
}
function jsonLine(spans: ReceivedSpan[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: kvs(spans[0]?.resource ?? {}) },
        scopeSpans: [
          {
            scope: { name: 'agentgate' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: s.startTimeUnixNano,
              endTimeUnixNano: s.endTimeUnixNano,
              attributes: kvs(s.attributes),
              events: s.events.map((e) => ({ ...e, attributes: kvs(e.attributes) })),
              links: s.links.map((l) => ({ ...l, attributes: kvs(l.attributes) })),
              status: s.status,
            })),
          },
        ],
      },
    ],
  });
}

function capture(): { out: (t: string) => void; text: () => string } {
  let buf = '';
  return { out: (t) => (buf += t), text: () => buf };
}

describe('agentgate sessions and replay', () => {
  let dir: string;
  let spoolDir: string;
  let file: string;
  let spans: ReceivedSpan[];
  let okId: string;
  let refusedId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ag-cli-'));
    spoolDir = join(dir, 'spool');
    const receiver = new OtlpReceiver();
    await receiver.start(0);
    const sink = createAuditSink({ otlpEndpoint: receiver.endpoint, spoolDir });
    const t0 = Date.now() - 60_000;
    okId = feedSession(sink, sessionId(), t0);
    refusedId = `ffff${sessionId().slice(4)}`; // a distinct prefix, for prefix lookup
    sink.sessionStart({
      sessionId: refusedId,
      startedAt: t0 + 100,
      protocol: 'postgres',
      target: 'orders-db',
      serverAddress: '127.0.0.1',
      serverPort: 5432,
      clientAddress: '127.0.0.1',
      clientPort: 40001,
      namespace: 'shop',
      podName: 'support-agent-0',
    });
    sink.sessionAuth({
      sessionId: refusedId,
      at: t0 + 101,
      ok: false,
      errorCode: 'AG_ERR_AUTH_TOKEN_EXPIRED',
      error: 'token expired',
    });
    sink.sessionEnd({ sessionId: refusedId, endedAt: t0 + 102, commands: 0, bytesIn: 80, bytesOut: 60 });
    await receiver.waitForSpans(5);
    await sink.close();
    await receiver.stop();
    spans = receiver.spans;
    file = join(dir, 'traces.jsonl');
    writeFileSync(file, `${jsonLine(spans)}\n`);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('list shows each session with its auth result and command counts', async () => {
    const io = capture();
    expect(await sessions(['list', '--from', file], io)).toBe(0);
    const lines = io.text().trim().split('\n');
    expect(lines[0]).toMatch(/^SESSION\tSTARTED/);
    expect(lines[1]!.split('\t')).toEqual(
      expect.arrayContaining([okId, 'postgres', 'orders-db', 'agent-42', 'ok', '3', '1']),
    );
    expect(lines[2]!.split('\t')).toEqual(expect.arrayContaining([refusedId, 'refused', '0']));
  });

  test('list shows a session whose root span is missing as open, its protocol read from its commands', async () => {
    const path = join(dir, 'open.jsonl');
    writeFileSync(
      path,
      `${jsonLine(spans.filter((s) => !(s.traceId === okId && s.name === 'agentgate.session')))}\n`,
    );
    const io = capture();
    expect(await sessions(['list', '--from', path], io)).toBe(0);
    const line = io
      .text()
      .split('\n')
      .find((l) => l.startsWith(okId));
    expect(line?.split('\t')).toEqual(
      expect.arrayContaining([okId, 'open', 'postgres', 'orders-db', 'agent-42', '3']),
    );
  });

  test('show prints the refused authentication of a session', async () => {
    const io = capture();
    expect(await sessions(['show', refusedId.slice(0, 8), '--from', file], io)).toBe(0);
    expect(io.text()).toContain('auth REFUSED: AG_ERR_AUTH_TOKEN_EXPIRED token expired');
  });

  test('verify accepts an untouched session, from the collector file and from the spool', async () => {
    for (const from of [file, spoolDir]) {
      const io = capture();
      expect(await sessions(['verify', okId, '--from', from], io)).toBe(0);
      expect(io.text()).toContain('chain intact (3 commands');
    }
  });

  test('verify fails a session whose command text was edited', async () => {
    const tampered = spans.map((s) =>
      s.attributes['agentgate.command.seq'] === 2 && s.traceId === okId
        ? { ...s, attributes: { ...s.attributes, 'db.query.text': 'SELECT 1' } }
        : s,
    );
    const path = join(dir, 'tampered.jsonl');
    writeFileSync(path, `${jsonLine(tampered)}\n`);
    const io = capture();
    expect(await sessions(['verify', okId, '--from', path], io)).toBe(1);
    expect(io.text()).toContain('chain BROKEN');
    expect(io.text()).toMatch(/chain index 2\): hash does not match its content/);
  });

  test('verify fails a session edited in the spool, even with the record checksum recomputed', async () => {
    const copy = join(dir, 'spool-tampered');
    cpSync(spoolDir, copy, { recursive: true });
    // same length, so the protobuf framing stays valid and only the chain can tell
    const from = Buffer.from('DROP TABLE customers');
    const to = Buffer.from('DROP TABLE orderlogs');
    let edited = 0;
    for (const name of readdirSync(copy).filter((n) => n.startsWith('seg-'))) {
      const buf = readFileSync(join(copy, name));
      for (let off = 0; off + RECORD_HEADER <= buf.length; ) {
        const len = buf.readUInt32LE(off);
        const payload = buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len);
        const at = payload.indexOf(from);
        if (at >= 0 && payload.includes(Buffer.from(okId, 'hex'))) {
          to.copy(payload, at);
          buf.writeUInt32LE(crc32(payload), off + 4);
          edited++;
        }
        off += RECORD_HEADER + len;
      }
      writeFileSync(join(copy, name), buf);
    }
    expect(edited).toBeGreaterThan(0);
    const io = capture();
    expect(await sessions(['verify', okId, '--from', copy], io)).toBe(1);
    expect(io.text()).toContain('chain BROKEN');
    expect(io.text()).toMatch(/chain index 2\): hash does not match its content/);
  });

  test('verify fails a session with a command removed', async () => {
    const path = join(dir, 'removed.jsonl');
    writeFileSync(
      path,
      `${jsonLine(spans.filter((s) => !(s.traceId === okId && s.attributes['agentgate.command.seq'] === 1)))}\n`,
    );
    const io = capture();
    expect(await sessions(['verify', okId, '--from', path], io)).toBe(1);
    expect(io.text()).toContain('command 1 is missing');
  });

  test('verify fails a session whose last command was removed (the session span holds the final hash)', async () => {
    const path = join(dir, 'truncated.jsonl');
    writeFileSync(
      path,
      `${jsonLine(spans.filter((s) => !(s.traceId === okId && s.attributes['agentgate.command.seq'] === 3)))}\n`,
    );
    const io = capture();
    expect(await sessions(['verify', okId, '--from', path], io)).toBe(1);
    expect(io.text()).toContain('chain BROKEN');
  });

  test('replay prints each command in order with its decision, result and timing', async () => {
    const io = capture();
    expect(await replay([okId, '--from', file], { out: io.out, sleep: async () => {} })).toBe(0);
    const text = io.text();
    const allow = text.indexOf(
      '#1  ALLOW  SELECT customers  [shop/support-agent rule reads]  1.5 ms  3 rows, 412 B',
    );
    const deny = text.indexOf('#2  DENY   DROP customers  [shop/support-agent rule no-ddl]  120 us');
    const update = text.indexOf('#3  ALLOW  UPDATE orders');
    expect(allow).toBeGreaterThan(0);
    expect(deny).toBeGreaterThan(allow);
    expect(update).toBeGreaterThan(deny);
    expect(text).toContain('approved: areq-7x2k by dba-bob');
    expect(text).toContain('masked 6 (column.ssn 3, email_address 3)');
    expect(text).toContain('ended: 3 commands, in 200 B, out 900 B');
  });

  test('list, show and replay read the spool the same as the collector file', async () => {
    for (const cmd of [['list'], ['show', okId]]) {
      const fromFile = capture();
      const fromSpool = capture();
      expect(await sessions([...cmd, '--from', file], fromFile)).toBe(0);
      expect(await sessions([...cmd, '--from', spoolDir], fromSpool)).toBe(0);
      expect(fromSpool.text()).toBe(fromFile.text());
    }
    const fromSpool = capture();
    expect(await replay([okId, '--from', spoolDir], { out: fromSpool.out, sleep: async () => {} })).toBe(0);
    expect(fromSpool.text()).toContain(
      '#1  ALLOW  SELECT customers  [shop/support-agent rule reads]  1.5 ms  3 rows, 412 B',
    );
    expect(fromSpool.text()).toContain('ended: 3 commands, in 200 B, out 900 B');
  });

  test('replay --speed paces the gaps between commands, scaled', async () => {
    const waits: number[] = [];
    const io = capture();
    await replay([okId, '--from', file, '--speed', '5'], {
      out: io.out,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // commands at +5, +10, +20 ms, session end at +30 ms: gaps 5, 5, 10, 10 ms, five times faster
    expect(waits).toEqual([1, 1, 2, 2]);
  });
});
