// Tamper evidence: every command span carries agentgate.chain.hash =
// SHA-256(previous hash, hex || canonical bytes of this span), starting from a
// genesis value bound to the session id; the session span closes the chain
// over its own content, so editing, removing or reordering any span of a
// session shows.
//
// Chain v2 (this file): the canonical bytes are the span's OTLP protobuf
// encoding with its attributes sorted by key and the hash attribute left out
// (otlp-encode.ts, canonicalSpan). The worker writes spans in exactly that
// form, so it hashes the bytes it exports: no second rendering of the span.
// A reader re-encodes a span read from the collector's JSON or the spool the
// same way. Covered: ids, name, kind, times, span attributes with their OTLP
// types, events, links, status; not resource attributes (collectors
// legitimately add to them). Chain v1 (chain-v1.ts) hashed a canonical text
// instead; `sessions verify` accepts both.

import { hash } from 'node:crypto';
import { canonicalSpan } from './otlp-encode.js';
import { PbWriter, utf8Length } from './pb-writer.js';
import type { SpanRecord } from './span-record.js';

export { CHAIN_HASH, CHAIN_INDEX, CHAIN_LENGTH } from './chain-attrs.js';

const VERSION = 'agentgate.chain.v2';

export function genesisHash(traceId: string): string {
  return hash('sha256', `${VERSION}:${traceId}`, 'hex');
}

let input = Buffer.allocUnsafe(1 << 16);

/** SHA-256(previous hash's text || bytes start..end of `src`), hex. One copy, one-shot hashing. */
export function linkHashBytes(previousHex: string, src: Buffer, start: number, end: number): string {
  const plen = utf8Length(previousHex);
  const n = plen + end - start;
  if (input.length < n) input = Buffer.allocUnsafe(Math.max(n, input.length * 2));
  input.write(previousHex, 0, plen, plen === previousHex.length ? 'latin1' : 'utf8');
  src.copy(input, plen, start, end);
  return hash('sha256', input.subarray(0, n), 'hex');
}

const w = new PbWriter(1 << 16);

/** The canonical bytes of a span: a view of a buffer the next call overwrites. */
export function canonicalBytes(span: SpanRecord): Buffer {
  w.pos = 0;
  canonicalSpan(w, span);
  return w.buf.subarray(0, w.pos);
}

/** The v2 link of `span` after `previousHex`. */
export function linkHash(previousHex: string, span: SpanRecord): string {
  const b = canonicalBytes(span);
  return linkHashBytes(previousHex, b, 0, b.length);
}
