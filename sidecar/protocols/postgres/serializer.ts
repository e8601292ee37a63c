// The messages the gateway writes itself: its own answers to the agent
// (authentication requests, errors, synthetic keys, re-encoded masked rows) and
// the startup and authentication messages it sends upstream. Everything else
// is forwarded as the bytes that arrived.

import { type AgentgateError, ERRORS, type ErrorCode } from '../../../common/errors.js';
import { AuthCode, BackendCode, ErrorField, FrontendCode, StartupCode } from './codes.js';

function typed(code: number, payloadLength: number): Buffer {
  const b = Buffer.allocUnsafe(5 + payloadLength);
  b[0] = code;
  b.writeInt32BE(4 + payloadLength, 1);
  return b;
}

function cstrLen(s: string): number {
  return Buffer.byteLength(s) + 1;
}

function putCString(b: Buffer, offset: number, s: string): number {
  const n = b.write(s, offset);
  b[offset + n] = 0;
  return offset + n + 1;
}

// ---- to the agent ----

export function authenticationRequest(type: AuthCode, data?: Buffer): Buffer {
  const extra = data?.length ?? 0;
  const b = typed(BackendCode.Authentication, 4 + extra);
  b.writeInt32BE(type, 5);
  if (data) data.copy(b, 9);
  return b;
}

export const AUTH_OK: Buffer = authenticationRequest(AuthCode.Ok);
export const AUTH_CLEARTEXT: Buffer = authenticationRequest(AuthCode.CleartextPassword);
/** The one-byte answer to SSLRequest and GSSENCRequest: not here. */
export const NO_ENCRYPTION: Buffer = Buffer.from('N');
/** The one-byte answer to SSLRequest when the sidecar has a certificate. */
export const SSL_ACCEPTED: Buffer = Buffer.from('S');

export function readyForQuery(status: number): Buffer {
  const b = typed(BackendCode.ReadyForQuery, 1);
  b[5] = status;
  return b;
}

export function backendKeyData(processId: number, secretKey: number): Buffer {
  const b = typed(BackendCode.BackendKeyData, 8);
  b.writeInt32BE(processId, 5);
  b.writeInt32BE(secretKey, 9);
  return b;
}

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'NOTICE';
  sqlstate: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** ErrorResponse (or NoticeResponse when severity is NOTICE). */
export function errorResponse(e: ErrorFields): Buffer {
  const fields = new Map<number, string>([
    [ErrorField.Severity, e.severity],
    [ErrorField.SeverityV, e.severity],
    [ErrorField.Code, e.sqlstate],
    [ErrorField.Message, e.message],
  ]);
  if (e.detail !== undefined) fields.set(ErrorField.Detail, e.detail);
  if (e.hint !== undefined) fields.set(ErrorField.Hint, e.hint);
  return errorOrNotice(
    e.severity === 'NOTICE' ? BackendCode.NoticeResponse : BackendCode.ErrorResponse,
    fields,
  );
}

/** An ErrorResponse or NoticeResponse with exactly these fields, in this order. */
export function errorOrNotice(code: number, fields: ReadonlyMap<number, string>): Buffer {
  let len = 1;
  for (const v of fields.values()) len += 1 + cstrLen(v);
  const b = typed(code, len);
  let o = 5;
  for (const [t, v] of fields) {
    b[o++] = t;
    o = putCString(b, o, v);
  }
  b[o] = 0;
  return b;
}

/** ParameterStatus: a reported setting's new value. */
export function parameterStatus(name: string, value: string): Buffer {
  const b = typed(BackendCode.ParameterStatus, cstrLen(name) + cstrLen(value));
  putCString(b, putCString(b, 5, name), value);
  return b;
}

/** NotificationResponse (LISTEN/NOTIFY). */
export function notificationResponse(processId: number, channel: string, payload: string): Buffer {
  const b = typed(BackendCode.NotificationResponse, 4 + cstrLen(channel) + cstrLen(payload));
  b.writeInt32BE(processId, 5);
  putCString(b, putCString(b, 9, channel), payload);
  return b;
}

