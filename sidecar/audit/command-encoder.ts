// The worker's hot path: one command record in the shared ring straight to its
// OTLP span bytes in the batch, chained (v2: the hash covers exactly the bytes
// written, see chain.ts). No event object, no attribute map, no string for the
// query text or the other values: their UTF-8 bytes are copied from the ring.
// What a session's command spans share (connection, identity, trace and parent
// ids) is encoded once per session and copied in.
//
// The output is byte for byte what canonicalSpan + spanTail (otlp-encode.ts)
// write for the span record commandSpan (spans.ts) builds from the same event;
// command-encoder.test.ts holds the two together.
//
// Most commands take the native encoder (native-span-codec.ts): the same bytes
// in one call; what it declines, and everything when it is not loaded, takes
// the JavaScript below (command-encoder-native.test.ts holds them together).

import { linkHashBytes } from './chain.js';
import { CHAIN_HASH, CHAIN_INDEX } from './chain-attrs.js';
import {
  DECISIONS,
  P_APPROVAL,
  P_APPROVER,
  P_BYTES,
  P_ERROR,
  P_ERROR_CODE,
  P_MASKED,
  P_METHOD,
  P_PATH,
  P_ROWS,
  P_STATUS,
  P_TRACEPARENT,
  P_TRUNCATED,
} from './event-codec.js';
import { hasCommentEnd, type Key, key, listKV, nsField, numKV, sameBytes, sh, strKV } from './kv-bytes.js';
import { IO, loadSpanCodec, NATIVE_SLACK, packPieces } from './native-span-codec.js';
import { keyValue, LINK_FLAGS, SPAN_FLAGS, type SpanBatch } from './otlp-encode.js';
import { PbWriter, varintSize } from './pb-writer.js';
import type { RingReader } from './ring.js';
import { COMMAND_SPAN } from './span-record.js';
import { maskedKey, parseTraceparent, type SessionState, sharedAttrs } from './spans.js';
import { traceparentFromSql } from './traceparent.js';

/**
 * A command span's own attribute keys in sorted order (command-encoder.test.ts
 * checks the order); MASKED stands for the `agentgate.masked.*` group. A
 * session's shared attributes go between them by the same order.
 */
const OWN = [
  'agentgate.approval.approver',
  'agentgate.approval.name',
  'agentgate.bytes',
  CHAIN_INDEX,
  'agentgate.command.seq',
  'agentgate.decision',
  'agentgate.error',
  'agentgate.masked.',
  'agentgate.operations',
  'agentgate.policy',
  'agentgate.query.truncated_from',
  'agentgate.rows',
  'agentgate.rule',
  'agentgate.tables',
  'db.collection.name',
  'db.operation.name',
  'db.query.text',
  'error.type',
  'http.request.method',
  'http.response.status_code',
  'url.path',
] as const;
export const OWN_KEY_ORDER: readonly string[] = OWN;

const K = OWN.map(key);
const [
  K_APPROVER,
  K_APPROVAL,
  K_BYTES,
  K_INDEX,
  K_SEQ,
  K_DECISION,
  K_ERROR,
  ,
  K_OPS,
  K_POLICY,
  K_TRUNCATED,
  K_ROWS,
  K_RULE,
  K_TABLES,
  K_COLLECTION,
  K_OPERATION,
  K_TEXT,
  K_ERROR_TYPE,
  K_METHOD,
  K_STATUS,
  K_PATH,
] = K as [
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
  Key,
];
const S_MASKED = 7;
const K_HASH = key(CHAIN_HASH);
const K_MASKED_COUNT = 'agentgate.masked.count';

/** The decision attribute, whole, per decision code. */
const DECISION_KV: readonly Buffer[] = DECISIONS.map((d) => {
  const w = new PbWriter(64);
  keyValue(w, 9, K_DECISION!.s, d);
  return Buffer.from(w.buf.subarray(0, w.pos));
});
const DECISION_TEXT: readonly Buffer[] = DECISIONS.map((d) => Buffer.from(d));

/** The span's flags field, last in every span. */
const SPAN_TAIL: Buffer = (() => {
  const w = new PbWriter(16);
  w.fixed32(16, SPAN_FLAGS);
  return Buffer.from(w.buf.subarray(0, w.pos));
})();

