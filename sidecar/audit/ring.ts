// A single-producer single-consumer byte ring in a SharedArrayBuffer. The event
// loop (producer) writes length-prefixed records and publishes its head with one
// Atomics.store; the audit worker (consumer) reads them and publishes its tail.
// No message passing and no structured clone per event: that is what keeps the
// hot path under two microseconds.
//
// Layout: each record is [u32 length of payload][payload]. A length of
// WRAP (0xffffffff) means "the rest of the buffer is unused, continue at 0".
// The writer never lets head reach tail, so head === tail always means empty.

/** Indexes into the shared control words (Int32Array). */
export const CTRL = {
  HEAD: 0,
  TAIL: 1,
  /** 1 while the worker holds back because the spool is full under `block`. */
  SPOOL_FULL: 2,
  /** 1 once the worker has started reading. */
  READY: 3,
  /** Set to 1 (and notified) to wake the sleeping worker early: the ring is filling up, or a message came. */
  WAKE: 4,
  WORDS: 8,
} as const;

/** Indexes into the shared counters (Float64Array), written by the worker only. */
export const STAT = {
  SPANS_SPOOLED: 0,
  SPANS_EXPORTED: 1,
  SPANS_DROPPED: 2,
  SPANS_REJECTED: 3,
  SPOOL_BYTES: 4,
  EXPORT_FAILURES: 5,
  EXPORT_BACKLOG_SPANS: 6,
  /** CPU the audit worker thread has used (user + system, microseconds). */
  WORKER_CPU_US: 7,
  WORDS: 8,
} as const;

const WRAP = 0xffffffff;
const HEADER = 4;

export interface RingBuffers {
  readonly data: SharedArrayBuffer;
  readonly ctrl: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
}

export function createRingBuffers(capacity: number): RingBuffers {
  return {
    data: new SharedArrayBuffer(capacity),
    ctrl: new SharedArrayBuffer(CTRL.WORDS * 4),
    stats: new SharedArrayBuffer(STAT.WORDS * 8),
  };
}

const utf8 = new TextEncoder();

/**
 * The producer side. Usage per record: `if (w.begin(bound)) { w.u8(..); ...; w.commit(); }`.
 * `bound` must be an upper bound of the payload size; `strBound` helps compute it.
 */
export class RingWriter {
  readonly capacity: number;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly ctrl: Int32Array;
  private head: number;
  private start: number;
  pos: number;

  constructor(bufs: RingBuffers) {
    this.capacity = bufs.data.byteLength;
    this.u8 = new Uint8Array(bufs.data);
    this.dv = new DataView(bufs.data);
    this.ctrl = new Int32Array(bufs.ctrl);
    this.head = Atomics.load(this.ctrl, CTRL.HEAD);
    this.start = 0;
    this.pos = 0;
  }

  /** Bytes free, as seen now (a lower bound: the reader may free more meanwhile). */
  free(): number {
    const tail = Atomics.load(this.ctrl, CTRL.TAIL);
    const h = this.head;
    return h >= tail ? this.capacity - h + tail - 1 : tail - h - 1;
  }

  /** Reserves room for a payload of at most `bound` bytes; false when the ring is full. */
  begin(bound: number): boolean {
    const need = bound + HEADER;
    const tail = Atomics.load(this.ctrl, CTRL.TAIL);
    let h = this.head;
    if (h >= tail) {
      // Keep HEADER bytes at the end for a wrap marker, so one always fits.
      if (need + HEADER > this.capacity - h) {
        if (need >= tail) return false;
        this.dv.setUint32(h, WRAP, true);
        h = 0;
      }
    } else if (h + need >= tail) {
      return false;
    }
    this.head = h;
    this.start = h;
    this.pos = h + HEADER;
    return true;
  }

  u8v(v: number): void {
    this.u8[this.pos++] = v;
  }

  u16(v: number): void {
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** u32 byte length, then UTF-8. ASCII is copied by hand: cheaper than encodeInto for short text. */
  str(s: string): void {
    const u8 = this.u8;
    const lenAt = this.pos;
    const start = lenAt + 4;
    let p = start;
    const n = s.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      u8[p++] = c;
    }
    if (i < n) p += utf8.encodeInto(s.slice(i), u8.subarray(p)).written;
    this.dv.setUint32(lenAt, p - start, true);
    this.pos = p;
  }

  /** Publishes the record: one release store the reader's Atomics.load pairs with. */
  commit(): void {
    this.dv.setUint32(this.start, this.pos - this.start - HEADER, true);
    this.head = this.pos;
    Atomics.store(this.ctrl, CTRL.HEAD, this.pos);
  }
}

/** Upper bound of the bytes `RingWriter.str` writes for `s`. */
export function strBound(s: string): number {
  return 4 + s.length * 3;
}

/** The consumer side: a cursor over one record at a time. */
export class RingReader {
  readonly u8: Uint8Array;
  readonly buf: Buffer;
  readonly dv: DataView;
  readonly ctrl: Int32Array;
  private tail: number;
  pos: number;
  end: number;

  constructor(bufs: RingBuffers) {
    this.u8 = new Uint8Array(bufs.data);
    this.buf = Buffer.from(bufs.data);
    this.dv = new DataView(bufs.data);
    this.ctrl = new Int32Array(bufs.ctrl);
    this.tail = Atomics.load(this.ctrl, CTRL.TAIL);
    this.pos = 0;
    this.end = 0;
  }

  /** Positions the cursor on the next record; false when the ring is empty. */
  next(): boolean {
    const head = Atomics.load(this.ctrl, CTRL.HEAD);
    if (this.tail === head) return false;
    let t = this.tail;
    let len = this.dv.getUint32(t, true);
    if (len === WRAP) {
      t = 0;
      if (t === head) {
        this.tail = 0;
        return false;
      }
      len = this.dv.getUint32(0, true);
    }
    this.pos = t + HEADER;
    this.end = this.pos + len;
    this.tail = this.end;
    return true;
  }

  /** Frees what has been read so far for the writer. */
  release(): void {
    Atomics.store(this.ctrl, CTRL.TAIL, this.tail);
  }

  u8v(): number {
    return this.u8[this.pos++]!;
  }

  u16(): number {
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(): string {
    const len = this.u32();
    // Buffer decodes straight from shared memory (TextDecoder would need a copy first).
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}
