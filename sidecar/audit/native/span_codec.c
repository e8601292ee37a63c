// The audit worker's command span encoder in C: one call turns one command
// record in the shared ring into its OTLP span bytes in the batch, chain hash
// included. Why: in JavaScript (encodeCommand, command-encoder.ts) a span costs
// about 3.3 µs of CPU, 2 of them the hashing (node:crypto's one-shot hash has
// a large fixed cost per call, and needs the input copied together); that is
// most of the audit worker's CPU, in a pod of two cores whose other core serves
// the agent. Here it is about 1.2 µs, half of it SHA-256 itself over the ~1 KB
// a span with a session's identity takes (the floor: the chain covers every byte).
//
// It writes exactly the bytes encodeCommand writes (command-encoder-native.test.ts
// compares the two over random records) for the common case, and declines
// (returns undefined, having written and consumed nothing) for the rest, which
// JavaScript then encodes as before: a traceparent (given, or possibly in a
// comment of the query text: any `*/`), masked counts with a non-ASCII entity
// name (JavaScript sorts keys by UTF-16 units) or more than MASKED_MAX of them,
// several operations whose first name is not ASCII (TextDecoder's BOM and
// replacement rules), numbers (rows, bytes, masked counts, chain index) that
// are not non-negative safe integers, times outside the range nsField
// (kv-bytes.ts) writes without BigInt, a record whose lengths run past its end,
// a batch buffer without the room the caller ensures.
//
// Few N-API conversions per span: key encodings, decision attributes and the
// span flags come from JavaScript once (create); the ring, the batch buffer and
// the span ids once per change (bind); numbers through a shared Float64Array;
// per call only the session's pieces (one buffer with an offsets table, built
// once per session in command-encoder.ts, which also keeps the session's last
// hash) and the hash string out. SHA-256 is OpenSSL's as the node binary
// exports it: nothing else is linked.

#define OPENSSL_SUPPRESS_DEPRECATED
#include <math.h>
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ring's numbers are little-endian and read in place"
#endif

// Presence bits of a command record (event-codec.ts).
enum {
  P_APPROVAL = 1,
  P_APPROVER = 2,
  P_ROWS = 4,
  P_BYTES = 8,
  P_MASKED = 16,
  P_ERROR_CODE = 32,
  P_ERROR = 64,
  P_TRACEPARENT = 128,
  P_METHOD = 256,
  P_PATH = 512,
  P_STATUS = 1024,
  P_TRUNCATED = 2048,
};

// The own keys in their sorted order (OWN in command-encoder.ts).
enum {
  K_APPROVER,
  K_APPROVAL,
  K_BYTES,
  K_INDEX,
  K_SEQ,
  K_DECISION,
  K_ERROR,
  K_MASKED,
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
  N_OWN,
};

// The constant pieces handed to create(), in this order.
enum {
  C_HASH_KEY = N_OWN,
  C_DECISION_KV = C_HASH_KEY + 1,
  C_DECISION_TEXT = C_DECISION_KV + 4,
  C_TAIL = C_DECISION_TEXT + 4,
  C_COUNT,
};

// A session's pieces: trace id field, parent/name/kind fields, the shared
// attributes before own key i (N_OWN + 1 slots), then 64 bytes where encode
// keeps the hash it wrote last (the next span's previous hash, without
// reading the JS string back).
enum { S_HEAD, S_MID, S_SLOT0, S_LAST_HASH = S_SLOT0 + N_OWN + 1, S_PIECES };
// u32 flags, then S_PIECES + 1 u32 offsets from the buffer's start.
#define S_HEADER (4 + 4 * (S_PIECES + 1))
#define S_HTTP 1

// The numbers that go in and out through the shared Float64Array (IO in command-encoder.ts).
enum { IO_RPOS, IO_REND, IO_WPOS, IO_IDAT, IO_INDEX, IO_ENDMS, IO_WORDS };

// Room the caller ensures beyond the session and constant bytes and 5x the record
// (a string can be written twice, a list element's framing grows from 4 bytes to
// 12): own keys' framing, ids, times, status, hash, flags, the span's own framing.
#define SLACK 1024