/** What the native encoder writes from JavaScript's definitions (in span_codec.c's order), and its numbers in and out. */
const CONSTANTS = packPieces(K.length + 1 + 4 + 4 + 1, [
  ...K.map((k) => k.b),
  K_HASH.b,
  ...DECISION_KV,
  ...DECISION_TEXT,
  SPAN_TAIL,
]);
// Over an ArrayBuffer of its own: C keeps a pointer to it (a small typed array's data may start out in the JS heap).
const io = new Float64Array(new ArrayBuffer(IO.WORDS * 8));
const loaded = loadSpanCodec(io, CONSTANTS);
let native = loaded;
/** What native.bind was last given. */
const bound: { ring?: Buffer; out?: Buffer; ids?: Buffer } = {};

/**
 * Chooses the native encoder (when it loaded) or the JavaScript one, for tests
 * and benchmarks in one process; returns whether the native one is now in use.
 */
export function useNativeEncoder(on: boolean): boolean {
  native = on ? loaded : undefined;
  return native !== undefined;
}

/** What every command span of a session repeats, encoded once (again when the session's auth changes). */
interface SessionBytes {
  readonly auth: SessionState['auth'];
  /** Trace id field. */
  readonly head: Buffer;
  /** Parent id, name and kind fields. */
  readonly mid: Buffer;
  /** slots[i]: shared attributes sorted before own key i (slots[OWN.length]: after the last). */
  readonly slots: readonly (Buffer | undefined)[];
  readonly http: boolean;
  /** All of the above for the native encoder (packPieces: flags, head, mid, slots, then its last hash). */
  readonly packed: Buffer;
  /** The hash the native encoder last returned for this session: the one `packed` holds. */
  lastHash: string | undefined;
}

const sessionBytes = new WeakMap<SessionState, SessionBytes>();

function buildSessionBytes(st: SessionState): SessionBytes {
  const w = new PbWriter(1024);
  const take = (): Buffer => {
    const b = Buffer.from(w.buf.subarray(0, w.pos));
    w.pos = 0;
    return b;
  };
  w.hex(1, st.start.sessionId);
  const head = take();
  w.hex(4, st.rootSpanId);
  w.string(5, COMMAND_SPAN);
  w.tag(6, 0);
  w.varint(3);
  const mid = take();
  const shared = sharedAttrs(st);
  const slots: (Buffer | undefined)[] = new Array(OWN.length + 1).fill(undefined);
  let slot = 0;
  for (const k of Object.keys(shared).sort()) {
    while (slot < OWN.length && OWN[slot]! < k) {
      if (w.pos > 0) slots[slot] = take();
      slot++;
    }
    keyValue(w, 9, k, shared[k]!);
  }
  if (w.pos > 0) slots[slot] = take();
  const http = st.start.protocol === 'http';
  const packed = packPieces(http ? 1 : 0, [head, mid, ...slots, Buffer.alloc(64)]);
  return { auth: st.auth, head, mid, slots, http, packed, lastHash: undefined };
}

function bytesOf(st: SessionState): SessionBytes {
  let sb = sessionBytes.get(st);
  if (sb === undefined || sb.auth !== st.auth) {
    sb = buildSessionBytes(st);
    sessionBytes.set(st, sb);
  }
  return sb;
}

/** Offsets of one command record's variable parts in the ring (reused: one record at a time). */
const rec = {
  textS: 0,
  textE: 0,
  opsS: [] as number[],
  opsE: [] as number[],
  tabS: [] as number[],
  tabE: [] as number[],
  policyS: 0,
  policyE: 0,
  ruleS: 0,
  ruleE: 0,
  approvalS: 0,
  approvalE: 0,
  approverS: 0,
  approverE: 0,
  maskedS: [] as number[],
  maskedE: [] as number[],
  maskedN: [] as number[],
  errCodeS: 0,
  errCodeE: 0,
  errS: 0,
  errE: 0,
  tpS: 0,
  tpE: 0,
  methodS: 0,
  methodE: 0,
  pathS: 0,
  pathE: 0,
};

/** Reads a u32-prefixed string's extent; returns its end. */
function str(r: RingReader): number {
  const len = r.dv.getUint32(r.pos, true);
  r.pos += 4 + len;
  return r.pos;
}

