// From audit events to span records: one trace per session (trace id = session
// id), a root `agentgate.session` span, one `agentgate.command` child per
// command. OpenTelemetry semantic-convention attributes first, `agentgate.*` for
// the rest. Pure: ids and the clock come from the caller.

import { CHAIN_HASH, CHAIN_INDEX, CHAIN_LENGTH, genesisHash, linkHash } from './chain.js';
import type { DecodedCommand } from './event-codec.js';
import type { SessionAuth, SessionEnd, SessionStart } from './events.js';
import {
  type Attrs,
  COMMAND_SPAN,
  msToNs,
  SESSION_SPAN,
  SPAN_KIND,
  type SpanLinkRecord,
  type SpanRecord,
  STATUS,
} from './span-record.js';
import { traceparentFromSql } from './traceparent.js';

export const DB_SYSTEM: Readonly<Record<string, string>> = {
  postgres: 'postgresql',
  mysql: 'mysql',
  redis: 'redis',
};

/** What the worker remembers about an open session (also checkpointed to the spool). */
export interface SessionState {
  start: SessionStart;
  auth?: SessionAuth;
  rootSpanId: string;
  /** Hash of the last link (the genesis value before any command). */
  lastHash: string;
  /** Command spans chained so far. */
  chained: number;
  /** Latest end time seen (ms), for a session closed without its end event. */
  lastSeenMs: number;
}

export function openSession(start: SessionStart, rootSpanId: string): SessionState {
  return {
    start,
    rootSpanId,
    lastHash: genesisHash(start.sessionId),
    chained: 0,
    lastSeenMs: start.startedAt,
  };
}

/** Stand-in start for a command whose session start never reached the worker. */
export function unknownStart(sessionId: string, at: number): SessionStart {
  return {
    sessionId,
    startedAt: at,
    protocol: 'postgres',
    target: '',
    serverAddress: '',
    serverPort: 0,
    clientAddress: '',
    clientPort: 0,
    namespace: '',
    podName: '',
  };
}

function connectionAttrs(a: Attrs, s: SessionStart): void {
  a['agentgate.session.id'] = s.sessionId;
  a['agentgate.protocol'] = s.protocol;
  if (s.target !== '') a['agentgate.target'] = s.target;
  const db = DB_SYSTEM[s.protocol];
  if (db !== undefined) a['db.system.name'] = db;
  if (s.serverAddress !== '') a['server.address'] = s.serverAddress;
  if (s.serverPort > 0) a['server.port'] = s.serverPort;
  if (s.clientAddress !== '') a['client.address'] = s.clientAddress;
  if (s.clientPort > 0) a['client.port'] = s.clientPort;
}

/** The session span's identity attributes (command spans get theirs from sharedAttrs). */
function identityAttrs(a: Attrs, auth: SessionAuth | undefined): void {
  if (auth === undefined) return;
  if (auth.database !== undefined && auth.database !== '') a['db.namespace'] = auth.database;
  const id = auth.identity;
  if (id === undefined || !auth.ok) return;
  a['enduser.id'] = id.subject;
  a['agentgate.identity.groups'] = [...id.groups];
  a['agentgate.identity.kind'] = id.kind;
  if (id.issuer !== '') a['agentgate.identity.issuer'] = id.issuer;
  if (id.tokenId !== undefined) a['agentgate.identity.token_id'] = id.tokenId;
  if (id.workload !== undefined) {
    a['agentgate.identity.workload'] = `${id.workload.namespace}/${id.workload.serviceAccount}`;
  }
}

/** Parses a W3C traceparent; undefined when malformed or all-zero. */
export function parseTraceparent(tp: string): SpanLinkRecord | undefined {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(tp.trim().toLowerCase());
  if (m === null || m[1] === 'ff') return undefined;
  const traceId = m[2]!;
  const spanId = m[3]!;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, attributes: { 'agentgate.link.source': 'traceparent' } };
}

function entityKey(name: string): string {
  // `column:ssn` -> agentgate.masked.column.ssn; EMAIL_ADDRESS -> agentgate.masked.email_address
  return `agentgate.masked.${name.replace(/^column:/, 'column.').toLowerCase()}`;
}

