// How `agentgate sessions` and `agentgate replay` print an audited session:
// one line per session in a list, and a timeline with one entry per command.

import type { AuditSession } from '../sidecar/audit/session-store.js';
import type { AttrValue, SpanRecord } from '../sidecar/audit/span-record.js';
import { nsToMs } from '../sidecar/audit/span-record.js';
import { DB_SYSTEM } from '../sidecar/audit/spans.js';

function s(v: AttrValue | undefined): string {
  if (v === undefined) return '';
  return Array.isArray(v) ? v.join(',') : String(v);
}

function iso(ns: bigint): string {
  return new Date(nsToMs(ns)).toISOString();
}

export function duration(ns: bigint): string {
  const us = Number(ns / 1000n);
  if (us < 1000) return `${us} us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

function attr(span: SpanRecord | undefined, key: string): string {
  return span === undefined ? '' : s(span.attributes[key]);
}

/** A command span's protocol: command spans leave `agentgate.protocol` to the session span. */
function commandProtocol(c: SpanRecord | undefined): string {
  if (c === undefined) return '';
  const db = attr(c, 'db.system.name');
  if (db !== '') return Object.keys(DB_SYSTEM).find((p) => DB_SYSTEM[p] === db) ?? db;
  return c.attributes['http.request.method'] === undefined ? '' : 'http';
}

/** Subject, protocol, target: from the session span, else from the first command. */
function who(sess: AuditSession): { subject: string; protocol: string; target: string } {
  const src = sess.root ?? sess.commands[0];
  return {
    subject: attr(src, 'enduser.id') || '-',
    protocol: attr(sess.root, 'agentgate.protocol') || commandProtocol(sess.commands[0]) || '-',
    target: attr(src, 'agentgate.target') || '-',
  };
}

export function listHeader(): string {
  return ['SESSION', 'STARTED', 'DURATION', 'PROTOCOL', 'TARGET', 'SUBJECT', 'AUTH', 'CMDS', 'DENIED'].join(
    '\t',
  );
}

export function listLine(sess: AuditSession): string {
  const w = who(sess);
  const end = sess.root?.endNs ?? sess.commands.at(-1)?.endNs ?? sess.startNs;
  const denied = sess.commands.filter((c) => c.attributes['agentgate.decision'] !== 'allow').length;
  return [
    sess.id,
    iso(sess.startNs),
    sess.root === undefined ? 'open' : duration(end - sess.startNs),
    w.protocol,
    w.target,
    w.subject,
    attr(sess.root, 'agentgate.auth.result') || '-',
    String(sess.commands.length),
    String(denied),
  ].join('\t');
}

/** The session's heading lines: who, where, how it connected and authenticated. */
export function sessionHeading(sess: AuditSession): string[] {
  const r = sess.root;
  const w = who(sess);
  const out = [`session ${sess.id}  ${w.protocol} -> ${w.target}  started ${iso(sess.startNs)}`];
  if (r === undefined) {
    out.push('  (no session span: the session is still open, or its span was lost)');
    return out;
  }
  const pod = [attr(r, 'k8s.namespace.name'), attr(r, 'k8s.pod.name')].filter(Boolean).join('/');
  const client = [attr(r, 'client.address'), attr(r, 'client.port')].filter(Boolean).join(':');
  const server = [attr(r, 'server.address'), attr(r, 'server.port')].filter(Boolean).join(':');
  out.push(`  pod ${pod || '-'}  client ${client || '-'}  server ${server || '-'}`);
  const auth = attr(r, 'agentgate.auth.result');
  if (auth === 'ok') {
    const groups = attr(r, 'agentgate.identity.groups');
    const issuer = attr(r, 'agentgate.identity.issuer');
    out.push(
      `  auth ok: ${w.subject} (${attr(r, 'agentgate.identity.kind')})${groups ? ` groups ${groups}` : ''}${issuer ? ` issuer ${issuer}` : ''}`,
    );
  } else if (auth === 'refused') {
    out.push(
      `  auth REFUSED: ${attr(r, 'agentgate.auth.error.code')} ${attr(r, 'agentgate.auth.error')}`.trimEnd(),
    );
  } else {
    out.push('  auth: none recorded');
  }
  return out;
}

/** One command of the timeline: offset, number, decision, what, result, timing; then the text. */
export function commandLines(c: SpanRecord, sessionStartNs: bigint): string[] {
  const a = c.attributes;
  const offset = `+${(Number((c.startNs - sessionStartNs) / 1000n) / 1e6).toFixed(3)}s`;
  const what = [
    s(a['db.operation.name']) || s(a['http.request.method']),
    s(a['agentgate.tables']) || s(a['url.path']),
  ]
    .filter(Boolean)
    .join(' ');
  const decision = s(a['agentgate.decision']).toUpperCase();
  const by = [s(a['agentgate.policy']), s(a['agentgate.rule'])].filter(Boolean).join(' rule ');
  const result: string[] = [];
  if (a['agentgate.rows'] !== undefined) result.push(`${s(a['agentgate.rows'])} rows`);
  if (a['agentgate.bytes'] !== undefined) result.push(`${s(a['agentgate.bytes'])} B`);
  if (a['http.response.status_code'] !== undefined) result.push(`HTTP ${s(a['http.response.status_code'])}`);
  const masked = Object.keys(a)
    .filter((k) => k.startsWith('agentgate.masked.') && k !== 'agentgate.masked.count')
    .map((k) => `${k.slice('agentgate.masked.'.length)} ${s(a[k])}`);
  if (masked.length > 0) result.push(`masked ${s(a['agentgate.masked.count'])} (${masked.join(', ')})`);
  if (a['error.type'] !== undefined) result.push(`error ${s(a['error.type'])}`);
  const lines = [
    `${offset.padStart(10)}  #${s(a['agentgate.command.seq'])}  ${decision.padEnd(6)} ${what}  [${by || 'no policy'}]  ${duration(c.endNs - c.startNs)}${result.length > 0 ? `  ${result.join(', ')}` : ''}`,
  ];
  if (a['agentgate.approval.name'] !== undefined) {
    lines.push(
      `            approved: ${s(a['agentgate.approval.name'])} by ${s(a['agentgate.approval.approver']) || '?'}`,
    );
  }
  const text = s(a['db.query.text']);
  if (text !== '') lines.push(`            ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`);
  if (a['agentgate.error'] !== undefined) lines.push(`            ${s(a['agentgate.error'])}`);
  if (c.links.length > 0)
    lines.push(`            agent trace ${c.links[0]!.traceId} span ${c.links[0]!.spanId}`);
  return lines;
}