function list(r: RingReader, starts: number[], ends: number[]): number {
  const n = r.u16();
  for (let i = 0; i < n; i++) {
    starts[i] = r.pos + 4;
    ends[i] = str(r);
  }
  return n;
}

const utf8 = new TextDecoder();
const maskedKeys = new Map<string, Key>();
function maskedKeyOf(name: string): Key {
  let k = maskedKeys.get(name);
  if (k === undefined) {
    k = key(maskedKey(name));
    if (maskedKeys.size < 1024) maskedKeys.set(name, k);
  }
  return k;
}

/** How one list of entity names becomes attributes: keys in order, each with the entry it takes (-1: the total). */
interface MaskedPlan {
  /** The names' UTF-8 bytes, for recognizing the same list again without decoding it. */
  readonly names: readonly Buffer[];
  readonly keys: readonly { readonly k: Key; readonly entry: number }[];
}
/** The last few plans: a session's commands mostly mask the same entities. */
const maskedPlans: MaskedPlan[] = [];

function planFits(p: MaskedPlan, src: Buffer, n: number): boolean {
  if (p.names.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const b = p.names[i]!;
    const s = rec.maskedS[i]!;
    if (rec.maskedE[i]! - s !== b.length || src.compare(b, 0, b.length, s, rec.maskedE[i]!) !== 0)
      return false;
  }
  return true;
}

function maskedPlan(src: Buffer, n: number): MaskedPlan {
  for (const p of maskedPlans) if (planFits(p, src, n)) return p;
  // Per entity key the last entry wins, and the total wins a clash (as in commandSpan).
  const entries = new Map<string, { k: Key; entry: number }>();
  const names: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(src.subarray(rec.maskedS[i]!, rec.maskedE[i]!));
    names.push(name);
    const k = maskedKeyOf(name.toString('utf8'));
    entries.set(k.s, { k, entry: i });
  }
  entries.set(K_MASKED_COUNT, { k: maskedKeyOf('count'), entry: -1 });
  const plan = { names, keys: [...entries.keys()].sort().map((ks) => entries.get(ks)!) };
  if (maskedPlans.length >= 8) maskedPlans.pop();
  maskedPlans.unshift(plan);
  return plan;
}

/** The masked-value counts: per entity key and the total, sorted, each key once. */
function maskedKVs(w: PbWriter, src: Buffer, n: number): void {
  let total = 0;
  for (let i = 0; i < n; i++) total += rec.maskedN[i]!;
  for (const p of maskedPlan(src, n).keys) numKV(w, p.k, p.entry < 0 ? total : rec.maskedN[p.entry]!);
}

/**
 * encodeCommand by the native encoder: undefined, with nothing written or
 * consumed, when it declines or is not loaded.
 */
export function encodeCommandNative(
  r: RingReader,
  st: SessionState,
  batch: SpanBatch,
  ids: Buffer,
  idAt: number,
): number | undefined {
  if (native === undefined) return undefined;
  const sb = bytesOf(st);
  const w = batch.w;
  // C cannot grow the buffer: room for the most the record can become.
  w.ensure(sb.packed.length + CONSTANTS.length + 5 * (r.end - r.pos) + NATIVE_SLACK);
  if (r.buf !== bound.ring || w.buf !== bound.out || ids !== bound.ids) {
    native.bind(r.buf, w.buf, ids);
    bound.ring = r.buf;
    bound.out = w.buf;
    bound.ids = ids;
  }
  io[IO.RPOS] = r.pos;
  io[IO.REND] = r.end;
  io[IO.WPOS] = w.pos;
  io[IO.IDAT] = idAt;
  io[IO.INDEX] = st.chained + 1;
  const hash = native.encode(sb.packed, st.lastHash === sb.lastHash ? undefined : st.lastHash);
  if (hash === undefined) return undefined;
  sb.lastHash = hash;
  r.pos = io[IO.RPOS]!;
  w.pos = io[IO.WPOS]!;
  batch.count++;
  st.lastHash = hash;
  st.chained++;
  const endMs = io[IO.ENDMS]!;
  if (endMs > st.lastSeenMs) st.lastSeenMs = endMs;
  return endMs;
}

/**
 * Encodes the command record under the reader's cursor (its kind byte already
 * read) as one span in `batch`, chains it into `st` and returns its end time in
 * epoch ms. `ids`/`idAt`: the span id's 8 bytes.
 */