// Masked counts handled here: entities per command, and bytes of their keys.
#define MASKED_MAX 32
#define MASKED_KEY_BYTES 4096
static const char MASKED_PREFIX[] = "agentgate.masked.";
#define MASKED_PREFIX_LEN (sizeof MASKED_PREFIX - 1)

#define TWO32 4294967296.0
#define MAX_SAFE 9007199254740991.0

typedef struct {
  const uint8_t *p;
  size_t n;
} piece;

// A buffer bound once (bind) rather than looked up per call: JS rebinds when it changes.
typedef struct {
  napi_ref ref;
  uint8_t *p;
  size_t n;
} bound;

typedef struct {
  // Functions still holding this (encode, bind): freed with the last.
  int users;
  napi_ref io_ref;
  double *io;
  bound ring, out, ids;
  uint8_t *consts;
  size_t consts_len;
  piece c[C_COUNT];
} codec;

static inline uint32_t rd_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint16_t rd_u16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

static inline double rd_f64(const uint8_t *p) {
  double v;
  memcpy(&v, p, 8);
  return v;
}

// A u32-prefixed string at *at, ending no later than `end`: 0 when it would not.
static inline int rd_str(const uint8_t *b, size_t *at, size_t end, size_t *s, size_t *e) {
  if (end - *at < 4) return 0;
  size_t len = rd_u32(b + *at);
  if (end - *at - 4 < len) return 0;
  *s = *at + 4;
  *e = *s + len;
  *at = *e;
  return 1;
}

// A u16 count of strings; the first one's extent is kept (the only one read by itself).
static inline int rd_list(const uint8_t *b, size_t *at, size_t end, size_t *first, uint32_t *n, size_t *s0,
                          size_t *e0) {
  if (end - *at < 2) return 0;
  *n = rd_u16(b + *at);
  *at += 2;
  *first = *at;
  *s0 = *e0 = *at;
  for (uint32_t i = 0; i < *n; i++) {
    size_t s, e;
    if (!rd_str(b, at, end, &s, &e)) return 0;
    if (i == 0) {
      *s0 = s;
      *e0 = e;
    }
  }
  return 1;
}

// Math.floor without a libm call (no rounding instruction in baseline x86-64):
// exact below 2^52, where a double may have a fraction; above, every double is
// whole (and NaN, infinities pass through). A zero's sign may differ from
// Math.floor's, which no caller's output can show.
static inline double js_floor(double x) {
  if (!(fabs(x) < 4503599627370496.0)) return x;
  double t = (double)(int64_t)x;
  return t > x ? t - 1 : t;
}

static inline int is_count(double v) { return v >= 0 && v <= MAX_SAFE && js_floor(v) == v; }

// An f64 count at *at (rows, bytes): 0 when it would pass `end` or is not a safe count.
static inline int rd_count(const uint8_t *b, size_t *at, size_t end, double *v) {
  if (end - *at < 8) return 0;
  *v = rd_f64(b + *at);
  *at += 8;
  return is_count(*v);
}

// Math.round: the nearest integer, halves up.
static inline double js_round(double x) {
  double r = js_floor(x);
  return x - r >= 0.5 ? r + 1 : r;
}

// nsField's arithmetic (kv-bytes.ts), step for step; 0 outside the range it writes without BigInt.
static int ns_parts(double ms, double add_ns, uint32_t *lo32, uint32_t *hi32) {
  double whole = js_floor(ms);
  double frac = js_round((ms - whole) * 1e6) + add_ns;
  double hi = js_floor(whole / TWO32);
  double lo = (whole - hi * TWO32) * 1e6 + frac;
  if (!(whole >= 0 && whole < 4398046511104.0 && lo < 9007199254740992.0)) return 0;
  double carry = js_floor(lo / TWO32);
  *lo32 = (uint32_t)(lo - carry * TWO32);
  *hi32 = (uint32_t)(hi * 1e6 + carry);
  return 1;
}

static inline int vsize(uint64_t v) {
  int n = 1;
  for (; v > 0x7f; v >>= 7) n++;
  return n;
}

static inline uint8_t *put_varint(uint8_t *o, uint64_t v) {
  for (; v > 0x7f; v >>= 7) *o++ = (uint8_t)(v | 0x80);
  *o++ = (uint8_t)v;
  return o;
}

static inline uint8_t *put(uint8_t *o, const uint8_t *p, size_t n) {
  memcpy(o, p, n);
  return o + n;
}

