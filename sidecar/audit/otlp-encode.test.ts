import { SID, start } from '../../test/audit/command-variety.js';
import { decodeOtlp } from '../../test/audit/otlp-receiver.js';
import { IDENTITY, scriptedCommands } from '../../test/audit/scripted-session.js';
import { canonicalBytes } from './chain.js';
import { decodeTraceRequest } from './otlp-decode.js';
import { encodeSpans } from './otlp-encode.js';
import { fromOtlpJson, toOtlpJson } from './otlp-json.js';
import { makeScope, serializeSpans } from './otlp-serialize.js';
import { type SpanRecord, spanAttributes } from './span-record.js';
import { commandSpan, openSession, sessionSpan } from './spans.js';

function sampleSpans(): SpanRecord[] {
  const t0 = 1_764_000_000_123.25;
  const st = openSession(start('postgres', { startedAt: t0 }), 'aaaaaaaaaaaaaaaa');
  st.auth = { sessionId: SID, at: t0 + 1, ok: true, identity: IDENTITY, database: 'orders' };
  const out = scriptedCommands(SID, t0).map((e, i) => commandSpan(st, e, `bbbbbbbbbbbbbb${i}${i}`));
  out.push(
    commandSpan(
      st,
      {
        sessionId: SID,
        seq: 4,
        startedAt: t0 + 40,
        durationUs: 0.5,
        text: "SELECT 'ünïcødé ✓ 𝄞', '', E'\\x01\u0001'",
        operations: ['SELECT', 'SELECT'],
        tables: [],
        decision: 'error',
        policy: '',
        rule: '',
        rows: -1,
        bytes: 1.5,
      },
      'cccccccccccccccc',
    ),
  );
  out.push(sessionSpan(st, { sessionId: SID, endedAt: t0 + 50, commands: 4, bytesIn: 1, bytesOut: 2 }));
  return out;
}

/** A span's chain v2 canonical bytes, hex (canonicalBytes returns a view it reuses). */
const canonical = (s: SpanRecord): string => canonicalBytes(s).toString('hex');

const RESOURCE = { 'service.name': 'agentgate-sidecar', 'k8s.pod.name': 'agent-0' };

describe('OTLP protobuf encoding', () => {
  test('the hand encoder and the SDK serializer produce the same message, read with the official protos', () => {
    const spans = sampleSpans();
    const ours = decodeOtlp(encodeSpans(spans, { resource: RESOURCE, name: 'agentgate', version: '0.1.0' }));
    const sdk = decodeOtlp(serializeSpans(spans, makeScope(RESOURCE, '0.1.0')));
    expect(ours).toEqual(sdk);
    expect(ours).toHaveLength(5);
    expect(ours[3]!.attributes['agentgate.rows']).toBe(-1);
    expect(ours[3]!.attributes['agentgate.bytes']).toBe(1.5);
    expect(ours[3]!.attributes['db.query.text']).toBe("SELECT 'ünïcødé ✓ 𝄞', '', E'\\x01\u0001'");
  });

  test('our decoder reads back exactly the span records that were encoded', () => {
    const spans = sampleSpans();
    const back = decodeTraceRequest(
      encodeSpans(spans, { resource: RESOURCE, name: 'agentgate', version: '1' }),
    );
    const flat = (s: SpanRecord) => ({
      ...s,
      attributes: spanAttributes(s),
      shared: undefined,
      resource: undefined,
    });
    expect(back.map(flat)).toEqual(spans.map(flat));
    expect(back.map(canonical)).toEqual(spans.map(canonical));
  });

  test('concatenated requests decode as one (how the spool batches records)', () => {
    const spans = sampleSpans();
    const scope = { resource: RESOURCE, name: 'agentgate', version: '1' };
    // encodeSpans returns a view of its scratch buffer: copy the first before the second call.
    const first = Buffer.from(encodeSpans(spans.slice(0, 2), scope));
    const joined = Buffer.concat([first, encodeSpans(spans.slice(2), scope)]);
    expect(decodeOtlp(joined).map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId));
  });

  test('the canonical bytes of a span survive the OTLP JSON round trip', () => {
    const spans = sampleSpans();
    const back = fromOtlpJson(JSON.parse(JSON.stringify(toOtlpJson(spans))));
    expect(back.map(canonical)).toEqual(spans.map(canonical));
  });
});