/** The ErrorResponse for one of our own errors, with its table SQLSTATE. */
export function agentgateErrorResponse(err: AgentgateError, severity: 'ERROR' | 'FATAL' = 'ERROR'): Buffer {
  return errorResponse({ severity, sqlstate: err.wire.sqlstate, message: err.message });
}

export function sqlstateOf(code: ErrorCode): string {
  return ERRORS[code].sqlstate;
}

/** NegotiateProtocolVersion: we speak 3.0 and none of the `_pq_.` options. */
export function negotiateProtocolVersion(newestMinor: number, unrecognized: readonly string[]): Buffer {
  let len = 8;
  for (const o of unrecognized) len += cstrLen(o);
  const b = typed(BackendCode.NegotiateProtocolVersion, len);
  b.writeInt32BE(newestMinor, 5);
  b.writeInt32BE(unrecognized.length, 9);
  let o = 13;
  for (const opt of unrecognized) o = putCString(b, o, opt);
  return b;
}

/** A DataRow from field values (null = SQL NULL). */
export function dataRow(values: readonly (Buffer | null)[]): Buffer {
  let len = 2;
  for (const v of values) len += 4 + (v === null ? 0 : v.length);
  const b = typed(BackendCode.DataRow, len);
  b.writeInt16BE(values.length, 5);
  let o = 7;
  for (const v of values) {
    if (v === null) {
      b.writeInt32BE(-1, o);
      o += 4;
    } else {
      b.writeInt32BE(v.length, o);
      v.copy(b, o + 4);
      o += 4 + v.length;
    }
  }
  return b;
}

// ---- to the upstream ----

export function startupMessage(params: ReadonlyMap<string, string>): Buffer {
  let len = 4 + 4 + 1;
  for (const [k, v] of params) len += cstrLen(k) + cstrLen(v);
  const b = Buffer.allocUnsafe(len);
  b.writeInt32BE(len, 0);
  b.writeInt32BE(StartupCode.Protocol3, 4);
  let o = 8;
  for (const [k, v] of params) {
    o = putCString(b, o, k);
    o = putCString(b, o, v);
  }
  b[o] = 0;
  return b;
}

function untyped(code: StartupCode, extra: number): Buffer {
  const b = Buffer.allocUnsafe(8 + extra);
  b.writeInt32BE(8 + extra, 0);
  b.writeInt32BE(code, 4);
  return b;
}

export const SSL_REQUEST: Buffer = untyped(StartupCode.SSLRequest, 0);

export function cancelRequest(processId: number, secretKey: number): Buffer {
  const b = untyped(StartupCode.CancelRequest, 8);
  b.writeInt32BE(processId, 8);
  b.writeInt32BE(secretKey, 12);
  return b;
}

export function passwordMessage(password: string): Buffer {
  const b = typed(FrontendCode.Password, cstrLen(password));
  putCString(b, 5, password);
  return b;
}

export function saslInitialResponse(mechanism: string, data: Buffer): Buffer {
  const b = typed(FrontendCode.Password, cstrLen(mechanism) + 4 + data.length);
  const o = putCString(b, 5, mechanism);
  b.writeInt32BE(data.length, o);
  data.copy(b, o + 4);
  return b;
}

export function saslResponse(data: Buffer): Buffer {
  const b = typed(FrontendCode.Password, data.length);
  data.copy(b, 5);
  return b;
}

export function query(text: string): Buffer {
  const b = typed(FrontendCode.Query, cstrLen(text));
  putCString(b, 5, text);
  return b;
}

export function execute(portal: string, maxRows: number): Buffer {
  const b = typed(FrontendCode.Execute, cstrLen(portal) + 4);
  const o = putCString(b, 5, portal);
  b.writeInt32BE(maxRows, o);
  return b;
}

export function describe(kind: 'S' | 'P', name: string): Buffer {
  const b = typed(FrontendCode.Describe, 1 + cstrLen(name));
  b[5] = kind.charCodeAt(0);
  putCString(b, 6, name);
  return b;
}

export const TERMINATE: Buffer = typed(FrontendCode.Terminate, 0);
