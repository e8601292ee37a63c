// Byte-level pieces of the command encoder (command-encoder.ts): KeyValue
// fields written from ring bytes or cached encodings, with their lengths
// computed up front, and times written without BigInt.

import { keyValue } from './otlp-encode.js';
import { PbWriter, varintSize } from './pb-writer.js';
import { msToNs } from './span-record.js';

/** A key as written in a KeyValue: field 1 tag, length, UTF-8. */
export interface Key {
  readonly s: string;
  readonly b: Buffer;
}

export function key(s: string): Key {
  const w = new PbWriter(64);
  w.string(1, s, true);
  return { s, b: Buffer.from(w.buf.subarray(0, w.pos)) };
}

/** A span attribute's KeyValue (Span field 9) up to its AnyValue's contents, which are `any` bytes long. */
function head(w: PbWriter, k: Key, any: number): void {
  w.byte(0x4a);
  w.varint(k.b.length + 1 + varintSize(any) + any);
  w.bytes(k.b);
  w.byte(0x12);
  w.varint(any);
}

export function strKV(w: PbWriter, k: Key, src: Buffer, s: number, e: number): void {
  const vlen = e - s;
  const any = 1 + varintSize(vlen) + vlen;
  head(w, k, any);
  w.byte(0x0a);
  w.varint(vlen);
  w.copy(src, s, e);
}

export function numKV(w: PbWriter, k: Key, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    keyValue(w, 9, k.s, v);
    return;
  }
  const any = 1 + varintSize(v);
  head(w, k, any);
  w.byte(0x18);
  w.varint(v);
}

/** An array of strings (AnyValue.array_value of string values). */
export function listKV(w: PbWriter, k: Key, src: Buffer, starts: number[], ends: number[], n: number): void {
  let arr = 0;
  for (let i = 0; i < n; i++) {
    const vlen = ends[i]! - starts[i]!;
    const el = 1 + varintSize(vlen) + vlen;
    arr += 1 + varintSize(el) + el;
  }
  const any = 1 + varintSize(arr) + arr;
  head(w, k, any);
  w.byte(0x2a);
  w.varint(arr);
  for (let i = 0; i < n; i++) {
    const vlen = ends[i]! - starts[i]!;
    w.byte(0x0a);
    w.varint(1 + varintSize(vlen) + vlen);
    w.byte(0x0a);
    w.varint(vlen);
    w.copy(src, starts[i]!, ends[i]!);
  }
}

export function sameBytes(src: Buffer, as: number, ae: number, bs: number, be: number): boolean {
  if (ae - as !== be - bs) return false;
  for (let i = 0; i < ae - as; i++) if (src[as + i] !== src[bs + i]) return false;
  return true;
}

const TWO32 = 4294967296;

/** Unix nanoseconds of `ms` plus `addNs`, as a fixed64 field: exact (msToNs's arithmetic) without BigInt. */
export function nsField(w: PbWriter, field: number, ms: number, addNs: number): void {
  const whole = Math.floor(ms);
  const frac = Math.round((ms - whole) * 1e6) + addNs;
  const hi = Math.floor(whole / TWO32);
  const lo = (whole - hi * TWO32) * 1e6 + frac;
  if (!(whole >= 0 && whole < 2 ** 42 && lo < 2 ** 53)) {
    w.fixed64(field, msToNs(ms) + BigInt(addNs));
    return;
  }
  const carry = Math.floor(lo / TWO32);
  w.fixed64Parts(field, lo - carry * TWO32, hi * 1e6 + carry);
}

/** A session's shared attributes that sort before own key `i`, if any. */
export function sh(w: PbWriter, slots: readonly (Buffer | undefined)[], i: number): void {
  const b = slots[i];
  if (b !== undefined) w.bytes(b);
}

/**
 * Whether bytes s..e hold a comment end (the only way a text can carry a
 * sqlcommenter traceparent). A loop: Buffer#indexOf on a view of the shared
 * ring costs microseconds a call.
 */
export function hasCommentEnd(src: Buffer, s: number, e: number): boolean {
  for (let i = s + 1; i < e; i++) if (src[i] === 0x2f && src[i - 1] === 0x2a) return true;
  return false;
}
