// Span records straight to OTLP ExportTraceServiceRequest protobuf, field
// numbers as in opentelemetry-proto (collector/trace/v1, trace/v1, common/v1,
// resource/v1). This is the worker's serializer: the SDK's
// ProtobufTraceSerializer (otlp-serialize.ts) first builds an intermediate OTLP
// object graph per span and costs several times more CPU, and on a two-core pod
// every microsecond the audit worker spends per command is taken from the
// gateway and the database. otlp-encode.test.ts checks that both produce the
// same message, decoded with the official protos.
//
// A span is written as its canonical part (chain v2 hashes exactly these
// bytes, see chain.ts), then the chain hash attribute and the flags:
//   canonical = trace id, span id, parent, name, kind, start, end, attributes
//               sorted by key without the chain hash, events, links, status
// Protobuf lets repeated fields come apart (the hash attribute after the
// status), so what is exported is the canonical bytes themselves.

import { CHAIN_HASH } from './chain-attrs.js';
import { PbWriter, utf8Length, varintSize } from './pb-writer.js';
import type { Attrs, AttrValue, SpanRecord } from './span-record.js';

/** W3C sampled flag plus OTLP's HAS_IS_REMOTE bit; links add IS_REMOTE (the agent's span). */
export const SPAN_FLAGS = 0x101;
export const LINK_FLAGS = 0x301;

function anyValue(w: PbWriter, v: AttrValue): void {
  if (typeof v === 'string') {
    // An empty string is still a value: the field is written even when empty.
    w.string(1, v, true);
  } else if (typeof v === 'boolean') {
    w.tag(2, 0);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      w.tag(3, 0);
      w.int64(v);
    } else w.double(4, v);
  } else {
    const arr = w.begin(5);
    for (const x of v) {
      const at = w.begin(1);
      anyValue(w, x);
      w.end(at);
    }
    w.end(arr);
  }
}

/**
 * One KeyValue. Strings and non-negative integers (nearly every attribute) get
 * their lengths computed up front and are written in one pass; the rest
 * reserve and backpatch their length.
 */
export function keyValue(w: PbWriter, field: number, key: string, v: AttrValue): void {
  const klen = utf8Length(key);
  const kpart = 1 + varintSize(klen) + klen;
  if (typeof v === 'string') {
    const vlen = utf8Length(v);
    const any = 1 + varintSize(vlen) + vlen;
    w.tag(field, 2);
    w.varint(kpart + 1 + varintSize(any) + any);
    w.byte(0x0a);
    w.varint(klen);
    w.text(key, klen);
    w.byte(0x12);
    w.varint(any);
    w.byte(0x0a);
    w.varint(vlen);
    w.text(v, vlen);
  } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    const any = 1 + varintSize(v);
    w.tag(field, 2);
    w.varint(kpart + 1 + varintSize(any) + any);
    w.byte(0x0a);
    w.varint(klen);
    w.text(key, klen);
    w.byte(0x12);
    w.varint(any);
    w.byte(0x18);
    w.varint(v);
  } else {
    const at = w.begin(field);
    w.string(1, key);
    const inner = w.begin(2);
    anyValue(w, v);
    w.end(inner);
    w.end(at);
  }
}

/** Attributes in key order (UTF-16 code units, as Array.prototype.sort), the chain hash left out. */
function sortedAttrs(w: PbWriter, field: number, a: Attrs): void {
  const keys = Object.keys(a).sort();
  for (const k of keys) if (k !== CHAIN_HASH) keyValue(w, field, k, a[k]!);
}

/** The canonical part of a span (see the top of this file): what chain v2 hashes. */
export function canonicalSpan(w: PbWriter, s: SpanRecord): void {
  w.hex(1, s.traceId);
  w.hex(2, s.spanId);
  w.hex(4, s.parentSpanId);
  w.string(5, s.name);
  if (s.kind !== 0) {
    w.tag(6, 0);
    w.varint(s.kind);
  }
  w.fixed64(7, s.startNs);
  w.fixed64(8, s.endNs);
  sortedAttrs(w, 9, s.shared === undefined ? s.attributes : { ...s.shared, ...s.attributes });
  for (const e of s.events) {
    const at = w.begin(11);
    w.fixed64(1, e.timeNs);
    w.string(2, e.name);
    sortedAttrs(w, 3, e.attributes);
    w.end(at);
  }
  for (const l of s.links) {
    const at = w.begin(13);
    w.hex(1, l.traceId);
    w.hex(2, l.spanId);
    sortedAttrs(w, 4, l.attributes);
    w.fixed32(6, LINK_FLAGS);
    w.end(at);
  }
  const st = w.begin(15);
  w.string(2, s.status.message);
  if (s.status.code !== 0) {
    w.tag(3, 0);
    w.varint(s.status.code);
  }
  w.end(st);
}