static inline uint8_t *put_piece(uint8_t *o, piece p) { return put(o, p.p, p.n); }

// 64 bytes (a hash in hex) in eight moves: the compiler's inline memcpy uses `rep movs`, slow to start.
static inline void copy64(uint8_t *to, const uint8_t *from) {
  uint64_t w[8];
  for (int i = 0; i < 8; i++) memcpy(&w[i], from + 8 * i, 8);
  for (int i = 0; i < 8; i++) memcpy(to + 8 * i, &w[i], 8);
}

static inline uint8_t *put_fixed64(uint8_t *o, uint8_t tag, uint32_t lo, uint32_t hi) {
  *o++ = tag;
  memcpy(o, &lo, 4);
  memcpy(o + 4, &hi, 4);
  return o + 8;
}

// A span attribute (Span field 9) up to its AnyValue's `any` bytes of contents.
static inline uint8_t *kv_head(uint8_t *o, piece k, uint64_t any) {
  *o++ = 0x4a;
  o = put_varint(o, k.n + 1 + vsize(any) + any);
  o = put_piece(o, k);
  *o++ = 0x12;
  return put_varint(o, any);
}

static inline uint8_t *str_kv(uint8_t *o, piece k, const uint8_t *v, size_t vlen) {
  o = kv_head(o, k, 1 + vsize(vlen) + vlen);
  *o++ = 0x0a;
  o = put_varint(o, vlen);
  return put(o, v, vlen);
}

static inline uint8_t *num_kv(uint8_t *o, piece k, uint64_t v) {
  o = kv_head(o, k, 1 + vsize(v));
  *o++ = 0x18;
  return put_varint(o, v);
}

// An array of `n` strings (already bounds-checked) starting at `at`.
static uint8_t *list_kv(uint8_t *o, piece k, const uint8_t *b, size_t at, uint32_t n) {
  uint64_t arr = 0;
  size_t p = at;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t vlen = rd_u32(b + p);
    uint64_t el = 1 + vsize(vlen) + vlen;
    arr += 1 + vsize(el) + el;
    p += 4 + vlen;
  }
  o = kv_head(o, k, 1 + vsize(arr) + arr);
  *o++ = 0x2a;
  o = put_varint(o, arr);
  p = at;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t vlen = rd_u32(b + p);
    *o++ = 0x0a;
    o = put_varint(o, 1 + vsize(vlen) + vlen);
    *o++ = 0x0a;
    o = put_varint(o, vlen);
    o = put(o, b + p + 4, vlen);
    p += 4 + vlen;
  }
  return o;
}

// Whether bytes s..e hold `*/` (hasCommentEnd in kv-bytes.ts).
static int has_comment_end(const uint8_t *b, size_t s, size_t e) {
  const uint8_t *p = b + s + 1;
  const uint8_t *end = b + e;
  while (p < end) {
    const uint8_t *q = memchr(p, '/', (size_t)(end - p));
    if (q == NULL) return 0;
    if (q[-1] == '*') return 1;
    p = q + 1;
  }
  return 0;
}

static int same_bytes(const uint8_t *b, size_t as, size_t ae, size_t bs, size_t be) {
  return ae - as == be - bs && memcmp(b + as, b + bs, ae - as) == 0;
}

static int ascii(const uint8_t *b, size_t s, size_t e) {
  for (size_t i = s; i < e; i++)
    if (b[i] >= 0x80) return 0;
  return 1;
}

typedef struct {
  uint32_t n;
  double value[MASKED_MAX + 1];
  // Each key as written in a KeyValue (field 1 tag, length, text) and where its text starts.
  piece kv[MASKED_MAX + 1];
  const uint8_t *text[MASKED_MAX + 1];
  size_t text_len[MASKED_MAX + 1];
  uint8_t keys[MASKED_KEY_BYTES];
} masked_plan;

static int key_less(const masked_plan *m, uint32_t a, uint32_t b) {
  size_t la = m->text_len[a], lb = m->text_len[b];
  int c = memcmp(m->text[a], m->text[b], la < lb ? la : lb);
  return c < 0 || (c == 0 && la < lb);
}

