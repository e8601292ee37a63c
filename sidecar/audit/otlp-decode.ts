// Reads OTLP ExportTraceServiceRequest protobuf (what the spool holds) into span
// records, for `agentgate sessions` and `replay`. A small synchronous wire
// reader with bounds on every length, following opentelemetry-proto's field
// numbers (collector/trace/v1, trace/v1, common/v1, resource/v1); unknown fields
// are skipped, as protobuf requires.

import { agError } from '../../common/errors.js';
import type { Attrs, AttrValue, SpanEventRecord, SpanLinkRecord, SpanRecord } from './span-record.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end)
        throw agError('AG_ERR_AUDIT_CORRUPT', 'protobuf varint runs past its message');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw agError('AG_ERR_AUDIT_CORRUPT', 'protobuf varint longer than 10 bytes');
  }

  num(): number {
    return Number(this.varint());
  }

  fixed64(): bigint {
    this.need(8);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readBigUInt64LE(0);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field as a sub-reader. */
  sub(): Reader {
    const len = this.num();
    this.need(len);
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  bytesHex(): string {
    const r = this.sub();
    return Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, r.end - r.pos).toString('hex');
  }

  string(): string {
    const r = this.sub();
    return Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, r.end - r.pos).toString('utf8');
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === LEN) this.sub();
    else if (wire === I64 || wire === I32) {
      const n = wire === I64 ? 8 : 4;
      this.need(n);
      this.pos += n;
    } else throw agError('AG_ERR_AUDIT_CORRUPT', `protobuf wire type ${wire} not supported`);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end)
      throw agError('AG_ERR_AUDIT_CORRUPT', 'protobuf field runs past its message');
  }
}

/** Iterates (field number, wire type) pairs; the callback reads or skips the value. */
function fields(r: Reader, on: (field: number, wire: number) => void): void {
  while (r.more()) {
    const tag = r.num();
    const before = r.pos;
    on(tag >>> 3, tag & 7);
    if (r.pos === before) r.skip(tag & 7);
  }
}

function anyValue(r: Reader): AttrValue {
  let v: AttrValue = '';
  fields(r, (f, w) => {
    if (f === 1 && w === LEN) v = r.string();
    else if (f === 2 && w === VARINT) v = r.num() !== 0;
    else if (f === 3 && w === VARINT) v = Number(BigInt.asIntN(64, r.varint()));
    else if (f === 4 && w === I64) v = r.double();
    else if (f === 5 && w === LEN) {
      const arr: AttrValue[] = [];
      const sub = r.sub();
      fields(sub, (f2, w2) => {
        if (f2 === 1 && w2 === LEN) arr.push(anyValue(sub.sub()));
      });
      v = arr;
    } else if (f === 7 && w === LEN) v = r.bytesHex();
  });
  return v;
}

function keyValue(r: Reader, into: Attrs): void {
  let key = '';
  let value: AttrValue = '';
  fields(r, (f, w) => {
    if (f === 1 && w === LEN) key = r.string();
    else if (f === 2 && w === LEN) value = anyValue(r.sub());
  });
  into[key] = value;
}

function event(r: Reader): SpanEventRecord {
  let name = '';
  let timeNs = 0n;
  const attributes: Attrs = {};
  fields(r, (f, w) => {
    if (f === 1 && w === I64) timeNs = r.fixed64();
    else if (f === 2 && w === LEN) name = r.string();
    else if (f === 3 && w === LEN) keyValue(r.sub(), attributes);
  });
  return { name, timeNs, attributes };
}

function link(r: Reader): SpanLinkRecord {
  let traceId = '';
  let spanId = '';
  const attributes: Attrs = {};
  fields(r, (f, w) => {
    if (f === 1 && w === LEN) traceId = r.bytesHex();
    else if (f === 2 && w === LEN) spanId = r.bytesHex();
    else if (f === 4 && w === LEN) keyValue(r.sub(), attributes);
  });
  return { traceId, spanId, attributes };
}

function span(r: Reader, resource: Attrs): SpanRecord {
  const s = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {} as Attrs,
    status: { code: 0, message: '' },
    links: [] as SpanLinkRecord[],
    events: [] as SpanEventRecord[],
    resource,
  };
  fields(r, (f, w) => {
    if (w === LEN) {
      if (f === 1) s.traceId = r.bytesHex();
      else if (f === 2) s.spanId = r.bytesHex();
      else if (f === 4) s.parentSpanId = r.bytesHex();
      else if (f === 5) s.name = r.string();
      else if (f === 9) keyValue(r.sub(), s.attributes);
      else if (f === 11) s.events.push(event(r.sub()));
      else if (f === 13) s.links.push(link(r.sub()));
      else if (f === 15) {
        const st = r.sub();
        fields(st, (f2, w2) => {
          if (f2 === 2 && w2 === LEN) s.status.message = st.string();
          else if (f2 === 3 && w2 === VARINT) s.status.code = st.num();
        });
      }
    } else if (f === 6 && w === VARINT) s.kind = r.num();
    else if (f === 7 && w === I64) s.startNs = r.fixed64();
    else if (f === 8 && w === I64) s.endNs = r.fixed64();
  });
  return s;
}

/** Decodes one ExportTraceServiceRequest (or several concatenated: repeated fields merge). */
export function decodeTraceRequest(buf: Uint8Array): SpanRecord[] {
  const out: SpanRecord[] = [];
  const top = new Reader(buf, 0, buf.length);
  fields(top, (f, w) => {
    if (f !== 1 || w !== LEN) return;
    const rs = top.sub();
    const resource: Attrs = {};
    const scopes: Reader[] = [];
    fields(rs, (f2, w2) => {
      if (w2 !== LEN) return;
      if (f2 === 1) {
        const res = rs.sub();
        fields(res, (f3, w3) => {
          if (f3 === 1 && w3 === LEN) keyValue(res.sub(), resource);
        });
      } else if (f2 === 2) scopes.push(rs.sub());
    });
    // The resource may come after its spans on the wire; read spans once it is known.
    for (const ss of scopes) {
      fields(ss, (f3, w3) => {
        if (f3 === 2 && w3 === LEN) out.push(span(ss.sub(), resource));
      });
    }
  });
  return out;
}