export function sessionFooter(sess: AuditSession): string {
  const r = sess.root;
  if (r === undefined) return '  (session open or lost)';
  const end = `+${(Number((r.endNs - sess.startNs) / 1000n) / 1e6).toFixed(3)}s`;
  const parts = [`${end.padStart(10)}  ended`];
  if (r.attributes['agentgate.session.commands'] !== undefined) {
    parts.push(
      `${s(r.attributes['agentgate.session.commands'])} commands, in ${s(r.attributes['agentgate.session.bytes_in'])} B, out ${s(r.attributes['agentgate.session.bytes_out'])} B`,
    );
  }
  if (r.attributes['agentgate.session.error'] !== undefined)
    parts.push(s(r.attributes['agentgate.session.error']));
  return parts.join(': ');
}

/** A JSON-friendly copy of a span (bigints as strings). */
export function spanJson(sp: SpanRecord): Record<string, unknown> {
  return {
    traceId: sp.traceId,
    spanId: sp.spanId,
    parentSpanId: sp.parentSpanId,
    name: sp.name,
    start: iso(sp.startNs),
    durationNs: (sp.endNs - sp.startNs).toString(),
    status: sp.status,
    attributes: sp.attributes,
    links: sp.links,
    events: sp.events.map((e) => ({ name: e.name, time: iso(e.timeNs), attributes: e.attributes })),
  };
}