export function encodeCommand(
  r: RingReader,
  st: SessionState,
  batch: SpanBatch,
  ids: Buffer,
  idAt: number,
): number {
  if (native !== undefined) {
    const endMs = encodeCommandNative(r, st, batch, ids, idAt);
    if (endMs !== undefined) return endMs;
  }
  const src = r.buf;
  const mask = r.u32();
  const decision = r.u8v() & 3;
  const seq = r.u32();
  const startedAt = r.f64();
  const durationUs = r.f64();
  str(r); // session id: the caller looked it up
  rec.textS = r.pos + 4;
  rec.textE = str(r);
  const nOps = list(r, rec.opsS, rec.opsE);
  const nTab = list(r, rec.tabS, rec.tabE);
  rec.policyS = r.pos + 4;
  rec.policyE = str(r);
  rec.ruleS = r.pos + 4;
  rec.ruleE = str(r);
  if (mask & P_APPROVAL) {
    rec.approvalS = r.pos + 4;
    rec.approvalE = str(r);
  }
  if (mask & P_APPROVER) {
    rec.approverS = r.pos + 4;
    rec.approverE = str(r);
  }
  const rows = mask & P_ROWS ? r.f64() : 0;
  const bytes = mask & P_BYTES ? r.f64() : 0;
  let nMasked = 0;
  if (mask & P_MASKED) {
    nMasked = r.u16();
    for (let i = 0; i < nMasked; i++) {
      rec.maskedS[i] = r.pos + 4;
      rec.maskedE[i] = str(r);
      rec.maskedN[i] = r.f64();
    }
  }
  if (mask & P_ERROR_CODE) {
    rec.errCodeS = r.pos + 4;
    rec.errCodeE = str(r);
  }
  if (mask & P_ERROR) {
    rec.errS = r.pos + 4;
    rec.errE = str(r);
  }
  if (mask & P_TRACEPARENT) {
    rec.tpS = r.pos + 4;
    rec.tpE = str(r);
  }
  if (mask & P_METHOD) {
    rec.methodS = r.pos + 4;
    rec.methodE = str(r);
  }
  if (mask & P_PATH) {
    rec.pathS = r.pos + 4;
    rec.pathE = str(r);
  }
  const httpStatus = mask & P_STATUS ? r.u16() : 0;
  const truncatedFrom = mask & P_TRUNCATED ? r.u32() : 0;

  const sb = bytesOf(st);
  const slots = sb.slots;
  const w = batch.w;
  const mark = batch.beginSpan();
  const start = w.pos;
  w.bytes(sb.head);
  w.byte(0x12);
  w.byte(8);
  w.copy(ids, idAt, idAt + 8);
  w.bytes(sb.mid);
  const durNs = Math.max(0, Math.round(durationUs * 1000));
  nsField(w, 7, startedAt, 0);
  nsField(w, 8, startedAt, durNs);

  // Attributes in key order, the session's shared ones in their slots.
  sh(w, slots, 0);
  if (mask & P_APPROVER) strKV(w, K_APPROVER, src, rec.approverS, rec.approverE);
  sh(w, slots, 1);
  if (mask & P_APPROVAL) strKV(w, K_APPROVAL, src, rec.approvalS, rec.approvalE);
  sh(w, slots, 2);
  if (mask & P_BYTES) numKV(w, K_BYTES, bytes);
  sh(w, slots, 3);
  numKV(w, K_INDEX, st.chained + 1);
  sh(w, slots, 4);
  numKV(w, K_SEQ, seq);
  sh(w, slots, 5);
  w.bytes(DECISION_KV[decision]!);
  sh(w, slots, 6);
  if (mask & P_ERROR) strKV(w, K_ERROR, src, rec.errS, rec.errE);
  sh(w, slots, S_MASKED);
  if (mask & P_MASKED) maskedKVs(w, src, nMasked);
  sh(w, slots, 8);
  if (nOps > 0) listKV(w, K_OPS, src, rec.opsS, rec.opsE, nOps);
  sh(w, slots, 9);
  if (rec.policyE > rec.policyS) strKV(w, K_POLICY, src, rec.policyS, rec.policyE);
  sh(w, slots, 10);
  if (mask & P_TRUNCATED) numKV(w, K_TRUNCATED, truncatedFrom);
  sh(w, slots, 11);
  if (mask & P_ROWS) numKV(w, K_ROWS, rows);
  sh(w, slots, 12);
  if (rec.ruleE > rec.ruleS) strKV(w, K_RULE, src, rec.ruleS, rec.ruleE);
  sh(w, slots, 13);
  if (nTab > 0) listKV(w, K_TABLES, src, rec.tabS, rec.tabE, nTab);
  sh(w, slots, 14);
  if (nTab === 1 && !sb.http) strKV(w, K_COLLECTION, src, rec.tabS[0]!, rec.tabE[0]!);
  sh(w, slots, 15);
  if (nOps === 1) strKV(w, K_OPERATION, src, rec.opsS[0]!, rec.opsE[0]!);
  else if (nOps > 1) {
    let same = true;
    for (let i = 1; i < nOps && same; i++)
      same = sameBytes(src, rec.opsS[i]!, rec.opsE[i]!, rec.opsS[0]!, rec.opsE[0]!);
    const op = same ? `BATCH ${utf8.decode(src.subarray(rec.opsS[0]!, rec.opsE[0]!))}` : 'BATCH';
    keyValue(w, 9, K_OPERATION.s, op);
  }
  sh(w, slots, 16);
  if (!sb.http) strKV(w, K_TEXT, src, rec.textS, rec.textE);
  sh(w, slots, 17);
  if (mask & P_ERROR_CODE) strKV(w, K_ERROR_TYPE, src, rec.errCodeS, rec.errCodeE);
  sh(w, slots, 18);
  if (mask & P_METHOD) strKV(w, K_METHOD, src, rec.methodS, rec.methodE);
  sh(w, slots, 19);
  if (mask & P_STATUS) numKV(w, K_STATUS, httpStatus);
  sh(w, slots, 20);
  if (mask & P_PATH) strKV(w, K_PATH, src, rec.pathS, rec.pathE);
  sh(w, slots, 21);

  // A protocol that did not read the sqlcommenter comment itself still gets the
  // link: audit text keeps comments (masked; a traceparent survives masking).
  // Only a text with a comment end is decoded to look.
  let tp: string | undefined;
  if (mask & P_TRACEPARENT) tp = utf8.decode(src.subarray(rec.tpS, rec.tpE));
  else if (!sb.http && hasCommentEnd(src, rec.textS, rec.textE))
    tp = traceparentFromSql(utf8.decode(src.subarray(rec.textS, rec.textE)));
  const link = tp === undefined ? undefined : parseTraceparent(tp);
  if (link !== undefined) {
    const at = w.begin(13);
    w.hex(1, link.traceId);
    w.hex(2, link.spanId);
    for (const k in link.attributes) keyValue(w, 4, k, link.attributes[k]!);
    w.fixed32(6, LINK_FLAGS);
    w.end(at);
  }

  const failed = decision === 1 || decision === 3 || (mask & P_ERROR_CODE) !== 0;
  w.byte(0x7a);
  if (!failed) w.byte(0);
  else {
    let ms = rec.errS;
    let me = rec.errE;
    let msrc: Buffer = src;
    if (!(mask & P_ERROR)) {
      msrc = DECISION_TEXT[decision]!;
      ms = 0;
      me = msrc.length;
    }
    const mlen = me - ms;
    const status = (mlen > 0 ? 1 + varintSize(mlen) + mlen : 0) + 2;
    w.varint(status);
    if (mlen > 0) {
      w.byte(0x12);
      w.varint(mlen);
      w.copy(msrc, ms, me);
    }
    w.byte(0x18);
    w.byte(2);
  }

  const hash = linkHashBytes(st.lastHash, w.buf, start, w.pos);
  w.byte(0x4a);
  w.varint(K_HASH.b.length + 1 + 1 + 2 + 64);
  w.bytes(K_HASH.b);
  w.byte(0x12);
  w.byte(66);
  w.byte(0x0a);
  w.byte(64);
  w.text(hash, 64);
  w.fixed32(16, SPAN_FLAGS);
  batch.endSpan(mark);

  st.lastHash = hash;
  st.chained++;
  const endMs = startedAt + durationUs / 1000;
  if (endMs > st.lastSeenMs) st.lastSeenMs = endMs;
  return endMs;
}
