// OTLP JSON (the protobuf JSON mapping with hex ids, as the OpenTelemetry
// collector's file exporter writes one ExportTraceServiceRequest per line) to
// span records, and back for tools and tests that write such files.

import { agError } from '../../common/errors.js';
import { type Attrs, type AttrValue, type SpanRecord, spanAttributes } from './span-record.js';

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: JsonAnyValue[] };
  bytesValue?: string;
}
interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: JsonKeyValue[];
  events?: { name?: string; timeUnixNano?: string | number; attributes?: JsonKeyValue[] }[];
  links?: { traceId?: string; spanId?: string; attributes?: JsonKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
export interface JsonTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: JsonSpan[] }[];
  }[];
}

const KINDS: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const CODES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

function enumValue(v: number | string | undefined, names: Readonly<Record<string, number>>): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : (names[v] ?? Number(v));
}

function jsonValue(v: JsonAnyValue | undefined): AttrValue {
  if (v === undefined || v === null) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue, 'base64').toString('hex');
  return '';
}

function jsonAttrs(kvs: JsonKeyValue[] | undefined): Attrs {
  const out: Attrs = {};
  for (const kv of kvs ?? []) out[kv.key] = jsonValue(kv.value);
  return out;
}

function ns(v: string | number | undefined): bigint {
  return v === undefined ? 0n : BigInt(v);
}

/** Span records of one OTLP JSON request. */
export function fromOtlpJson(req: JsonTraceRequest): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = jsonAttrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: (s.traceId ?? '').toLowerCase(),
          spanId: (s.spanId ?? '').toLowerCase(),
          parentSpanId: (s.parentSpanId ?? '').toLowerCase(),
          name: s.name ?? '',
          kind: enumValue(s.kind, KINDS),
          startNs: ns(s.startTimeUnixNano),
          endNs: ns(s.endTimeUnixNano),
          attributes: jsonAttrs(s.attributes),
          status: { code: enumValue(s.status?.code, CODES), message: s.status?.message ?? '' },
          links: (s.links ?? []).map((l) => ({
            traceId: (l.traceId ?? '').toLowerCase(),
            spanId: (l.spanId ?? '').toLowerCase(),
            attributes: jsonAttrs(l.attributes),
          })),
          events: (s.events ?? []).map((e) => ({
            name: e.name ?? '',
            timeNs: ns(e.timeUnixNano),
            attributes: jsonAttrs(e.attributes),
          })),
          resource,
        });
      }
    }
  }
  return out;
}

/** Span records of an OTLP JSON lines text; `source` names the file in errors. */
export function parseOtlpJsonLines(text: string, source: string): SpanRecord[] {
  const out: SpanRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let req: JsonTraceRequest;
    try {
      req = JSON.parse(line) as JsonTraceRequest;
    } catch (err) {
      throw agError('AG_ERR_AUDIT_CORRUPT', `${source}:${i + 1}: ${(err as Error).message}`);
    }
    out.push(...fromOtlpJson(req));
  }
  return out;
}

function toJsonValue(v: AttrValue): JsonAnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { arrayValue: { values: v.map(toJsonValue) } };
}

function toJsonAttrs(a: Attrs): JsonKeyValue[] {
  return Object.entries(a).map(([key, v]) => ({ key, value: toJsonValue(v) }));
}

/** One OTLP JSON request holding the spans (one resource: the first span's). */
export function toOtlpJson(spans: readonly SpanRecord[]): JsonTraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: toJsonAttrs(spans[0]?.resource ?? {}) },
        scopeSpans: [
          {
            scope: { name: 'agentgate' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: s.startNs.toString(),
              endTimeUnixNano: s.endNs.toString(),
              attributes: toJsonAttrs(spanAttributes(s)),
              events: s.events.map((e) => ({
                name: e.name,
                timeUnixNano: e.timeNs.toString(),
                attributes: toJsonAttrs(e.attributes),
              })),
              links: s.links.map((l) => ({
                traceId: l.traceId,
                spanId: l.spanId,
                attributes: toJsonAttrs(l.attributes),
              })),
              status: s.status.message === '' ? { code: s.status.code } : s.status,
            })),
          },
        ],
      },
    ],
  };
}
