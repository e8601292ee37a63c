// Span records straight to OTLP ExportTraceServiceRequest protobuf, field
// numbers as in opentelemetry-proto (collector/trace/v1, trace/v1, common/v1,
// resource/v1). This is the worker's serializer: the SDK's
// ProtobufTraceSerializer (otlp-serialize.ts) first builds an intermediate OTLP
// object graph per span and costs several times more CPU, and on a two-core pod
// every microsecond the audit worker spends per command is taken from the
// gateway and the database. otlp-encode.test.ts checks that both produce the
// same message, decoded with the official protos.

import type { Attrs, AttrValue, SpanRecord } from './span-record.js';

/** W3C sampled flag plus OTLP's HAS_IS_REMOTE bit; links add IS_REMOTE (the agent's span). */
const SPAN_FLAGS = 0x101;
const LINK_FLAGS = 0x301;
const LEN_RESERVE = 5;

/** Printable ASCII plus tab and line breaks: one byte per character (other text takes the UTF-8 path). */
const ASCII = /^[\t\n\r\x20-\x7e]*$/;

/** Node's Buffer has latin1Write (the bytes of ASCII text) without Buffer.write's argument handling; @types/node does not declare it. */
interface Latin1Writable {
  latin1Write(s: string, offset: number, length: number): number;
}

/** A lower-case hex digit's value (ids are lower-case hex throughout). */
function nibble(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

class PbWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }

  /** int64 as protobuf writes it: negatives in ten bytes of two's complement. */
  int64(v: number): void {
    if (v >= 0) {
      this.varint(v);
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** Starts a length-delimited field; `end` writes the length once the content is known. */
  begin(field: number): number {
    this.tag(field, 2);
    this.ensure(LEN_RESERVE);
    const at = this.pos;
    this.pos += LEN_RESERVE;
    return at;
  }

  end(at: number): void {
    const len = this.pos - at - LEN_RESERVE;
    let n = 1;
    for (let v = len; v > 0x7f; v = Math.floor(v / 128)) n++;
    const save = this.pos;
    this.pos = at;
    this.varint(len);
    if (n < LEN_RESERVE) this.buf.copyWithin(at + n, at + LEN_RESERVE, save);
    this.pos = save - (LEN_RESERVE - n);
  }

  /** ASCII (keys, most values) goes through latin1Write: Buffer.write's argument handling costs more than the copy. */
  string(field: number, s: string, always = false): void {
    if (s.length === 0 && !always) return;
    const ascii = ASCII.test(s);
    const len = ascii ? s.length : Buffer.byteLength(s);
    this.tag(field, 2);
    this.varint(len);
    this.raw(s, len, ascii);
  }

  /** The bytes of a string whose UTF-8 length is known. */
  raw(s: string, len: number, ascii: boolean): void {
    this.ensure(len);
    if (ascii) (this.buf as unknown as Latin1Writable).latin1Write(s, this.pos, len);
    else this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  hex(field: number, h: string): void {
    if (h === '') return;
    const n = h.length >> 1;
    this.tag(field, 2);
    this.varint(n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = (nibble(h.charCodeAt(2 * i)) << 4) | nibble(h.charCodeAt(2 * i + 1));
    this.pos = p;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  fixed32(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
}

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

function varintSize(v: number): number {
  let n = 1;
  for (; v > 0x7f; v = Math.floor(v / 128)) n++;
  return n;
}

/**
 * KeyValue messages. Strings and non-negative integers (nearly every attribute)
 * get their lengths computed up front and are written in one pass; the rest
 * reserve and backpatch their length.
 */
function keyValues(w: PbWriter, field: number, a: Attrs): void {
  for (const key in a) {
    const v = a[key]!;
    const kAscii = ASCII.test(key);
    const klen = kAscii ? key.length : Buffer.byteLength(key);
    const kpart = 1 + varintSize(klen) + klen;
    if (typeof v === 'string') {
      const vAscii = ASCII.test(v);
      const vlen = vAscii ? v.length : Buffer.byteLength(v);
      const any = 1 + varintSize(vlen) + vlen;
      w.tag(field, 2);
      w.varint(kpart + 1 + varintSize(any) + any);
      w.tag(1, 2);
      w.varint(klen);
      w.raw(key, klen, kAscii);
      w.tag(2, 2);
      w.varint(any);
      w.tag(1, 2);
      w.varint(vlen);
      w.raw(v, vlen, vAscii);
    } else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      const any = 1 + varintSize(v);
      w.tag(field, 2);
      w.varint(kpart + 1 + varintSize(any) + any);
      w.tag(1, 2);
      w.varint(klen);
      w.raw(key, klen, kAscii);
      w.tag(2, 2);
      w.varint(any);
      w.tag(3, 0);
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
}

/** A session's shared attributes, encoded once as repeated KeyValue field 9 and copied into each span. */
const sharedEncoded = new WeakMap<Attrs, Buffer>();
const sharedWriter = new PbWriter(4096);

function sharedBytes(a: Attrs): Buffer {
  let b = sharedEncoded.get(a);
  if (b === undefined) {
    sharedWriter.pos = 0;
    keyValues(sharedWriter, 9, a);
    b = Buffer.from(sharedWriter.buf.subarray(0, sharedWriter.pos));
    sharedEncoded.set(a, b);
  }
  return b;
}

function span(w: PbWriter, s: SpanRecord): void {
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
  keyValues(w, 9, s.attributes);
  if (s.shared !== undefined) w.bytes(sharedBytes(s.shared));
  for (const e of s.events) {
    const at = w.begin(11);
    w.fixed64(1, e.timeNs);
    w.string(2, e.name);
    keyValues(w, 3, e.attributes);
    w.end(at);
  }
  for (const l of s.links) {
    const at = w.begin(13);
    w.hex(1, l.traceId);
    w.hex(2, l.spanId);
    keyValues(w, 4, l.attributes);
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
  w.fixed32(16, SPAN_FLAGS);
}

export interface EncodeScope {
  readonly resource: Attrs;
  readonly name: string;
  readonly version: string;
}

/**
 * One writer reused for every batch: fresh half-megabyte buffers per batch cost
 * page faults (expensive in a VM) and garbage collection.
 */
const scratch = new PbWriter(1 << 20);

/**
 * One ExportTraceServiceRequest: one resource, one scope, the spans in order.
 * The result is a view of a buffer the next call overwrites: consume (or copy) it first.
 */
export function encodeSpans(spans: readonly SpanRecord[], scope: EncodeScope): Buffer {
  const w = scratch;
  w.pos = 0;
  const rs = w.begin(1);
  const res = w.begin(1);
  keyValues(w, 1, scope.resource);
  w.end(res);
  const ss = w.begin(2);
  const sc = w.begin(1);
  w.string(1, scope.name);
  w.string(2, scope.version);
  w.end(sc);
  for (const s of spans) {
    const at = w.begin(2);
    span(w, s);
    w.end(at);
  }
  w.end(ss);
  w.end(rs);
  return w.buf.subarray(0, w.pos);
}
