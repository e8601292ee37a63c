// PostgreSQL v3 wire protocol: message type bytes and the magic numbers of the
// startup phase. `const enum` so the codes inline to numbers in the hot path.

/** Messages the client (the agent) sends, after the startup phase. */
export const enum FrontendCode {
  Bind = 0x42, // B
  Close = 0x43, // C
  Describe = 0x44, // D
  Execute = 0x45, // E
  FunctionCall = 0x46, // F
  Flush = 0x48, // H
  Parse = 0x50, // P
  Query = 0x51, // Q
  Sync = 0x53, // S
  Terminate = 0x58, // X
  CopyFail = 0x66, // f
  CopyDone = 0x63, // c
  CopyData = 0x64, // d
  /** PasswordMessage, SASLInitialResponse and SASLResponse share 'p'. */
  Password = 0x70, // p
}

/** Messages the server (the upstream) sends. */
export const enum BackendCode {
  ParseComplete = 0x31, // 1
  BindComplete = 0x32, // 2
  CloseComplete = 0x33, // 3
  NotificationResponse = 0x41, // A
  CommandComplete = 0x43, // C
  DataRow = 0x44, // D
  ErrorResponse = 0x45, // E
  CopyInResponse = 0x47, // G
  CopyOutResponse = 0x48, // H
  EmptyQueryResponse = 0x49, // I
  BackendKeyData = 0x4b, // K
  NoticeResponse = 0x4e, // N
  Authentication = 0x52, // R
  ParameterStatus = 0x53, // S
  RowDescription = 0x54, // T
  FunctionCallResponse = 0x56, // V
  CopyBothResponse = 0x57, // W
  ReadyForQuery = 0x5a, // Z
  CopyDone = 0x63, // c
  CopyData = 0x64, // d
  NoData = 0x6e, // n
  PortalSuspended = 0x73, // s
  ParameterDescription = 0x74, // t
  NegotiateProtocolVersion = 0x76, // v
}

/** The int32 after the length in an untyped startup-phase packet. */
export const enum StartupCode {
  Protocol3 = 196608, // 3 << 16 | 0
  CancelRequest = 80877102, // 1234 << 16 | 5678
  SSLRequest = 80877103, // 1234 << 16 | 5679
  GSSENCRequest = 80877104, // 1234 << 16 | 5680
}

/** The int32 subtype of an Authentication ('R') message. */
export const enum AuthCode {
  Ok = 0,
  KerberosV5 = 2,
  CleartextPassword = 3,
  MD5Password = 5,
  GSS = 7,
  GSSContinue = 8,
  SSPI = 9,
  SASL = 10,
  SASLContinue = 11,
  SASLFinal = 12,
}

/** ReadyForQuery transaction status bytes. */
export const enum TxStatus {
  Idle = 0x49, // I
  InTransaction = 0x54, // T
  Failed = 0x45, // E
}

/** ErrorResponse / NoticeResponse field type bytes we read or write. */
export const enum ErrorField {
  Severity = 0x53, // S (localized)
  SeverityV = 0x56, // V (never localized)
  Code = 0x43, // C
  Message = 0x4d, // M
  Detail = 0x44, // D
  Hint = 0x48, // H
  Context = 0x57, // W
  InternalQuery = 0x71, // q
}

/** Every typed message: 1 code byte + int32 length (which counts itself). */
export const HEADER_LENGTH = 5;

/** Type OIDs whose values are text on the wire in both formats (jsonb binary has a version byte). */
export const TEXT_TYPE_OIDS: ReadonlySet<number> = new Set([
  25, // text
  1043, // varchar
  1042, // bpchar
  19, // name
  114, // json
  3802, // jsonb
  705, // unknown
  18, // "char"
]);
export const JSONB_OID = 3802;
