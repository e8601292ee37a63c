// Reads audited sessions back: from OTLP JSON lines files (a collector's file
// exporter output, one file or a folder of them) or from a spool folder, and
// groups agentgate's spans into sessions. Spans another service wrote to the
// same files are ignored; a span delivered twice (at-least-once) counts once.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { agError } from '../../common/errors.js';
import { CHAIN_INDEX } from './chain.js';
import { decodeTraceRequest } from './otlp-decode.js';
import { parseOtlpJsonLines } from './otlp-json.js';
import { COMMAND_SPAN, SESSION_SPAN, type SpanRecord } from './span-record.js';
import { listSegments, REC_SPANS, scanRecords, segName } from './spool.js';

export interface AuditSession {
  readonly id: string;
  /** The `agentgate.session` span; absent while the session is open or when it was lost. */
  readonly root: SpanRecord | undefined;
  /** `agentgate.command` spans in chain order. */
  readonly commands: readonly SpanRecord[];
  readonly startNs: bigint;
}

function readSpool(dir: string): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const n of listSegments(dir)) {
    const buf = readFileSync(join(dir, segName(n)));
    scanRecords(buf, (kind, _spans, _offset, payload) => {
      if (kind === REC_SPANS) out.push(...decodeTraceRequest(payload));
    });
  }
  return out;
}

/** Every span in FILE or DIR (a spool, or a folder of OTLP JSON files). */
export function loadSpans(from: string): SpanRecord[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(from);
  } catch (err) {
    throw agError('AG_ERR_AUDIT_CORRUPT', `cannot read ${from}: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) return parseOtlpJsonLines(readFileSync(from, 'utf8'), from);
  if (listSegments(from).length > 0) return readSpool(from);
  const out: SpanRecord[] = [];
  for (const f of readdirSync(from).sort()) {
    if (!/\.(json|jsonl|ndjson)$/.test(f)) continue;
    const path = join(from, f);
    out.push(...parseOtlpJsonLines(readFileSync(path, 'utf8'), path));
  }
  return out;
}

function chainIndex(s: SpanRecord): number {
  const v = s.attributes[CHAIN_INDEX];
  return typeof v === 'number' ? v : Number.MAX_SAFE_INTEGER;
}

/** agentgate's spans grouped per session, oldest session first. */
export function groupSessions(spans: readonly SpanRecord[]): AuditSession[] {
  const seen = new Set<string>();
  const byId = new Map<string, { root: SpanRecord | undefined; commands: SpanRecord[] }>();
  for (const s of spans) {
    if (s.name !== SESSION_SPAN && s.name !== COMMAND_SPAN) continue;
    const key = `${s.traceId}/${s.spanId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let g = byId.get(s.traceId);
    if (g === undefined) {
      g = { root: undefined, commands: [] };
      byId.set(s.traceId, g);
    }
    if (s.name === SESSION_SPAN) g.root = s;
    else g.commands.push(s);
  }
  const out: AuditSession[] = [];
  for (const [id, g] of byId) {
    g.commands.sort((a, b) => chainIndex(a) - chainIndex(b) || (a.startNs < b.startNs ? -1 : 1));
    const first = g.root?.startNs ?? g.commands[0]?.startNs ?? 0n;
    out.push({ id, root: g.root, commands: g.commands, startNs: first });
  }
  return out.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

/** The session whose id is `id` or starts with it; an error when none or several match. */
export function findSession(sessions: readonly AuditSession[], id: string): AuditSession {
  const want = id.toLowerCase();
  const exact = sessions.find((s) => s.id === want);
  if (exact !== undefined) return exact;
  const matches = sessions.filter((s) => s.id.startsWith(want));
  if (matches.length === 1) return matches[0]!;
  throw agError(
    'AG_ERR_CLI_USAGE',
    matches.length === 0
      ? `no session ${id}`
      : `${matches.length} sessions start with ${id}; give more of the id`,
  );
}
