// Text inside binary arrays and records. Drivers such as asyncpg and pgx ask
// for binary results; a `text[]` or a `ROW(email, phone)` then arrives as
// PostgreSQL's array_send / record_send layout, not as text. Masking reads the
// text elements and fields in place and rebuilds the value with the new
// lengths. Anything it cannot read for certain (an element type that holds
// text in a form other than UTF-8, a layout that does not add up, nesting
// past a bound) throws AG_ERR_MASKING_FAILED and the row is withheld.

import { agError } from '../../../common/errors.js';
import { pgTextual } from '../../masking/wire-types.js';
import { JSONB_OID, TEXT_TYPE_OIDS } from './codes.js';

const RECORD_OID = 2249;
/** Array types whose elements we can read in binary, by array OID. */
const ARRAY_OIDS: ReadonlySet<number> = new Set([
  1009, // text[]
  1015, // varchar[]
  1014, // bpchar[]
  1003, // name[]
  1002, // "char"[]
  199, // json[]
  3807, // jsonb[]
  2287, // record[]
]);
const MAX_DEPTH = 8;
/** PostgreSQL's own limit (MAXDIM). */
const MAX_DIMS = 6;

/** Masks one text value; null means SQL NULL. */
export type MaskText = (value: string) => string | null;

/**
 * How one value is masked: `text` for each text inside; `whole` when a column
 * rule masks the column as a whole, so a number or date inside it, which
 * cannot be rewritten, withholds the value instead of passing.
 */
export interface BinaryMasking {
  readonly text: MaskText;
  readonly whole: boolean;
}

/** Whether masking can read this type in binary format (an array of text or a record). */
export function binaryContainer(typeOid: number): boolean {
  return typeOid === RECORD_OID || ARRAY_OIDS.has(typeOid);
}

function malformed(what: string): never {
  throw agError('AG_ERR_MASKING_FAILED', `binary value: ${what}`);
}

class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  int32(): number {
    if (this.pos + 4 > this.end) malformed('cut short');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    if (this.pos + 4 > this.end) malformed('cut short');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An element's length and bounds: -1 for NULL. */
  length(): number {
    const n = this.int32();
    if (n < -1 || (n > 0 && this.pos + n > this.end)) malformed(`element length ${n}`);
    return n;
  }
}

/**
 * The value at buf[start, end) of type `typeOid` (binaryContainer) with every
 * text inside passed through `mask`: the new bytes, or null when nothing changed.
 */
export function maskBinaryValue(
  typeOid: number,
  buf: Buffer,
  start: number,
  end: number,
  mask: BinaryMasking,
): Buffer | null {
  return container(typeOid, buf, start, end, mask, 0);
}

function container(
  typeOid: number,
  buf: Buffer,
  start: number,
  end: number,
  mask: BinaryMasking,
  depth: number,
): Buffer | null {
  if (depth >= MAX_DEPTH) malformed('nested too deep');
  return typeOid === RECORD_OID ? record(buf, start, end, mask, depth) : array(buf, start, end, mask, depth);
}

/** One element or field: the bytes to write instead (null: SQL NULL), or undefined when unchanged. */
function element(
  typeOid: number,
  buf: Buffer,
  start: number,
  len: number,
  mask: BinaryMasking,
  depth: number,
): Buffer | null | undefined {
  if (TEXT_TYPE_OIDS.has(typeOid)) {
    const from = typeOid === JSONB_OID ? start + 1 : start; // jsonb's version byte
    if (from > start + len) malformed('jsonb without its version byte');
    const value = buf.toString('utf8', from, start + len);
    const masked = mask.text(value);
    if (masked === value) return undefined;
    if (masked === null) return null;
    return from === start
      ? Buffer.from(masked)
      : Buffer.concat([buf.subarray(start, from), Buffer.from(masked)]);
  }
  if (binaryContainer(typeOid)) {
    const inner = container(typeOid, buf, start, start + len, mask, depth + 1);
    return inner === null ? undefined : inner;
  }
  // Text we would scan but cannot read in binary (addresses, user types), or a
  // value a column rule covers that we cannot rewrite: withhold.
  if (mask.whole || pgTextual(typeOid, 1)) malformed(`an element of type ${typeOid}`);
  return undefined; // numbers, dates, uuids: nothing to scan, as in a plain column
}

function array(buf: Buffer, start: number, end: number, mask: BinaryMasking, depth: number): Buffer | null {
  const c = new Cursor(buf, start, end);
  const ndim = c.int32();
  const flags = c.int32();
  const elemType = c.uint32();
  if (ndim < 0 || ndim > MAX_DIMS || (flags !== 0 && flags !== 1)) malformed('array header');
  let count = ndim === 0 ? 0 : 1;
  for (let d = 0; d < ndim; d++) {
    const size = c.int32();
    c.int32(); // lower bound
    if (size < 0) malformed('array dimension');
    count *= size;
  }
  if (count > end - c.pos) malformed('more elements than bytes'); // every element has at least its length
  const out = new Splice(buf, start);
  let nulled = false;
  for (let k = 0; k < count; k++) {
    const at = c.pos;
    const len = c.length();
    if (len < 0) continue;
    const replaced = element(elemType, buf, c.pos, len, mask, depth);
    c.pos += len;
    if (replaced === undefined) continue;
    if (replaced === null) nulled = true;
    out.replace(at, c.pos, replaced);
  }
  if (c.pos !== end) malformed('trailing bytes after the array');
  const result = out.finish(end);
  // An element masked to NULL makes it an array with nulls (the header's flags word).
  if (result !== null && nulled) result.writeInt32BE(1, 4);
  return result;
}

function record(buf: Buffer, start: number, end: number, mask: BinaryMasking, depth: number): Buffer | null {
  const c = new Cursor(buf, start, end);
  const n = c.int32();
  if (n < 0 || n * 8 > end - c.pos) malformed('record header');
  const out = new Splice(buf, start);
  for (let k = 0; k < n; k++) {
    const type = c.uint32();
    const at = c.pos;
    const len = c.length();
    if (len < 0) continue;
    const replaced = element(type, buf, c.pos, len, mask, depth);
    c.pos += len;
    if (replaced !== undefined) out.replace(at, c.pos, replaced);
  }
  if (c.pos !== end) malformed('trailing bytes after the record');
  return out.finish(end);
}

/** The value's bytes with some length-prefixed elements replaced; untouched runs are copied once, at the end. */
class Splice {
  private parts: Buffer[] | null = null;
  private copiedTo: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
  ) {
    this.copiedTo = start;
  }

  /** The element whose length word starts at `at` and whose bytes end at `end` becomes `value` (null: NULL). */
  replace(at: number, end: number, value: Buffer | null): void {
    this.parts ??= [];
    this.parts.push(this.buf.subarray(this.copiedTo, at), lengthPrefixed(value));
    this.copiedTo = end;
  }

  /** The new value, or null when nothing was replaced. */
  finish(end: number): Buffer | null {
    if (this.parts === null) return null;
    this.parts.push(this.buf.subarray(this.copiedTo, end));
    return Buffer.concat(this.parts);
  }
}

function lengthPrefixed(b: Buffer | null): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeInt32BE(b === null ? -1 : b.length, 0);
  return b === null ? head : Buffer.concat([head, b]);
}