// Writes the key `agentgate.masked.<name>` as maskedKey (spans.ts) spells it: a
// leading `column:` becomes `column.`, then lower case (ASCII names only).
static int masked_key(masked_plan *m, size_t *used, const uint8_t *name, size_t len, uint32_t slot) {
  size_t klen = MASKED_PREFIX_LEN + len;
  if (MASKED_KEY_BYTES - *used < klen + 3) return 0;
  uint8_t *o = m->keys + *used;
  uint8_t *kv = o;
  *o++ = 0x0a;
  o = put_varint(o, klen);
  m->text[slot] = o;
  m->text_len[slot] = klen;
  o = put(o, (const uint8_t *)MASKED_PREFIX, MASKED_PREFIX_LEN);
  uint8_t *n0 = o;
  o = put(o, name, len);
  if (len >= 7 && memcmp(n0, "column:", 7) == 0) n0[6] = '.';
  for (uint8_t *p = n0; p < o; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (uint8_t)(*p + 32);
  m->kv[slot].p = kv;
  m->kv[slot].n = (size_t)(o - kv);
  *used += (size_t)(o - kv);
  return 1;
}

// maskedKVs (command-encoder.ts): per entity key the last entry wins, the total
// wins a clash with `count`, keys sorted. `at`: the first entry, bounds-checked.
static int plan_masked(masked_plan *m, const uint8_t *b, size_t at, uint32_t n) {
  if (n > MASKED_MAX) return 0;
  double total = 0;
  size_t used = 0;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    size_t len = rd_u32(b + at);
    const uint8_t *name = b + at + 4;
    double v = rd_f64(b + at + 4 + len);
    at += 4 + len + 8;
    total += v;
    if (!ascii(name, 0, len) || !masked_key(m, &used, name, len, k)) return 0;
    m->value[k] = v;
    // The same key again replaces the earlier entry, in place (its order is the key's).
    uint32_t j = 0;
    while (j < k && !(m->text_len[j] == m->text_len[k] && memcmp(m->text[j], m->text[k], m->text_len[k]) == 0)) j++;
    if (j < k) {
      m->value[j] = v;
      used -= m->kv[k].n;
    } else k++;
  }
  if (!masked_key(m, &used, (const uint8_t *)"count", 5, k)) return 0;
  uint32_t j = 0;
  while (j < k && !(m->text_len[j] == m->text_len[k] && memcmp(m->text[j], m->text[k], m->text_len[k]) == 0)) j++;
  m->value[j] = total;
  if (j == k) k++;
  for (uint32_t i = 0; i < k; i++)
    if (!is_count(m->value[i])) return 0;
  // Insertion sort of a handful, by the keys' bytes (UTF-16 order for ASCII).
  for (uint32_t i = 1; i < k; i++) {
    for (uint32_t x = i; x > 0 && key_less(m, x, x - 1); x--) {
      double tv = m->value[x];
      m->value[x] = m->value[x - 1];
      m->value[x - 1] = tv;
      piece tk = m->kv[x];
      m->kv[x] = m->kv[x - 1];
      m->kv[x - 1] = tk;
      const uint8_t *tt = m->text[x];
      m->text[x] = m->text[x - 1];
      m->text[x - 1] = tt;
      size_t tl = m->text_len[x];
      m->text_len[x] = m->text_len[x - 1];
      m->text_len[x - 1] = tl;
    }
  }
  m->n = k;
  return 1;
}

// Two hex digits per byte value, lower case, as they lie in memory (little-endian).
#define DIGIT(x) ((x) < 10 ? '0' + (x) : 'a' + (x) - 10)
#define H2(i) (uint16_t)(DIGIT((i) >> 4) | DIGIT((i) & 15) << 8)
#define H2x4(i) H2(i), H2(i + 1), H2(i + 2), H2(i + 3)
#define H2x16(i) H2x4(i), H2x4(i + 4), H2x4(i + 8), H2x4(i + 12)
#define H2x64(i) H2x16(i), H2x16(i + 16), H2x16(i + 32), H2x16(i + 48)
static const uint16_t HEX2[256] = {H2x64(0), H2x64(64), H2x64(128), H2x64(192)};

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static int buffer(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  void *d;
  if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return 0;
  *data = d;
  return 1;
}