const entityKeys = new Map<string, string>();
export function maskedKey(name: string): string {
  let k = entityKeys.get(name);
  if (k === undefined) {
    k = entityKey(name);
    if (entityKeys.size < 1024) entityKeys.set(name, k);
  }
  return k;
}

/**
 * The attributes every command span of a session repeats, built once per
 * session (again if auth changes): who ran it and against what, so that a
 * backend can query commands by subject or target without joining the root
 * span. What the trace itself says (the session id is the trace id) or what
 * only describes the connection (protocol, the agent's address and port) stays
 * on the session span: each byte here is paid on every command, by the spool,
 * the chain's hash, the export and the collector.
 */
const sharedCache = new WeakMap<SessionState, { auth: SessionAuth | undefined; attrs: Attrs }>();

export function sharedAttrs(st: SessionState): Attrs {
  const cached = sharedCache.get(st);
  if (cached !== undefined && cached.auth === st.auth) return cached.attrs;
  const s = st.start;
  const auth = st.auth;
  const id = auth?.ok ? auth.identity : undefined;
  // In key order (see commandSpan).
  const a: Attrs = {};
  if (id !== undefined) a['agentgate.identity.groups'] = id.groups;
  if (s.target !== '') a['agentgate.target'] = s.target;
  if (auth?.database !== undefined && auth.database !== '') a['db.namespace'] = auth.database;
  const db = DB_SYSTEM[s.protocol];
  if (db !== undefined) a['db.system.name'] = db;
  if (id !== undefined) a['enduser.id'] = id.subject;
  if (s.serverAddress !== '') a['server.address'] = s.serverAddress;
  if (s.serverPort > 0) a['server.port'] = s.serverPort;
  sharedCache.set(st, { auth, attrs: a });
  return a;
}

/**
 * Builds the command span, links it into the session's chain and advances the
 * state. The session's connection and identity attributes come shared
 * (sharedAttrs); the command's own are inserted in key order, so the chain's
 * canonical text finds them sorted (the worker computes it for every span).
 */
export function commandSpan(st: SessionState, e: DecodedCommand, spanId: string): SpanRecord {
  const http = st.start.protocol === 'http';
  const ops = e.operations;
  const a: Attrs = {};
  if (e.approver !== undefined) a['agentgate.approval.approver'] = e.approver;
  if (e.approvalName !== undefined) a['agentgate.approval.name'] = e.approvalName;
  if (e.bytes !== undefined) a['agentgate.bytes'] = e.bytes;
  a[CHAIN_INDEX] = st.chained + 1;
  a['agentgate.command.seq'] = e.seq;
  a['agentgate.decision'] = e.decision;
  if (e.error !== undefined) a['agentgate.error'] = e.error;
  if (e.masked !== undefined) {
    let total = 0;
    const keys: string[] = ['agentgate.masked.count'];
    const counts: Record<string, number> = {};
    for (const k in e.masked) {
      const n = e.masked[k]!;
      const key = maskedKey(k);
      keys.push(key);
      counts[key] = n;
      total += n;
    }
    counts['agentgate.masked.count'] = total;
    keys.sort();
    for (const k of keys) a[k] = counts[k]!;
  }
  if (ops.length > 0) a['agentgate.operations'] = ops;
  if (e.policy !== '') a['agentgate.policy'] = e.policy;
  if (e.textTruncatedFrom !== undefined) a['agentgate.query.truncated_from'] = e.textTruncatedFrom;
  if (e.rows !== undefined) a['agentgate.rows'] = e.rows;
  if (e.rule !== '') a['agentgate.rule'] = e.rule;
  if (e.tables.length > 0) a['agentgate.tables'] = e.tables;
  if (e.tables.length === 1 && !http) a['db.collection.name'] = e.tables[0]!;
  if (ops.length === 1) a['db.operation.name'] = ops[0]!;
  else if (ops.length > 1)
    a['db.operation.name'] = ops.every((o) => o === ops[0]) ? `BATCH ${ops[0]}` : 'BATCH';
  if (!http) a['db.query.text'] = e.text;
  if (e.errorCode !== undefined) a['error.type'] = e.errorCode;
  if (e.httpMethod !== undefined) a['http.request.method'] = e.httpMethod;
  if (e.httpStatus !== undefined) a['http.response.status_code'] = e.httpStatus;
  if (e.urlPath !== undefined) a['url.path'] = e.urlPath;
  const failed = e.decision === 'deny' || e.decision === 'error' || e.errorCode !== undefined;
  // A protocol that did not read the sqlcommenter comment itself still gets the
  // link: audit text keeps comments (masked, and a traceparent survives masking),
  // and reading it here costs the worker, not the event loop.
  const tp = e.traceparent ?? (http ? undefined : traceparentFromSql(e.text));
  const link = tp === undefined ? undefined : parseTraceparent(tp);
  const endMs = e.startedAt + e.durationUs / 1000;
  const startNs = msToNs(e.startedAt);
  const span: SpanRecord = {
    traceId: st.start.sessionId,
    spanId,
    parentSpanId: st.rootSpanId,
    name: COMMAND_SPAN,
    kind: SPAN_KIND.CLIENT,
    startNs,
    endNs: startNs + BigInt(Math.max(0, Math.round(e.durationUs * 1000))),
    attributes: a,
    shared: sharedAttrs(st),
    status: failed
      ? { code: STATUS.ERROR, message: e.error ?? e.decision }
      : { code: STATUS.UNSET, message: '' },
    links: link === undefined ? [] : [link],
    events: [],
  };
  const hash = linkHash(st.lastHash, span);
  a[CHAIN_HASH] = hash;
  st.lastHash = hash;
  st.chained++;
  if (endMs > st.lastSeenMs) st.lastSeenMs = endMs;
  return span;
}

