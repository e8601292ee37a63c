// Tamper evidence: every command span carries agentgate.chain.hash =
// SHA-256(previous hash || canonical content of this span), starting from a
// genesis value bound to the session id; the session span closes the chain
// over its own content, so editing, removing or reordering any span of a
// session shows. The canonical form uses only what survives an OTLP round trip
// (protobuf or the collector's JSON): ids, name, kind, times, status, span
// attributes with their OTLP types, links and events. Resource attributes are
// left out: collectors legitimately add to them.

import { createHash } from 'node:crypto';
import type { Attrs, AttrValue, SpanRecord } from './span-record.js';

export const CHAIN_HASH = 'agentgate.chain.hash';
/** 1, 2, 3... the span's place in the chain (arrival order of the commands). */
export const CHAIN_INDEX = 'agentgate.chain.index';
/** Session span: how many command spans the chain covers. */
export const CHAIN_LENGTH = 'agentgate.chain.length';
const VERSION = 'agentgate.chain.v1';

type Canon = readonly unknown[];

function canonValue(v: AttrValue): Canon {
  if (typeof v === 'string') return ['s', v];
  if (typeof v === 'boolean') return ['b', v];
  if (typeof v === 'number') return Number.isInteger(v) ? ['i', String(v)] : ['d', String(v)];
  return ['a', v.map(canonValue)];
}

function canonAttrs(a: Attrs): Canon {
  return Object.keys(a)
    .filter((k) => k !== CHAIN_HASH)
    .sort()
    .map((k) => [k, canonValue(a[k]!)]);
}

/** The canonical text a span's chain link hashes. */
export function canonical(s: SpanRecord): string {
  return JSON.stringify([
    VERSION,
    s.traceId,
    s.spanId,
    s.parentSpanId,
    s.name,
    s.kind,
    s.startNs.toString(),
    s.endNs.toString(),
    s.status.code,
    s.status.message,
    canonAttrs(s.attributes),
    s.links.map((l) => [l.traceId, l.spanId, canonAttrs(l.attributes)]),
    s.events.map((e) => [e.name, e.timeNs.toString(), canonAttrs(e.attributes)]),
  ]);
}

export function genesisHash(traceId: string): string {
  return createHash('sha256').update(`${VERSION}:${traceId}`).digest('hex');
}

/** SHA-256(previous || canonical(span)), hex. */
export function linkHash(previousHex: string, span: SpanRecord): string {
  return createHash('sha256').update(Buffer.from(previousHex, 'hex')).update(canonical(span)).digest('hex');
}