static int rebind(napi_env env, bound *x, napi_value v) {
  if (x->ref != NULL) napi_delete_reference(env, x->ref);
  x->ref = NULL;
  x->p = NULL;
  x->n = 0;
  void *d;
  size_t n;
  if (napi_get_buffer_info(env, v, &d, &n) != napi_ok || napi_create_reference(env, v, 1, &x->ref) != napi_ok)
    return 0;
  x->p = d;
  x->n = n;
  return 1;
}

// bind(ring, out, ids): the buffers encode reads and writes until the next bind.
static napi_value bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 3) return NULL;
  codec *cd = data;
  if (!rebind(env, &cd->ring, argv[0]) || !rebind(env, &cd->out, argv[1]) || !rebind(env, &cd->ids, argv[2]))
    napi_throw_type_error(env, "EINVAL", "bind(ring, out, ids): Buffers expected");
  return NULL;
}

// encode(session, previousHash): the span's hash (hex), or undefined when
// declined. previousHash undefined: the one this session's buffer holds (the
// hash encode returned last for it). Positions in and out through IO, buffers
// from bind.
static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 2) return undefined(env);
  codec *cd = data;
  uint8_t *b = cd->ring.p, *out = cd->out.p, *ids = cd->ids.p, *sess;
  size_t ring_len = cd->ring.n, out_len = cd->out.n, ids_len = cd->ids.n, sess_len;
  if (b == NULL || out == NULL || ids == NULL || !buffer(env, argv[0], &sess, &sess_len)) return undefined(env);

  double *io = cd->io;
  double d_pos = io[IO_RPOS], d_end = io[IO_REND], d_wpos = io[IO_WPOS], d_idat = io[IO_IDAT];
  double index = io[IO_INDEX];
  if (!is_count(d_pos) || !is_count(d_end) || !is_count(d_wpos) || !is_count(d_idat) || !is_count(index))
    return undefined(env);
  size_t at = (size_t)d_pos, end = (size_t)d_end, wpos = (size_t)d_wpos, idat = (size_t)d_idat;
  if (at > end || end > ring_len || idat > ids_len || ids_len - idat < 8) return undefined(env);

  // The session's pieces: every offset inside the buffer, in order.
  if (sess_len < S_HEADER) return undefined(env);
  uint32_t sflags = rd_u32(sess);
  piece sp[S_PIECES];
  size_t prev_off = S_HEADER;
  for (int i = 0; i < S_PIECES; i++) {
    size_t s = rd_u32(sess + 4 + 4 * i), e = rd_u32(sess + 8 + 4 * i);
    if (s < prev_off || e < s || e > sess_len) return undefined(env);
    sp[i].p = sess + s;
    sp[i].n = e - s;
    prev_off = e;
  }
  int http = (sflags & S_HTTP) != 0;
  if (sp[S_LAST_HASH].n != 64) return undefined(env);
  char prev[260];
  size_t prev_len = 64;
  napi_status got = napi_get_value_string_utf8(env, argv[1], prev, sizeof prev, &prev_len);
  if (got == napi_string_expected) {
    copy64((uint8_t *)prev, sp[S_LAST_HASH].p);
    prev_len = 64;
  } else if (got != napi_ok || prev_len >= sizeof prev - 4)
    return undefined(env);

  size_t bound = sess_len + cd->consts_len + 5 * (end - at) + SLACK;
  if (wpos > out_len || out_len - wpos < bound) return undefined(env);

  // Read and check the whole record before writing anything.
  if (end - at < 25) return undefined(env);
  uint32_t mask = rd_u32(b + at);
  if (mask & P_TRACEPARENT) return undefined(env);
  unsigned decision = b[at + 4] & 3;
  uint32_t seq = rd_u32(b + at + 5);
  double started = rd_f64(b + at + 9);
  double duration_us = rd_f64(b + at + 17);
  at += 25;
  size_t s, e, text_s, text_e, ops_at, ops_s, ops_e, tab_at, tab_s, tab_e;
  size_t policy_s, policy_e, rule_s, rule_e;
  size_t approval_s = 0, approval_e = 0, approver_s = 0, approver_e = 0;
  size_t code_s = 0, code_e = 0, err_s = 0, err_e = 0, method_s = 0, method_e = 0, path_s = 0, path_e = 0;
  uint32_t n_ops, n_tab;
  double rows = 0, bytes = 0;
  uint32_t http_status = 0, truncated_from = 0;
  if (!rd_str(b, &at, end, &s, &e) || !rd_str(b, &at, end, &text_s, &text_e) ||
      !rd_list(b, &at, end, &ops_at, &n_ops, &ops_s, &ops_e) ||
      !rd_list(b, &at, end, &tab_at, &n_tab, &tab_s, &tab_e) || !rd_str(b, &at, end, &policy_s, &policy_e) ||
      !rd_str(b, &at, end, &rule_s, &rule_e))
    return undefined(env);
  if ((mask & P_APPROVAL) && !rd_str(b, &at, end, &approval_s, &approval_e)) return undefined(env);
  if ((mask & P_APPROVER) && !rd_str(b, &at, end, &approver_s, &approver_e)) return undefined(env);
  if ((mask & P_ROWS) && !rd_count(b, &at, end, &rows)) return undefined(env);
  if ((mask & P_BYTES) && !rd_count(b, &at, end, &bytes)) return undefined(env);
  size_t masked_at = 0;
  uint32_t n_masked = 0;
  if (mask & P_MASKED) {
    if (end - at < 2) return undefined(env);
    n_masked = rd_u16(b + at);
    at += 2;
    masked_at = at;
    for (uint32_t i = 0; i < n_masked; i++) {
      if (!rd_str(b, &at, end, &s, &e) || end - at < 8) return undefined(env);
      at += 8;
    }
  }
  if ((mask & P_ERROR_CODE) && !rd_str(b, &at, end, &code_s, &code_e)) return undefined(env);
  if ((mask & P_ERROR) && !rd_str(b, &at, end, &err_s, &err_e)) return undefined(env);
  if ((mask & P_METHOD) && !rd_str(b, &at, end, &method_s, &method_e)) return undefined(env);
  if ((mask & P_PATH) && !rd_str(b, &at, end, &path_s, &path_e)) return undefined(env);
  if (mask & P_STATUS) {
    if (end - at < 2) return undefined(env);
    http_status = rd_u16(b + at);
    at += 2;
  }
  if (mask & P_TRUNCATED) {
    if (end - at < 4) return undefined(env);
    truncated_from = rd_u32(b + at);
    at += 4;
  }

  double dur_ns = js_round(duration_us * 1000);
  if (isnan(dur_ns)) return undefined(env);
  if (!(dur_ns > 0)) dur_ns = 0;
  uint32_t t0_lo, t0_hi, t1_lo, t1_hi;
  if (!ns_parts(started, 0, &t0_lo, &t0_hi) || !ns_parts(started, dur_ns, &t1_lo, &t1_hi)) return undefined(env);
  if (!http && has_comment_end(b, text_s, text_e)) return undefined(env);
  masked_plan masked;
  if ((mask & P_MASKED) && !plan_masked(&masked, b, masked_at, n_masked)) return undefined(env);
  int same_ops = 1;
  if (n_ops > 1) {
    if (!ascii(b, ops_s, ops_e)) return undefined(env);
    size_t p = ops_at + 4 + (ops_e - ops_s);
    for (uint32_t i = 1; i < n_ops && same_ops; i++) {
      size_t len = rd_u32(b + p);
      same_ops = same_bytes(b, p + 4, p + 4 + len, ops_s, ops_e);
      p += 4 + len;
    }
  }

  // The span: ScopeSpans.spans tag, a two-byte length slot (SpanBatch.beginSpan), the contents.
  const piece *k = cd->c;
  uint8_t *tag = out + wpos;
  uint8_t *start = tag + 3;
  uint8_t *o = start;
  o = put_piece(o, sp[S_HEAD]);
  *o++ = 0x12;
  *o++ = 8;
  o = put(o, ids + idat, 8);
  o = put_piece(o, sp[S_MID]);
  o = put_fixed64(o, 0x39, t0_lo, t0_hi);
  o = put_fixed64(o, 0x41, t1_lo, t1_hi);

