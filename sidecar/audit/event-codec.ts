// Binary form of the audit events in the ring. Commands are hot: written field by
// field with a presence mask, no intermediate object, no JSON. Session start,
// auth and end happen once per connection, so they travel as JSON.

import type { CommandEvent, SessionAuth, SessionEnd, SessionStart } from './events.js';
import { type RingReader, type RingWriter, strBound } from './ring.js';

// Not a `const enum`: the worker also runs straight from the .ts source under
// Node's type stripping, which only erases types.
export const Kind = {
  SessionStart: 1,
  SessionAuth: 2,
  Command: 3,
  SessionEnd: 4,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const DECISIONS = ['allow', 'deny', 'review', 'error'] as const;
const DECISION_CODE: Readonly<Record<CommandEvent['decision'], number>> = {
  allow: 0,
  deny: 1,
  review: 2,
  error: 3,
};

// Presence bits for optional command fields.
export const P_APPROVAL = 1;
export const P_APPROVER = 2;
export const P_ROWS = 4;
export const P_BYTES = 8;
export const P_MASKED = 16;
export const P_ERROR_CODE = 32;
export const P_ERROR = 64;
export const P_TRACEPARENT = 128;
export const P_METHOD = 256;
export const P_PATH = 512;
export const P_STATUS = 1024;
export const P_TRUNCATED = 2048;

/** A decoded command: the event plus what encoding had to change. */
export interface DecodedCommand extends CommandEvent {
  /** Original length in UTF-16 units when `text` was cut to the limit. */
  readonly textTruncatedFrom?: number;
}

function listBound(xs: readonly string[]): number {
  let b = 2;
  for (let i = 0; i < xs.length; i++) b += strBound(xs[i]!);
  return b;
}

/** Writes one command; false when the ring has no room (the caller queues it). */
export function writeCommand(w: RingWriter, e: CommandEvent, maxTextChars: number): boolean {
  let text = e.text;
  let mask = 0;
  if (text.length > maxTextChars) {
    text = text.slice(0, maxTextChars);
    mask |= P_TRUNCATED;
  }
  let bound =
    40 +
    strBound(e.sessionId) +
    strBound(text) +
    listBound(e.operations) +
    listBound(e.tables) +
    strBound(e.policy) +
    strBound(e.rule);
  if (e.approvalName !== undefined) {
    mask |= P_APPROVAL;
    bound += strBound(e.approvalName);
  }
  if (e.approver !== undefined) {
    mask |= P_APPROVER;
    bound += strBound(e.approver);
  }
  if (e.rows !== undefined) mask |= P_ROWS;
  if (e.bytes !== undefined) mask |= P_BYTES;
  let maskedKeys: string[] | undefined;
  if (e.masked !== undefined) {
    maskedKeys = Object.keys(e.masked);
    if (maskedKeys.length > 0) {
      mask |= P_MASKED;
      bound += listBound(maskedKeys) + 8 * maskedKeys.length;
    }
  }
  if (e.errorCode !== undefined) {
    mask |= P_ERROR_CODE;
    bound += strBound(e.errorCode);
  }
  if (e.error !== undefined) {
    mask |= P_ERROR;
    bound += strBound(e.error);
  }
  if (e.traceparent !== undefined) {
    mask |= P_TRACEPARENT;
    bound += strBound(e.traceparent);
  }
  if (e.httpMethod !== undefined) {
    mask |= P_METHOD;
    bound += strBound(e.httpMethod);
  }
  if (e.urlPath !== undefined) {
    mask |= P_PATH;
    bound += strBound(e.urlPath);
  }
  if (e.httpStatus !== undefined) mask |= P_STATUS;
  if (!w.begin(bound)) return false;
  w.u8v(Kind.Command);
  w.u32(mask);
  w.u8v(DECISION_CODE[e.decision] ?? 3);
  w.u32(e.seq);
  w.f64(e.startedAt);
  w.f64(e.durationUs);
  w.str(e.sessionId);
  w.str(text);
  w.u16(e.operations.length);
  for (let i = 0; i < e.operations.length; i++) w.str(e.operations[i]!);
  w.u16(e.tables.length);
  for (let i = 0; i < e.tables.length; i++) w.str(e.tables[i]!);
  w.str(e.policy);
  w.str(e.rule);
  if (mask & P_APPROVAL) w.str(e.approvalName!);
  if (mask & P_APPROVER) w.str(e.approver!);
  if (mask & P_ROWS) w.f64(e.rows!);
  if (mask & P_BYTES) w.f64(e.bytes!);
  if (mask & P_MASKED) {
    const m = e.masked!;
    const keys = maskedKeys!;
    w.u16(keys.length);
    for (let i = 0; i < keys.length; i++) {
      w.str(keys[i]!);
      w.f64(m[keys[i]!]!);
    }
  }
  if (mask & P_ERROR_CODE) w.str(e.errorCode!);
  if (mask & P_ERROR) w.str(e.error!);
  if (mask & P_TRACEPARENT) w.str(e.traceparent!);
  if (mask & P_METHOD) w.str(e.httpMethod!);
  if (mask & P_PATH) w.str(e.urlPath!);
  if (mask & P_STATUS) w.u16(e.httpStatus!);
  if (mask & P_TRUNCATED) w.u32(e.text.length);
  w.commit();
  return true;
}

/** Writes a once-per-session event as JSON; false when the ring has no room. */
export function writeJson(
  w: RingWriter,
  kind: typeof Kind.SessionStart | typeof Kind.SessionAuth | typeof Kind.SessionEnd,
  e: SessionStart | SessionAuth | SessionEnd,
): boolean {
  const json = JSON.stringify(e);
  if (!w.begin(1 + strBound(json))) return false;
  w.u8v(kind);
  w.str(json);
  w.commit();
  return true;
}

export type DecodedEvent =
  | { kind: typeof Kind.SessionStart; e: SessionStart }
  | { kind: typeof Kind.SessionAuth; e: SessionAuth }
  | { kind: typeof Kind.SessionEnd; e: SessionEnd }
  | { kind: typeof Kind.Command; e: DecodedCommand };

function readList(r: RingReader): string[] {
  const n = r.u16();
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = r.str();
  return out;
}

/** Decodes the record under the reader's cursor. */
export function readEvent(r: RingReader): DecodedEvent {
  const kind = r.u8v();
  if (kind !== Kind.Command) {
    const json = r.str();
    return { kind, e: JSON.parse(json) } as DecodedEvent;
  }
  const mask = r.u32();
  const decision = DECISIONS[r.u8v()] ?? 'error';
  const seq = r.u32();
  const startedAt = r.f64();
  const durationUs = r.f64();
  const sessionId = r.str();
  const text = r.str();
  const operations = readList(r);
  const tables = readList(r);
  const policy = r.str();
  const rule = r.str();
  const e: {
    -readonly [K in keyof DecodedCommand]: DecodedCommand[K];
  } = { sessionId, seq, startedAt, durationUs, text, operations, tables, decision, policy, rule };
  if (mask & P_APPROVAL) e.approvalName = r.str();
  if (mask & P_APPROVER) e.approver = r.str();
  if (mask & P_ROWS) e.rows = r.f64();
  if (mask & P_BYTES) e.bytes = r.f64();
  if (mask & P_MASKED) {
    const n = r.u16();
    const m: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const k = r.str();
      m[k] = r.f64();
    }
    e.masked = m;
  }
  if (mask & P_ERROR_CODE) e.errorCode = r.str();
  if (mask & P_ERROR) e.error = r.str();
  if (mask & P_TRACEPARENT) e.traceparent = r.str();
  if (mask & P_METHOD) e.httpMethod = r.str();
  if (mask & P_PATH) e.urlPath = r.str();
  if (mask & P_STATUS) e.httpStatus = r.u16();
  if (mask & P_TRUNCATED) e.textTruncatedFrom = r.u32();
  return { kind: Kind.Command, e };
}
