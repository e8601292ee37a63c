// The compact audit events the data path records. Protocol sessions call an
// AuditSink on the hot path; the sink turns events into OTLP spans off the event
// loop. Events carry only what may leave the pod: query text already masked, no
// token, no credential, no masked value.

import type { Protocol } from '../../api/types.js';
import type { Identity } from '../identity/identity.js';

export interface SessionStart {
  readonly sessionId: string; // 16 random bytes, hex: the trace id
  readonly startedAt: number; // epoch milliseconds
  readonly protocol: Protocol;
  readonly target: string; // target name, or '' when unknown
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly namespace: string;
  readonly podName: string;
}

export interface SessionAuth {
  readonly sessionId: string;
  readonly at: number;
  readonly ok: boolean;
  readonly identity?: Identity;
  /** Error code and message when refused; never the token. */
  readonly errorCode?: string;
  readonly error?: string;
  /** e.g. database and user the agent asked for. */
  readonly database?: string;
}

export interface CommandEvent {
  readonly sessionId: string;
  readonly seq: number; // 1, 2, 3... within the session
  readonly startedAt: number; // epoch milliseconds
  readonly durationUs: number;
  readonly text: string; // masked query text
  readonly operations: readonly string[];
  readonly tables: readonly string[];
  readonly decision: 'allow' | 'deny' | 'review' | 'error';
  readonly policy: string;
  readonly rule: string;
  readonly approvalName?: string;
  readonly approver?: string;
  readonly rows?: number;
  readonly bytes?: number;
  /** Entity (or `column:<name>`) -> how many values were masked. */
  readonly masked?: Readonly<Record<string, number>>;
  readonly errorCode?: string;
  readonly error?: string;
  /** W3C traceparent the agent sent with the command, if any. */
  readonly traceparent?: string;
  /** HTTP only. */
  readonly httpMethod?: string;
  readonly urlPath?: string;
  readonly httpStatus?: number;
}

export interface SessionEnd {
  readonly sessionId: string;
  readonly endedAt: number;
  readonly commands: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly error?: string;
}

/** What protocol sessions call. Implementations must not block and must not throw. */
export interface AuditSink {
  sessionStart(e: SessionStart): void;
  sessionAuth(e: SessionAuth): void;
  command(e: CommandEvent): void;
  sessionEnd(e: SessionEnd): void;
}

/** Chosen once when audit is off (pino's habit: a noop, not an `if` per call). */
export const NOOP_AUDIT: AuditSink = {
  sessionStart() {},
  sessionAuth() {},
  command() {},
  sessionEnd() {},
};