#define SLOT(i) o = put_piece(o, sp[S_SLOT0 + (i)])
  SLOT(0);
  if (mask & P_APPROVER) o = str_kv(o, k[K_APPROVER], b + approver_s, approver_e - approver_s);
  SLOT(1);
  if (mask & P_APPROVAL) o = str_kv(o, k[K_APPROVAL], b + approval_s, approval_e - approval_s);
  SLOT(2);
  if (mask & P_BYTES) o = num_kv(o, k[K_BYTES], (uint64_t)bytes);
  SLOT(3);
  o = num_kv(o, k[K_INDEX], (uint64_t)index);
  SLOT(4);
  o = num_kv(o, k[K_SEQ], seq);
  SLOT(5);
  o = put_piece(o, k[C_DECISION_KV + decision]);
  SLOT(6);
  if (mask & P_ERROR) o = str_kv(o, k[K_ERROR], b + err_s, err_e - err_s);
  SLOT(7);
  if (mask & P_MASKED)
    for (uint32_t i = 0; i < masked.n; i++) o = num_kv(o, masked.kv[i], (uint64_t)masked.value[i]);
  SLOT(8);
  if (n_ops > 0) o = list_kv(o, k[K_OPS], b, ops_at, n_ops);
  SLOT(9);
  if (policy_e > policy_s) o = str_kv(o, k[K_POLICY], b + policy_s, policy_e - policy_s);
  SLOT(10);
  if (mask & P_TRUNCATED) o = num_kv(o, k[K_TRUNCATED], truncated_from);
  SLOT(11);
  if (mask & P_ROWS) o = num_kv(o, k[K_ROWS], (uint64_t)rows);
  SLOT(12);
  if (rule_e > rule_s) o = str_kv(o, k[K_RULE], b + rule_s, rule_e - rule_s);
  SLOT(13);
  if (n_tab > 0) o = list_kv(o, k[K_TABLES], b, tab_at, n_tab);
  SLOT(14);
  if (n_tab == 1 && !http) o = str_kv(o, k[K_COLLECTION], b + tab_s, tab_e - tab_s);
  SLOT(15);
  if (n_ops == 1) o = str_kv(o, k[K_OPERATION], b + ops_s, ops_e - ops_s);
  else if (n_ops > 1) {
    // "BATCH <op>" when every operation is the same one, else "BATCH".
    size_t vlen = same_ops ? 6 + (ops_e - ops_s) : 5;
    o = kv_head(o, k[K_OPERATION], 1 + vsize(vlen) + vlen);
    *o++ = 0x0a;
    o = put_varint(o, vlen);
    o = put(o, (const uint8_t *)"BATCH ", same_ops ? 6 : 5);
    if (same_ops) o = put(o, b + ops_s, ops_e - ops_s);
  }
  SLOT(16);
  if (!http) o = str_kv(o, k[K_TEXT], b + text_s, text_e - text_s);
  SLOT(17);
  if (mask & P_ERROR_CODE) o = str_kv(o, k[K_ERROR_TYPE], b + code_s, code_e - code_s);
  SLOT(18);
  if (mask & P_METHOD) o = str_kv(o, k[K_METHOD], b + method_s, method_e - method_s);
  SLOT(19);
  if (mask & P_STATUS) o = num_kv(o, k[K_STATUS], http_status);
  SLOT(20);
  if (mask & P_PATH) o = str_kv(o, k[K_PATH], b + path_s, path_e - path_s);
  SLOT(21);
