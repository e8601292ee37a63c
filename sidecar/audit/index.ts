export {
  type AuditSink,
  type CommandEvent,
  NOOP_AUDIT,
  type SessionAuth,
  type SessionEnd,
  type SessionStart,
} from './events.js';
export { registerAuditMetrics } from './metrics.js';
export { type AuditSession, findSession, groupSessions, loadSpans } from './session-store.js';
export {
  type AuditSinkOptions,
  type AuditStats,
  createAuditSink,
  type DurableAuditSink,
  type OnFull,
} from './sink.js';
export { traceparentFromSql } from './traceparent.js';
export { type VerifyResult, verifySession } from './verify.js';
