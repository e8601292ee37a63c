// Bytes on their way to one socket. Forwarded messages are slices of the
// buffers they arrived in; consecutive slices of the same buffer coalesce, so
// a chunk of many forwarded messages leaves as one write. A message we wrote
// ourselves flushes what is pending first, keeping the order.

import type { Socket } from 'node:net';
import type { Frame } from './messages.js';

export class Outbox {
  socket: Socket | null = null;
  /** Bytes written so far. */
  bytes = 0;
  private buf: Buffer | null = null;
  private start = 0;
  private end = 0;
  private full = false;

  /** Queues the frame's bytes as they arrived. */
  forward(f: Frame): void {
    if (this.buf === f.buf && this.end === f.start) {
      this.end = f.end;
      return;
    }
    this.flush();
    this.buf = f.buf;
    this.start = f.start;
    this.end = f.end;
  }

  /** Writes bytes of our own, after what is pending. */
  send(b: Buffer): void {
    this.flush();
    this.write(b);
  }

  flush(): void {
    if (this.buf === null) return;
    const b = this.buf;
    this.buf = null;
    // Usually the whole chunk that arrived goes on: no view needed.
    this.write(this.start === 0 && this.end === b.length ? b : b.subarray(this.start, this.end));
  }

  /**
   * Flushes, and when the socket's buffer is full pauses `source` until it
   * drains: backpressure, so a slow reader never makes us buffer without bound.
   */
  flushAndThrottle(source: Socket | null): void {
    this.flush();
    if (!this.full) return;
    this.full = false;
    const socket = this.socket;
    if (socket === null || source === null) return;
    source.pause();
    socket.once('drain', () => source.resume());
  }

  private write(b: Buffer): void {
    this.bytes += b.length;
    if (this.socket !== null && !this.socket.write(b)) this.full = true;
  }
}
