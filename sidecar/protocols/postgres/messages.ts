// The messages the gateway reads, as tagged unions. Parsers decode only what the
// session acts on; everything else travels as raw bytes (see Frame) so the
// common case is a byte copy, not a decode and re-encode.

import type { AuthCode, BackendCode, FrontendCode } from './codes.js';

/**
 * Where a message sits in the buffer the parser handed out: bytes
 * [start, end) of buf, header included. The buffer is never reused by the
 * parser, so a slice of it may be queued for writing. The object itself is
 * reused for every message: read it inside the callback, never keep it.
 */
export interface Frame {
  buf: Buffer;
  start: number;
  end: number;
}

// ---- startup phase (untyped packets) ----

export interface StartupMessage {
  readonly name: 'startup';
  readonly major: number;
  readonly minor: number;
  /** Parameter name -> value, in the order sent (user, database, options...). */
  readonly params: ReadonlyMap<string, string>;
}
export interface SSLRequest {
  readonly name: 'sslRequest';
}
export interface GSSENCRequest {
  readonly name: 'gssEncRequest';
}
export interface CancelRequest {
  readonly name: 'cancelRequest';
  readonly processId: number;
  readonly secretKey: number;
}

// ---- typed frontend messages ----

export interface Query {
  readonly name: 'query';
  readonly code: FrontendCode.Query;
  readonly text: string;
}
export interface Parse {
  readonly name: 'parse';
  readonly code: FrontendCode.Parse;
  readonly statement: string;
  readonly text: string;
}
export interface Bind {
  readonly name: 'bind';
  readonly code: FrontendCode.Bind;
  readonly portal: string;
  readonly statement: string;
  /** Result-column format codes: [] all text, [f] all f, else one per column. */
  readonly resultFormats: readonly number[];
}
export interface Describe {
  readonly name: 'describe';
  readonly code: FrontendCode.Describe;
  /** 'S' statement or 'P' portal. */
  readonly kind: 'S' | 'P';
  readonly target: string;
}
export interface Close {
  readonly name: 'close';
  readonly code: FrontendCode.Close;
  readonly kind: 'S' | 'P';
  readonly target: string;
}
export interface Execute {
  readonly name: 'execute';
  readonly code: FrontendCode.Execute;
  readonly portal: string;
  readonly maxRows: number;
}
/** Sync, Flush, Terminate, CopyData, CopyDone, CopyFail, FunctionCall: carried as bytes. */
export interface OpaqueFrontend {
  readonly name: 'opaque';
  readonly code:
    | FrontendCode.Sync
    | FrontendCode.Flush
    | FrontendCode.Terminate
    | FrontendCode.CopyData
    | FrontendCode.CopyDone
    | FrontendCode.CopyFail
    | FrontendCode.FunctionCall;
}
/** 'p': its meaning (password, SASL) depends on what the server asked for. */
export interface PasswordMessage {
  readonly name: 'password';
  readonly code: FrontendCode.Password;
  /** The payload, without header. */
  readonly data: Buffer;
}

export type StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest;
export type TypedFrontendMessage =
  | Query
  | Parse
  | Bind
  | Describe
  | Close
  | Execute
  | OpaqueFrontend
  | PasswordMessage;
export type FrontendMessage = StartupPacket | TypedFrontendMessage;

// ---- backend messages ----

export interface Authentication {
  readonly name: 'authentication';
  readonly code: BackendCode.Authentication;
  readonly type: AuthCode;
  /** MD5: the 4-byte salt; SASL: the mechanism list; SASLContinue/Final: the server's data. */
  readonly data: Buffer;
}
export interface ParameterStatus {
  readonly name: 'parameterStatus';
  readonly code: BackendCode.ParameterStatus;
  readonly parameter: string;
  readonly value: string;
}
export interface BackendKeyData {
  readonly name: 'backendKeyData';
  readonly code: BackendCode.BackendKeyData;
  readonly processId: number;
  readonly secretKey: number;
}
export interface ReadyForQuery {
  readonly name: 'readyForQuery';
  readonly code: BackendCode.ReadyForQuery;
  /** TxStatus: 'I', 'T' or 'E' as a byte. */
  readonly status: number;
}
export interface ErrorOrNotice {
  readonly name: 'error' | 'notice';
  readonly code: BackendCode.ErrorResponse | BackendCode.NoticeResponse;
  /** Field type byte -> value (S, V, C, M, D, H...). */
  readonly fields: ReadonlyMap<number, string>;
}
export interface Column {
  readonly name: string;
  readonly tableOid: number;
  readonly columnIndex: number;
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier: number;
  /** 0 text, 1 binary. */
  readonly format: number;
}
export interface RowDescription {
  readonly name: 'rowDescription';
  readonly code: BackendCode.RowDescription;
  readonly columns: readonly Column[];
}
/**
 * Everything the session only forwards or counts (DataRow, CommandComplete,
 * ParseComplete, CopyData...): the code and the frame are enough.
 */
export interface OpaqueBackend {
  readonly name: 'opaque';
  readonly code: number;
}

export type BackendMessage =
  | Authentication
  | ParameterStatus
  | BackendKeyData
  | ReadyForQuery
  | ErrorOrNotice
  | RowDescription
  | OpaqueBackend;
