// A test OTLP/HTTP collector on loopback. It decodes every request with the
// official OpenTelemetry protos (the protobufjs code generated from
// opentelemetry-proto, as shipped in @opentelemetry/otlp-proto-exporter-base),
// independently of the serializer and decoder agentgate uses, and keeps the raw
// bytes so tests can search them. It can refuse requests (answer 503) or be
// stopped and restarted on the same port to play a collector outage.

import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface LongLike {
  toString(): string;
}
interface PbAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongLike | number;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue;
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array | null;
  name: string;
  kind: number;
  startTimeUnixNano: LongLike;
  endTimeUnixNano: LongLike;
  attributes?: PbKeyValue[];
  events?: { name: string; timeUnixNano: LongLike; attributes?: PbKeyValue[] }[];
  links?: { traceId: Uint8Array; spanId: Uint8Array; attributes?: PbKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface PbRequest {
  resourceSpans?: {
    resource?: { attributes?: PbKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: PbSpan[] }[];
  }[];
}
interface GeneratedRoot {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: { decode(b: Uint8Array): PbRequest } } };
      };
    };
  };
}

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root.js') as GeneratedRoot;
const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export type Value = string | number | boolean | Value[];

/** A span as the receiver decoded it: hex ids, string nanoseconds, plain attribute values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, Value>;
  events: { name: string; timeUnixNano: string; attributes: Record<string, Value> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, Value> }[];
  status: { code: number; message: string };
  resource: Record<string, Value>;
  scope: string;
}

function hex(b: Uint8Array | null | undefined): string {
  return b === undefined || b === null ? '' : Buffer.from(b).toString('hex');
}

function value(v: PbAnyValue | undefined): Value {
  if (v === undefined) return '';
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue.toString());
  if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
  if (v.arrayValue !== undefined && v.arrayValue !== null) return (v.arrayValue.values ?? []).map(value);
  return '';
}

function attrs(kvs: PbKeyValue[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const kv of kvs ?? []) out[kv.key] = value(kv.value);
  return out;
}

/** Decodes one OTLP/HTTP protobuf body with the official protos. */
export function decodeOtlp(body: Uint8Array): ReceivedSpan[] {
  const req = ExportTraceServiceRequest.decode(body);
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startTimeUnixNano.toString(),
          endTimeUnixNano: s.endTimeUnixNano.toString(),
          attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            timeUnixNano: e.timeUnixNano.toString(),
            attributes: attrs(e.attributes),
          })),
          links: (s.links ?? []).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            attributes: attrs(l.attributes),
          })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every accepted request body, as received. */
  readonly bodies: Buffer[] = [];
  requests = 0;
  /** While set, requests are answered with this status and not kept. */
  failWith: number | undefined = undefined;
  /** While set, larger bodies are answered 413 and not kept, as a collector's request size limit does. */
  maxBodyBytes: number | undefined = undefined;
  /** Requests answered 413. */
  tooLarge = 0;
  private server: http.Server | undefined;
  private portNumber = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  get port(): number {
    return this.portNumber;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** Listens on `port` (0: any free port; reuse the old one to come back after an outage). */
  async start(port = this.portNumber): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        if (req.url !== '/v1/traces' || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        if (this.failWith !== undefined) {
          res.writeHead(this.failWith).end();
          return;
        }
        const body = Buffer.concat(chunks);
        if (this.maxBodyBytes !== undefined && body.length > this.maxBodyBytes) {
          this.tooLarge++;
          res.writeHead(413).end();
          return;
        }
        let spans: ReceivedSpan[];
        try {
          spans = decodeOtlp(body);
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
          return;
        }
        this.bodies.push(body);
        this.spans.push(...spans);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        this.notify();
      });
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.portNumber = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops open connections: the collector is down. */
  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Resolves once at least n spans have arrived. */
  waitForSpans(n: number): Promise<void> {
    if (this.spans.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  allBytes(): Buffer {
    return Buffer.concat(this.bodies);
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.spans.length < w.n) return true;
      w.resolve();
      return false;
    });
  }
}

/** A free loopback port, for a collector that is down at first. */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