#undef SLOT

  // Status: an error's message (the decision's name when there is none).
  *o++ = 0x7a;
  if (!(decision == 1 || decision == 3 || (mask & P_ERROR_CODE))) *o++ = 0;
  else {
    const uint8_t *m = b + err_s;
    size_t mlen = err_e - err_s;
    if (!(mask & P_ERROR)) {
      m = k[C_DECISION_TEXT + decision].p;
      mlen = k[C_DECISION_TEXT + decision].n;
    }
    o = put_varint(o, (mlen > 0 ? 1 + vsize(mlen) + mlen : 0) + 2);
    if (mlen > 0) {
      *o++ = 0x12;
      o = put_varint(o, mlen);
      o = put(o, m, mlen);
    }
    *o++ = 0x18;
    *o++ = 2;
  }

  // The chain link over exactly the bytes so far, fed to SHA-256 in place.
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, prev, prev_len);
  SHA256_Update(&ctx, start, (size_t)(o - start));
  SHA256_Final(md, &ctx);
  piece hk = k[C_HASH_KEY];
  *o++ = 0x4a;
  o = put_varint(o, hk.n + 1 + 1 + 2 + 64);
  o = put_piece(o, hk);
  *o++ = 0x12;
  *o++ = 66;
  *o++ = 0x0a;
  *o++ = 64;
  uint8_t *hex = o;
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) memcpy(o + 2 * i, &HEX2[md[i]], 2);
  o += 64;
  copy64((uint8_t *)sp[S_LAST_HASH].p, hex);
  o = put_piece(o, k[C_TAIL]);

  // The span's length, moving the contents when it does not take two bytes (PbWriter.end).
  size_t len = (size_t)(o - start);
  int n = vsize(len);
  if (n != 2) {
    memmove(tag + 1 + n, start, len);
    hex += n - 2;
  }
  tag[0] = 0x12;
  put_varint(tag + 1, len);

  napi_value result;
  if (napi_create_string_latin1(env, (const char *)hex, 64, &result) != napi_ok) return undefined(env);
  io[IO_RPOS] = (double)at;
  io[IO_WPOS] = (double)(wpos + 1 + n + len);
  io[IO_ENDMS] = started + duration_us / 1000;
  return result;
}

