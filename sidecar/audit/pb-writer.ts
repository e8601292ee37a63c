// Protobuf wire-format writer for the audit worker's OTLP encoding: one growing
// buffer reused across batches (fresh large buffers cost page faults and
// garbage collection), text written without a regular expression or a
// temporary byte array.

/** Node's Buffer has latin1Write/utf8Write without Buffer.write's argument handling; @types/node does not declare them. */
interface FastWrite {
  latin1Write(s: string, offset: number, length: number): number;
  utf8Write(s: string, offset: number, length: number): number;
}

/** A lower-case hex digit's value (ids are lower-case hex throughout). */
function nibble(c: number): number {
  return c <= 57 ? c - 48 : c - 87;
}

export function varintSize(v: number): number {
  let n = 1;
  for (; v > 0x7f; v = Math.floor(v / 128)) n++;
  return n;
}

/** UTF-8 length of `s`, counted in one pass (equal to s.length for ASCII). */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) len += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        len += 2; // a pair: 4 bytes for 2 units
        i++;
      } else len += 2; // lone surrogate: U+FFFD, 3 bytes
    } else len += 2;
  }
  return len;
}

export class PbWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }

  /** int64 as protobuf writes it: negatives in ten bytes of two's complement. */
  int64(v: number): void {
    if (v >= 0) {
      this.varint(v);
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /**
   * Starts a length-delimited field with room for a `guess`-byte length; `end`
   * writes the length and moves the content only when the guess was wrong.
   */
  begin(field: number, guess = 1): number {
    this.tag(field, 2);
    this.ensure(guess);
    const at = this.pos;
    this.pos += guess;
    return at * 8 + guess;
  }

  end(mark: number): void {
    const guess = mark & 7;
    const at = (mark - guess) / 8;
    const len = this.pos - at - guess;
    const n = varintSize(len);
    if (n !== guess) {
      this.ensure(n - guess);
      this.buf.copyWithin(at + n, at + guess, this.pos);
      this.pos += n - guess;
    }
    const save = this.pos;
    this.pos = at;
    this.varint(len);
    this.pos = save;
  }

  /** Text whose UTF-8 length is known. */
  text(s: string, len: number): void {
    this.ensure(len);
    if (len === s.length) (this.buf as unknown as FastWrite).latin1Write(s, this.pos, len);
    else (this.buf as unknown as FastWrite).utf8Write(s, this.pos, len);
    this.pos += len;
  }

  string(field: number, s: string, always = false): void {
    if (s.length === 0 && !always) return;
    const len = utf8Length(s);
    this.tag(field, 2);
    this.varint(len);
    this.text(s, len);
  }

  /** Bytes `start`..`end` of `src` (the shared ring). */
  copy(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    // Short runs by hand: a native ranged copy costs about as much as 40 bytes copied in a loop.
    if (n <= 40) {
      const b = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
      this.pos = p;
    } else {
      src.copy(this.buf, this.pos, start, end);
      this.pos += n;
    }
  }

  /** All of `src` (a cached encoding): TypedArray.set of a whole array is cheap from about ten bytes on. */
  bytes(src: Buffer): void {
    const n = src.length;
    this.ensure(n);
    if (n <= 10) {
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) b[p++] = src[i]!;
      this.pos = p;
    } else {
      this.buf.set(src, this.pos);
      this.pos += n;
    }
  }

  /** A little-endian fixed64 given as two 32-bit halves. */
  fixed64Parts(field: number, lo: number, hi: number): void {
    this.tag(field, 1);
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = lo & 0xff;
    b[p + 1] = (lo >>> 8) & 0xff;
    b[p + 2] = (lo >>> 16) & 0xff;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi & 0xff;
    b[p + 5] = (hi >>> 8) & 0xff;
    b[p + 6] = (hi >>> 16) & 0xff;
    b[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  hex(field: number, h: string): void {
    if (h === '') return;
    const n = h.length >> 1;
    this.tag(field, 2);
    this.varint(n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = (nibble(h.charCodeAt(2 * i)) << 4) | nibble(h.charCodeAt(2 * i + 1));
    this.pos = p;
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  fixed32(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
}
