// Cuts a byte stream into whole messages, in node-postgres pg-protocol's
// manner (synchronous, offset cursors, only leftovers kept) but with every
// length checked against a maximum before a byte of the message is buffered.
//
// Buffers handed out are never written again: a session may queue slices of
// them on a socket. A message split across chunks is completed in a buffer of
// its own, grown as bytes arrive (a peer that announces 64 MB and sends 10 bytes
// costs 64 KB, not 64 MB).

import { agError } from '../../../common/errors.js';
import type { Frame } from './messages.js';

const MIN_GROWTH = 64 * 1024;

export class Framer {
  /** Untyped packets (startup phase): int32 length first, no code byte. */
  untyped = false;
  private head: Buffer | null = null;
  private acc: Buffer | null = null;
  private accLen = 0;
  private accTotal = 0;
  private readonly frame: Frame = { buf: Buffer.alloc(0), start: 0, end: 0 };

  constructor(
    private readonly maxTyped: number,
    private readonly maxUntyped: number,
    /** 'client message' or 'server message', for errors. */
    private readonly side: string,
  ) {}

  /** True when no partial message is held. */
  get idle(): boolean {
    return this.head === null && this.acc === null;
  }

  feed(chunk: Buffer, emit: (frame: Frame) => void): void {
    let buf = chunk;
    let offset = 0;
    if (this.head !== null) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = null;
    } else if (this.acc !== null) {
      const need = this.accTotal - this.accLen;
      if (chunk.length < need) {
        this.append(chunk, 0, chunk.length);
        return;
      }
      this.append(chunk, 0, need);
      const acc = this.acc;
      this.acc = null;
      this.accLen = 0;
      this.emit(acc, 0, this.accTotal, emit);
      offset = need;
    }
    const end = buf.length;
    while (offset < end) {
      const headerLength = this.untyped ? 4 : 5;
      if (end - offset < headerLength) {
        this.head = Buffer.from(buf.subarray(offset, end));
        return;
      }
      const total = this.checkedTotal(buf, offset);
      if (end - offset < total) {
        this.startAcc(buf, offset, end, total);
        return;
      }
      this.emit(buf, offset, offset + total, emit);
      offset += total;
    }
  }

  private checkedTotal(buf: Buffer, offset: number): number {
    if (this.untyped) {
      const len = buf.readInt32BE(offset);
      if (len < 8) throw agError('AG_ERR_PROTOCOL_MALFORMED', `startup packet length ${len}`);
      if (len > this.maxUntyped) {
        throw agError('AG_ERR_PROTOCOL_TOO_LARGE', 'startup packet', len, this.maxUntyped);
      }
      return len;
    }
    const len = buf.readInt32BE(offset + 1);
    if (len < 4) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', `${this.side} '${codeName(buf[offset]!)}' length ${len}`);
    }
    if (len > this.maxTyped) {
      throw agError(
        'AG_ERR_PROTOCOL_TOO_LARGE',
        `${this.side} '${codeName(buf[offset]!)}'`,
        len + 1,
        this.maxTyped,
      );
    }
    return len + 1;
  }

  private startAcc(buf: Buffer, offset: number, end: number, total: number): void {
    const have = end - offset;
    this.accTotal = total;
    // A small message gets exactly its size (from Node's pool when under 4 KB);
    // a large one starts small and grows, so a lying header costs little.
    this.acc = Buffer.allocUnsafe(
      total <= MIN_GROWTH ? total : Math.min(total, Math.max(MIN_GROWTH, have * 2)),
    );
    buf.copy(this.acc, 0, offset, end);
    this.accLen = have;
  }

  private append(src: Buffer, from: number, to: number): void {
    const n = to - from;
    let acc = this.acc!;
    if (this.accLen + n > acc.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.accTotal, Math.max(acc.length * 2, this.accLen + n)));
      acc.copy(grown, 0, 0, this.accLen);
      acc = grown;
      this.acc = grown;
    }
    src.copy(acc, this.accLen, from, to);
    this.accLen += n;
  }

  private emit(buf: Buffer, start: number, end: number, emit: (frame: Frame) => void): void {
    const f = this.frame;
    f.buf = buf;
    f.start = start;
    f.end = end;
    emit(f);
  }
}

function codeName(code: number): string {
  return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : `0x${code.toString(16)}`;
}
