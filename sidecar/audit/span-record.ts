// The one span model the audit code reasons about: the worker builds it, the
// OTLP readers (protobuf spool, collector JSON) decode into it, the hash chain
// is computed over it. Ids are lower-case hex; times are Unix nanoseconds.

export type AttrValue = string | number | boolean | readonly AttrValue[];
export type Attrs = Record<string, AttrValue>;

/** OTLP's numbering (the SDK's SpanKind enum is one less). */
export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
/** OTLP status codes. */
export const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface SpanLinkRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attrs;
}

export interface SpanEventRecord {
  readonly name: string;
  readonly timeNs: bigint;
  readonly attributes: Attrs;
}

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Attrs;
  /**
   * Attributes every command span of a session carries (identity, connection),
   * kept apart and shared so the worker encodes and canonicalizes them once per
   * session. Read spans never have it; consumers see spanAttributes(span).
   */
  readonly shared?: Attrs;
  readonly status: { readonly code: number; readonly message: string };
  readonly links: readonly SpanLinkRecord[];
  readonly events: readonly SpanEventRecord[];
  /** Resource attributes of the batch the span came in (not part of the chain). */
  readonly resource?: Attrs;
}

/** All of a span's attributes: its own and the shared ones. */
export function spanAttributes(s: SpanRecord): Attrs {
  return s.shared === undefined ? s.attributes : { ...s.shared, ...s.attributes };
}

export const SESSION_SPAN = 'agentgate.session';
export const COMMAND_SPAN = 'agentgate.command';

/** Epoch milliseconds (fractions allowed) to Unix nanoseconds. */
export function msToNs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

export function nsToMs(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}
