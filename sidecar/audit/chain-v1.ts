// Chain version 1, which sidecars wrote until chain v2 (chain.ts): kept so that
// `agentgate sessions verify` still checks spans written then. A link is
// SHA-256(previous hash, hex || canonical text of the span), the text built
// from what survives an OTLP round trip: ids, name, kind, times, status, span
// attributes with their OTLP types (sorted by key, the hash left out), links
// and events.

import { hash } from 'node:crypto';
import { CHAIN_HASH } from './chain-attrs.js';
import type { Attrs, AttrValue, SpanRecord } from './span-record.js';

const VERSION = 'agentgate.chain.v1';

// The canonical text is built by concatenation (JSON.stringify only for strings,
// which escapes them unambiguously): several times cheaper than stringifying
// nested arrays, and the worker computes it for every span.

/**
 * Short string values (decision, policy, rule, operations, table names) repeat
 * from command to command; their quoted text is looked up instead of
 * JSON.stringify'd again, which costs several times a Map lookup.
 */
const valueTexts = new Map<string, string>();
const CACHED_VALUE_CHARS = 64;

function stringText(v: string): string {
  if (v.length > CACHED_VALUE_CHARS) return `s${JSON.stringify(v)}`;
  let t = valueTexts.get(v);
  if (t === undefined) {
    t = `s${JSON.stringify(v)}`;
    if (valueTexts.size >= 4096) valueTexts.clear();
    valueTexts.set(v, t);
  }
  return t;
}

function canonValue(v: AttrValue): string {
  if (typeof v === 'string') return stringText(v);
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

/**
 * How one set of own keys merges with a session's shared attributes: before[i]
 * is the shared text sorted before own key i followed by that key's `"key"=`,
 * tail the shared text after the last own key. A session's command spans
 * nearly always have the same own keys, so the merge (string comparisons,
 * key lookups) runs once per key set instead of once per span.
 */
interface MergePlan {
  /** The own keys the plan was made for, as sortedKeys returned them. */
  readonly own: readonly string[];
  /** The same without the chain hash. */
  readonly keys: readonly string[];
  readonly before: readonly string[];
  readonly tail: string;
}

interface SharedCanon {
  readonly f: Fragments;
  plan: MergePlan | undefined;
}

/** A session's shared attributes are canonicalized once, not once per command. */
const sharedCanon = new WeakMap<Attrs, SharedCanon>();

function mergePlan(f: Fragments, own: readonly string[]): MergePlan {
  const keys: string[] = [];
  const before: string[] = [];
  let j = 0;
  let pending = '';
  for (const k of own) {
    if (k === CHAIN_HASH) continue;
    // A span's own attribute wins over a shared one of the same key.
    while (j < f.keys.length && f.keys[j]! < k) pending += f.texts[j++]!;
    if (j < f.keys.length && f.keys[j] === k) j++;
    keys.push(k);
    before.push(`${pending}${keyText(k)}=`);
    pending = '';
  }
  while (j < f.keys.length) pending += f.texts[j++]!;
  return { own, keys, before, tail: pending };
}

function planFits(plan: MergePlan, own: readonly string[]): boolean {
  const keys = plan.own;
  if (keys.length !== own.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== own[i]) return false;
  return true;
}

function canonAttrs(a: Attrs, shared?: Attrs): string {
  let out = '{';
  if (shared === undefined) {
    for (const k of sortedKeys(a)) {
      if (k !== CHAIN_HASH) out += `${keyText(k)}=${canonValue(a[k]!)};`;
    }
    return `${out}}`;
  }
  let sc = sharedCanon.get(shared);
  if (sc === undefined) {
    sc = { f: fragments(shared), plan: undefined };
    sharedCanon.set(shared, sc);
  }
  const own = sortedKeys(a);
  let plan = sc.plan;
  if (plan === undefined || !planFits(plan, own)) {
    plan = mergePlan(sc.f, own);
    sc.plan = plan;
  }
  const keys = plan.keys;
  const before = plan.before;
  for (let i = 0; i < keys.length; i++) out += `${before[i]!}${canonValue(a[keys[i]!]!)};`;
  return `${out}${plan.tail}}`;
}

/** The canonical text a v1 chain link hashes. */
export function canonicalV1(s: SpanRecord): string {
  return canonicalAfter('', s);
}

/** `prefix` then the canonical text, built as one string (the chain link hashes the previous hash and the text together). */
function canonicalAfter(prefix: string, s: SpanRecord): string {
  let out = `${prefix}${VERSION}|${s.traceId}|${s.spanId}|${s.parentSpanId}|${JSON.stringify(s.name)}|${s.kind}|${s.startNs}|${s.endNs}|${s.status.code}|${JSON.stringify(s.status.message)}|${canonAttrs(s.attributes, s.shared)}|`;
  for (const l of s.links) out += `L${l.traceId}/${l.spanId}${canonAttrs(l.attributes)}`;
  out += '|';
  for (const e of s.events) out += `E${JSON.stringify(e.name)}@${e.timeNs}${canonAttrs(e.attributes)}`;
  return out;
}

export function genesisHashV1(traceId: string): string {
  return hash('sha256', `${VERSION}:${traceId}`, 'hex');
}

/** SHA-256(previous hash in hex || canonical(span)), hex. One-shot hashing: no Hash object per span. */
export function linkHashV1(previousHex: string, span: SpanRecord): string {
  return hash('sha256', canonicalAfter(previousHex, span), 'hex');
}
