// Tamper evidence: every command span carries agentgate.chain.hash =
// SHA-256(previous hash, hex || canonical content of this span), starting from a
// genesis value bound to the session id; the session span closes the chain
// over its own content, so editing, removing or reordering any span of a
// session shows. The canonical form uses only what survives an OTLP round trip
// (protobuf or the collector's JSON): ids, name, kind, times, status, span
// attributes with their OTLP types, links and events. Resource attributes are
// left out: collectors legitimately add to them.

import { hash } from 'node:crypto';
import type { Attrs, AttrValue, SpanRecord } from './span-record.js';

export const CHAIN_HASH = 'agentgate.chain.hash';
/** 1, 2, 3... the span's place in the chain (arrival order of the commands). */
export const CHAIN_INDEX = 'agentgate.chain.index';
/** Session span: how many command spans the chain covers. */
export const CHAIN_LENGTH = 'agentgate.chain.length';
const VERSION = 'agentgate.chain.v1';

// The canonical text is built by concatenation (JSON.stringify only for strings,
// which escapes them unambiguously): several times cheaper than stringifying
// nested arrays, and the worker computes it for every span.

function canonValue(v: AttrValue): string {
  if (typeof v === 'string') return `s${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return v ? 'b1' : 'b0';
  if (typeof v === 'number') return Number.isInteger(v) ? `i${v}` : `d${v}`;
  let out = 'a[';
  for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + canonValue(v[i]!);
  return `${out}]`;
}

const keyTexts = new Map<string, string>();
function keyText(k: string): string {
  let t = keyTexts.get(k);
  if (t === undefined) {
    t = JSON.stringify(k);
    if (keyTexts.size < 4096) keyTexts.set(k, t);
  }
  return t;
}

function sortedKeys(a: Attrs): string[] {
  const keys = Object.keys(a);
  // The worker inserts keys in order already; sorting is for spans read back from elsewhere.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) return keys.sort();
  }
  return keys;
}

interface Fragments {
  readonly keys: readonly string[];
  readonly texts: readonly string[];
}

function fragments(a: Attrs): Fragments {
  const keys = sortedKeys(a).filter((k) => k !== CHAIN_HASH);
  return { keys, texts: keys.map((k) => `${keyText(k)}=${canonValue(a[k]!)};`) };
}

/** A session's shared attributes are canonicalized once, not once per command. */
const sharedFragments = new WeakMap<Attrs, Fragments>();

function canonAttrs(a: Attrs, shared?: Attrs): string {
  let out = '{';
  if (shared === undefined) {
    for (const k of sortedKeys(a)) {
      if (k !== CHAIN_HASH) out += `${keyText(k)}=${canonValue(a[k]!)};`;
    }
    return `${out}}`;
  }
  let f = sharedFragments.get(shared);
  if (f === undefined) {
    f = fragments(shared);
    sharedFragments.set(shared, f);
  }
  // Merge the two sorted key lists; a span's own attribute wins over a shared one.
  const own = sortedKeys(a);
  let j = 0;
  for (const k of own) {
    if (k === CHAIN_HASH) continue;
    while (j < f.keys.length && f.keys[j]! < k) out += f.texts[j++]!;
    if (j < f.keys.length && f.keys[j] === k) j++;
    out += `${keyText(k)}=${canonValue(a[k]!)};`;
  }
  while (j < f.keys.length) out += f.texts[j++]!;
  return `${out}}`;
}

/** The canonical text a span's chain link hashes. */
export function canonical(s: SpanRecord): string {
  let out = `${VERSION}|${s.traceId}|${s.spanId}|${s.parentSpanId}|${JSON.stringify(s.name)}|${s.kind}|${s.startNs}|${s.endNs}|${s.status.code}|${JSON.stringify(s.status.message)}|${canonAttrs(s.attributes, s.shared)}|`;
  for (const l of s.links) out += `L${l.traceId}/${l.spanId}${canonAttrs(l.attributes)}`;
  out += '|';
  for (const e of s.events) out += `E${JSON.stringify(e.name)}@${e.timeNs}${canonAttrs(e.attributes)}`;
  return out;
}

export function genesisHash(traceId: string): string {
  return hash('sha256', `${VERSION}:${traceId}`, 'hex');
}

/** SHA-256(previous hash in hex || canonical(span)), hex. One-shot hashing: no Hash object per span. */
export function linkHash(previousHex: string, span: SpanRecord): string {
  return hash('sha256', previousHex + canonical(span), 'hex');
}