/**
 * The root span, built when the session ends. `end` is undefined when the
 * session never reported its end (sidecar stopped or restarted): the span then
 * ends at the last thing seen and says why.
 */
export function sessionSpan(st: SessionState, end: SessionEnd | undefined, reason?: string): SpanRecord {
  const s = st.start;
  const a: Attrs = {};
  connectionAttrs(a, s);
  if (s.namespace !== '') a['k8s.namespace.name'] = s.namespace;
  if (s.podName !== '') a['k8s.pod.name'] = s.podName;
  const auth = st.auth;
  a['agentgate.auth.result'] = auth === undefined ? 'none' : auth.ok ? 'ok' : 'refused';
  if (auth !== undefined && !auth.ok) {
    if (auth.errorCode !== undefined) a['agentgate.auth.error.code'] = auth.errorCode;
    if (auth.error !== undefined) a['agentgate.auth.error'] = auth.error;
  }
  identityAttrs(a, auth);
  const events: SpanRecord['events'][number][] = [
    { name: 'agentgate.connect', timeNs: msToNs(s.startedAt), attributes: {} },
  ];
  if (auth !== undefined) {
    const ea: Attrs = { 'agentgate.auth.result': auth.ok ? 'ok' : 'refused' };
    if (auth.errorCode !== undefined) ea['error.type'] = auth.errorCode;
    events.push({ name: 'agentgate.auth', timeNs: msToNs(auth.at), attributes: ea });
  }
  let endMs = st.lastSeenMs;
  let error: string | undefined = reason;
  if (end !== undefined) {
    endMs = Math.max(end.endedAt, s.startedAt);
    a['agentgate.session.commands'] = end.commands;
    a['agentgate.session.bytes_in'] = end.bytesIn;
    a['agentgate.session.bytes_out'] = end.bytesOut;
    if (end.error !== undefined) error = end.error;
  } else {
    a['agentgate.session.incomplete'] = true;
  }
  if (error !== undefined) a['agentgate.session.error'] = error;
  if (auth !== undefined && !auth.ok && error === undefined) error = auth.error ?? 'authentication refused';
  a[CHAIN_LENGTH] = st.chained;
  const span: SpanRecord = {
    traceId: s.sessionId,
    spanId: st.rootSpanId,
    parentSpanId: '',
    name: SESSION_SPAN,
    kind: SPAN_KIND.SERVER,
    startNs: msToNs(s.startedAt),
    endNs: msToNs(endMs),
    attributes: a,
    status:
      error === undefined ? { code: STATUS.UNSET, message: '' } : { code: STATUS.ERROR, message: error },
    links: [],
    events,
  };
  a[CHAIN_HASH] = linkHash(st.lastHash, span);
  return span;
}
