// Span records to OTLP/HTTP protobuf bytes through the OpenTelemetry SDK's own
// serializer (@opentelemetry/otlp-transformer), so what we spool and send is
// byte for byte what the SDK's OTLP exporter would send. We hand it
// ReadableSpan-shaped objects rather than going through a Tracer: our ids, times
// and parents are given (trace id = session id), and a Tracer span costs
// several microseconds more per span for bookkeeping we do not need.

import type { Attributes, HrTime, Link, SpanContext } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { type Attrs, type SpanRecord, spanAttributes } from './span-record.js';

const SAMPLED = 1;

function hr(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

function attrs(a: Attrs): Attributes {
  return a as Attributes;
}

export interface Scope {
  readonly resource: Resource;
  readonly scope: { readonly name: string; readonly version: string };
}

export function makeScope(resourceAttrs: Attrs, version: string): Scope {
  return { resource: resourceFromAttributes(attrs(resourceAttrs)), scope: { name: 'agentgate', version } };
}

function toReadable(s: SpanRecord, sc: Scope): ReadableSpan {
  const ctx: SpanContext = { traceId: s.traceId, spanId: s.spanId, traceFlags: SAMPLED };
  const links: Link[] = s.links.map((l) => ({
    context: { traceId: l.traceId, spanId: l.spanId, traceFlags: SAMPLED, isRemote: true },
    attributes: attrs(l.attributes),
  }));
  const events: TimedEvent[] = s.events.map((e) => ({
    name: e.name,
    time: hr(e.timeNs),
    attributes: attrs(e.attributes),
  }));
  const parent: SpanContext | undefined =
    s.parentSpanId === '' ? undefined : { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: SAMPLED };
  return {
    name: s.name,
    kind: s.kind - 1,
    spanContext: () => ctx,
    ...(parent === undefined ? {} : { parentSpanContext: parent }),
    startTime: hr(s.startNs),
    endTime: hr(s.endNs),
    duration: hr(s.endNs - s.startNs),
    status: { code: s.status.code, ...(s.status.message === '' ? {} : { message: s.status.message }) },
    attributes: attrs(spanAttributes(s)),
    links,
    events,
    ended: true,
    resource: sc.resource,
    instrumentationScope: sc.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** One ExportTraceServiceRequest holding the spans. */
export function serializeSpans(spans: readonly SpanRecord[], sc: Scope): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(spans.map((s) => toReadable(s, sc)));
  if (bytes === undefined) throw new Error('OTLP serializer returned nothing');
  return bytes;
}
