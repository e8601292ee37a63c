// Bounded reads inside one message. One Reader is reused for every message of a
// parser; every read checks it stays inside [offset, end) of the message, so a
// lying length field can never make us read the next message or past the chunk.

import { agError } from '../../../common/errors.js';

export class Reader {
  buf: Buffer = Buffer.alloc(0);
  offset = 0;
  end = 0;
  /** What is being read, for error messages ("Bind", "RowDescription"...). */
  what = '';

  reset(buf: Buffer, offset: number, end: number, what: string): this {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    this.what = what;
    return this;
  }

  private need(n: number): void {
    if (this.offset + n > this.end) throw agError('AG_ERR_PROTOCOL_MALFORMED', `${this.what} is truncated`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A NUL-terminated UTF-8 string; the scan stops at the end of the message. */
  cstring(): string {
    const nul = this.buf.indexOf(0, this.offset);
    if (nul === -1 || nul >= this.end) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', `${this.what} has an unterminated string`);
    }
    // The unnamed statement and portal: the most common name of all.
    const s = nul === this.offset ? '' : this.buf.toString('utf8', this.offset, nul);
    this.offset = nul + 1;
    return s;
  }

  /** Skips a NUL-terminated string without decoding it. */
  skipCString(): void {
    const nul = this.buf.indexOf(0, this.offset);
    if (nul === -1 || nul >= this.end) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', `${this.what} has an unterminated string`);
    }
    this.offset = nul + 1;
  }

  skip(n: number): void {
    if (n < 0) throw agError('AG_ERR_PROTOCOL_MALFORMED', `${this.what} has a negative length`);
    this.need(n);
    this.offset += n;
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Buffer {
    if (n < 0) throw agError('AG_ERR_PROTOCOL_MALFORMED', `${this.what} has a negative length`);
    this.need(n);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.offset, this.end);
    this.offset = this.end;
    return b;
  }

  remaining(): number {
    return this.end - this.offset;
  }
}