/** The part of a span after its canonical bytes: the chain hash (when it has one) and the flags. */
export function spanTail(w: PbWriter, hash: string | undefined): void {
  if (hash !== undefined) keyValue(w, 9, CHAIN_HASH, hash);
  w.fixed32(16, SPAN_FLAGS);
}

export interface EncodeScope {
  readonly resource: Attrs;
  readonly name: string;
  readonly version: string;
}

/**
 * One ExportTraceServiceRequest being built: spans are appended as they come
 * (after room for the header), and the header, whose lengths depend on the
 * spans, is written in front of them at the end: nothing is moved.
 */
export class SpanBatch {
  readonly w: PbWriter;
  count = 0;
  private readonly resource: Buffer;
  private readonly scope: Buffer;
  private readonly headroom: number;
  private readonly head: PbWriter;

  constructor(scope: EncodeScope, size = 1 << 20) {
    const t = new PbWriter(4096);
    for (const k in scope.resource) keyValue(t, 1, k, scope.resource[k]!);
    this.resource = Buffer.from(t.buf.subarray(0, t.pos));
    t.pos = 0;
    t.string(1, scope.name);
    t.string(2, scope.version);
    this.scope = Buffer.from(t.buf.subarray(0, t.pos));
    // Three tags and four lengths of at most five bytes each around the two fixed parts.
    this.headroom = this.resource.length + this.scope.length + 32;
    this.w = new PbWriter(Math.max(size, this.headroom * 2));
    this.w.pos = this.headroom;
    this.head = new PbWriter(this.headroom);
  }

  /** Bytes of spans so far. */
  size(): number {
    return this.w.pos - this.headroom;
  }

  reset(): void {
    this.w.pos = this.headroom;
    this.count = 0;
  }

  /** Starts a span (ScopeSpans.spans); nearly every span needs two bytes of length. */
  beginSpan(): number {
    return this.w.begin(2, 2);
  }

  endSpan(mark: number): void {
    this.w.end(mark);
    this.count++;
  }

  add(s: SpanRecord): void {
    const m = this.beginSpan();
    canonicalSpan(this.w, s);
    const h = s.attributes[CHAIN_HASH];
    spanTail(this.w, typeof h === 'string' ? h : undefined);
    this.endSpan(m);
  }

  /** The request: a view of the batch's buffer, valid until the next reset. */
  finish(): Buffer {
    const spans = this.size();
    const scopeLen = this.scope.length;
    const resLen = this.resource.length;
    const ss = 1 + varintSize(scopeLen) + scopeLen + spans;
    const rs = 1 + varintSize(resLen) + resLen + 1 + varintSize(ss) + ss;
    const head = this.head;
    head.pos = 0;
    head.byte(0x0a);
    head.varint(rs);
    head.byte(0x0a);
    head.varint(resLen);
    head.bytes(this.resource);
    head.byte(0x12);
    head.varint(ss);
    head.byte(0x0a);
    head.varint(scopeLen);
    head.bytes(this.scope);
    const start = this.headroom - head.pos;
    head.buf.copy(this.w.buf, start, 0, head.pos);
    return this.w.buf.subarray(start, this.w.pos);
  }
}

const scratch = new Map<string, SpanBatch>();

/**
 * One ExportTraceServiceRequest: one resource, one scope, the spans in order.
 * The result is a view of a buffer the next call overwrites: consume (or copy) it first.
 */
export function encodeSpans(spans: readonly SpanRecord[], scope: EncodeScope): Buffer {
  const key = JSON.stringify(scope);
  let b = scratch.get(key);
  if (b === undefined) {
    if (scratch.size > 8) scratch.clear();
    b = new SpanBatch(scope, 1 << 16);
    scratch.set(key, b);
  }
  b.reset();
  for (const s of spans) b.add(s);
  return b.finish();
}
