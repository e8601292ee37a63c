import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHAIN_HASH } from '../../sidecar/audit/chain.js';
import { decodeTraceRequest } from '../../sidecar/audit/otlp-decode.js';
import { groupSessions } from '../../sidecar/audit/session-store.js';
import { createAuditSink, type DurableAuditSink } from '../../sidecar/audit/sink.js';
import { verifySession } from '../../sidecar/audit/verify.js';
import { killHard, spawnTs, waitForOutput } from './child.js';
import { freePort, OtlpReceiver } from './otlp-receiver.js';
import { feedSession, sessionId } from './scripted-session.js';

function distinct(r: OtlpReceiver): number {
  return new Set(r.spans.map((s) => `${s.traceId}/${s.spanId}`)).size;
}

describe('audit spool: nothing lost', () => {
  let dir: string;
  let receiver: OtlpReceiver;
  let sink: DurableAuditSink | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ag-spool-'));
    receiver = new OtlpReceiver();
  });

  /** A sink whose collector is up but answers 503 until the test says otherwise; quick retries. */
  async function behindRefusingCollector(): Promise<DurableAuditSink> {
    await receiver.start(0);
    receiver.failWith = 503;
    return createAuditSink({
      otlpEndpoint: receiver.endpoint,
      spoolDir: dir,
      retryMinMs: 20,
      retryMaxMs: 40,
    });
  }

  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('collector down for the whole session, then up: every span arrives exactly once', async () => {
    const port = await freePort();
    sink = createAuditSink({
      otlpEndpoint: `http://127.0.0.1:${port}`,
      spoolDir: dir,
      retryMinMs: 20,
      retryMaxMs: 50,
    });
    const sessions = 25;
    for (let i = 0; i < sessions; i++) feedSession(sink);
    await sink.flush();
    expect(sink.stats().spansSpooled).toBe(sessions * 4);
    expect(sink.stats().spansExported).toBe(0);
    while (sink.stats().exportFailures < 2) await new Promise((r) => setTimeout(r, 10));
    await receiver.start(port);
    await receiver.waitForSpans(sessions * 4);
    await sink.close();
    sink = undefined;
    expect(receiver.spans).toHaveLength(sessions * 4);
    expect(distinct(receiver)).toBe(sessions * 4);
  });

  test('a collector answering 503 keeps the spans spooled until it accepts them', async () => {
    sink = await behindRefusingCollector();
    feedSession(sink);
    await sink.flush();
    while (sink.stats().exportFailures < 2) await new Promise((r) => setTimeout(r, 10));
    expect(sink.stats().backlogSpans).toBe(4);
    receiver.failWith = undefined;
    await receiver.waitForSpans(4);
    expect(distinct(receiver)).toBe(4);
  });

  test('a collector with a request size limit (413) gets the backlog in requests that fit, each span once', async () => {
    sink = await behindRefusingCollector();
    // One spool record per session (a group commit each), about 4 KB apiece.
    const sessions = 12;
    for (let i = 0; i < sessions; i++) {
      feedSession(sink);
      await sink.flush();
    }
    while (sink.stats().exportFailures < 1) await new Promise((r) => setTimeout(r, 10));
    receiver.maxBodyBytes = 12_000;
    receiver.failWith = undefined;
    await receiver.waitForSpans(sessions * 4);
    expect(distinct(receiver)).toBe(sessions * 4);
    expect(receiver.spans).toHaveLength(sessions * 4);
    for (const b of receiver.bodies) expect(b.length).toBeLessThanOrEqual(12_000);
    // The limit is learnt: a few refusals while halving, not one per request.
    expect(receiver.tooLarge).toBeGreaterThanOrEqual(1);
    expect(receiver.tooLarge).toBeLessThanOrEqual(3);
    expect(receiver.bodies.length).toBeLessThan(sessions);
    expect(sink.stats().spansRejected).toBe(0);
  });

  test('sidecar killed with SIGKILL mid-session: spans spooled before the kill arrive after restart', async () => {
    const sid = sessionId();
    const downPort = await freePort();
    const child = spawnTs(new URL('./sink-child.ts', import.meta.url), {
      SPOOL_DIR: dir,
      SESSION_ID: sid,
      OTLP_ENDPOINT: `http://127.0.0.1:${downPort}`,
    });
    try {
      await waitForOutput(child, 'spooled');
    } finally {
      await killHard(child);
    }
    await receiver.start(0);
    sink = createAuditSink({ otlpEndpoint: receiver.endpoint, spoolDir: dir });
    await receiver.waitForSpans(3);
    const spans = receiver.spans.filter((s) => s.traceId === sid);
    const commands = spans.filter((s) => s.name === 'agentgate.command');
    expect(commands.map((c) => c.attributes['agentgate.command.seq']).sort()).toEqual([1, 2]);
    // The restarted sidecar closes the session the killed one left open, chained over both commands.
    const root = spans.find((s) => s.name === 'agentgate.session')!;
    expect(root.attributes).toMatchObject({
      'agentgate.session.incomplete': true,
      'agentgate.session.error': 'sidecar restarted before the session ended',
      'agentgate.chain.length': 2,
      'enduser.id': 'agent-42',
    });
    expect(root.attributes[CHAIN_HASH]).toMatch(/^[0-9a-f]{64}$/);
    expect(commands.every((c) => c.parentSpanId === root.spanId)).toBe(true);
    // The root span closes the chain from the recovered position: the whole session verifies.
    const records = receiver.bodies.flatMap((b) => decodeTraceRequest(b)).filter((r) => r.traceId === sid);
    const [session] = groupSessions(records);
    expect(verifySession(session!)).toMatchObject({ ok: true, problems: [], verified: 2 });
    expect(distinct(receiver)).toBe(receiver.spans.length);
  });

  test('onFull block: a full spool makes the sink unwritable until the collector drains it, and nothing is dropped', async () => {
    const port = await freePort();
    sink = createAuditSink({
      otlpEndpoint: `http://127.0.0.1:${port}`,
      spoolDir: dir,
      maxSpoolBytes: 1 << 20,
      onFull: 'block',
      retryMinMs: 20,
      retryMaxMs: 40,
    });
    const big = 'x'.repeat(30_000);
    const sid = sessionId();
    const t0 = Date.now();
    let seq = 0;
    const command = (): void =>
      sink!.command({
        sessionId: sid,
        seq: ++seq,
        startedAt: t0 + seq,
        durationUs: 10,
        text: `SELECT '${big}'`,
        operations: ['SELECT'],
        tables: [],
        decision: 'allow',
        policy: 'p',
        rule: 'r',
      });
    await sink.ready();
    // Record until the spool is full; a short lag of the worker behind the ring is not that.
    while (!sink.stats().spoolFull && seq < 1000) {
      if (sink.writable()) command();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(sink.writable()).toBe(false);
    expect(sink.stats().spoolFull).toBe(true);
    const recorded = seq;
    await receiver.start(port);
    await sink.whenWritable();
    sink.sessionEnd({ sessionId: sid, endedAt: Date.now(), commands: recorded, bytesIn: 0, bytesOut: 0 });
    await sink.flush();
    while (sink.stats().backlogSpans > 0) await new Promise((r) => setTimeout(r, 10));
    expect(sink.stats().spansDropped).toBe(0);
    expect(distinct(receiver)).toBe(recorded + 1); // the commands and the session span
  });

  test('onFull drop-oldest: the oldest spans go, the sink stays writable, and the loss is counted', async () => {
    const port = await freePort();
    sink = createAuditSink({
      otlpEndpoint: `http://127.0.0.1:${port}`,
      spoolDir: dir,
      maxSpoolBytes: 1 << 20,
      onFull: 'drop-oldest',
      retryMinMs: 20,
      retryMaxMs: 40,
    });
    const big = 'y'.repeat(30_000);
    const sid = sessionId();
    const total = 150;
    for (let seq = 1; seq <= total; seq++) {
      sink.command({
        sessionId: sid,
        seq,
        startedAt: Date.now(),
        durationUs: 10,
        text: `SELECT '${big}'`,
        operations: ['SELECT'],
        tables: [],
        decision: 'allow',
        policy: 'p',
        rule: 'r',
      });
      if (seq % 10 === 0) await sink.flush();
    }
    await sink.flush();
    expect(sink.stats().spansDropped).toBeGreaterThan(0);
    expect(sink.writable()).toBe(true);
    await receiver.start(port);
    sink.sessionEnd({ sessionId: sid, endedAt: Date.now(), commands: total, bytesIn: 0, bytesOut: 0 });
    await sink.flush();
    while (sink.stats().backlogSpans > 0) await new Promise((r) => setTimeout(r, 10));
    const { spansDropped, spansSpooled } = sink.stats();
    expect(spansSpooled).toBe(total + 1);
    expect(distinct(receiver) + spansDropped).toBe(total + 1);
  });
});