static void free_codec(napi_env env, void *data, void *hint) {
  (void)hint;
  codec *cd = data;
  if (--cd->users > 0) return;
  bound *xs[] = {&cd->ring, &cd->out, &cd->ids};
  for (int i = 0; i < 3; i++)
    if (xs[i]->ref != NULL) napi_delete_reference(env, xs[i]->ref);
  if (cd->io_ref != NULL) napi_delete_reference(env, cd->io_ref);
  free(cd->consts);
  free(cd);
}

static int add_function(napi_env env, napi_value obj, const char *name, napi_callback cb, codec *cd) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, cd, &fn) != napi_ok ||
      napi_set_named_property(env, obj, name, fn) != napi_ok)
    return 0;
  cd->users++;
  if (napi_add_finalizer(env, fn, cd, free_codec, NULL, NULL) != napi_ok) {
    cd->users--;
    return 0;
  }
  return 1;
}

// create(io, constants): { encode, bind } sharing their own IO array and a copy
// of the constant pieces (u32 count, count + 1 u32 offsets, the bytes).
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) goto bad;
  napi_typedarray_type type;
  size_t io_len;
  void *io;
  if (napi_get_typedarray_info(env, argv[0], &type, &io_len, &io, NULL, NULL) != napi_ok ||
      type != napi_float64_array || io_len < IO_WORDS)
    goto bad;
  uint8_t *cb;
  size_t cb_len;
  if (!buffer(env, argv[1], &cb, &cb_len) || cb_len < 4 * (C_COUNT + 2) || rd_u32(cb) != C_COUNT) goto bad;
  codec *cd = calloc(1, sizeof *cd);
  if (cd == NULL) goto bad;
  cd->consts = malloc(cb_len);
  if (cd->consts == NULL) {
    free(cd);
    goto bad;
  }
  memcpy(cd->consts, cb, cb_len);
  cd->consts_len = cb_len;
  size_t prev_off = 4 * (C_COUNT + 2);
  for (int i = 0; i < C_COUNT; i++) {
    size_t s = rd_u32(cb + 4 + 4 * i), e = rd_u32(cb + 8 + 4 * i);
    if (s < prev_off || e < s || e > cb_len) {
      free_codec(env, cd, NULL);
      goto bad;
    }
    cd->c[i].p = cd->consts + s;
    cd->c[i].n = e - s;
    prev_off = e;
  }
  cd->io = io;
  napi_value obj;
  // users: 1 for this function until the finalizers own it.
  cd->users = 1;
  int ok = napi_create_reference(env, argv[0], 1, &cd->io_ref) == napi_ok &&
           napi_create_object(env, &obj) == napi_ok && add_function(env, obj, "encode", encode, cd) &&
           add_function(env, obj, "bind", bind, cd);
  free_codec(env, cd, NULL);
  if (!ok) goto bad;
  return obj;
bad:
  napi_throw_type_error(env, "EINVAL", "create(io: Float64Array(8), constants: Buffer): bad arguments");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "create", NAPI_AUTO_LENGTH, create, NULL, &fn);
  napi_set_named_property(env, exports, "create", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
