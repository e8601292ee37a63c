// The durable spool under the exporter: append-only segment files in one
// directory, records removed only once the collector has acknowledged them.
//
// Segment `seg-<16 digits>.log` holds records [u32 payload length][u32 CRC-32 of
// payload][u8 kind][u32 span count][payload]. Kind 1 is one OTLP
// ExportTraceServiceRequest (protobuf); kind 2 is a JSON checkpoint of open
// sessions, read back after a restart and never exported. Protobuf lets us send
// several records as one request by concatenation: repeated fields merge.
//
// `ack` says where acknowledged data ends: everything before "<segment> <offset>"
// has been taken by the collector. It is updated in place after each
// acknowledged request (one pwrite, no fsync, no rename: a rename per request
// cost the worker an inode eviction each time), alternating between two
// checksummed slots, so a torn write spoils only the newer slot and a reader
// falls back to the older position: a power loss can resend a request (at
// least once) but never lose one. The one-line format of earlier versions is
// still read.
// Appends are written at once and fsynced at most every fsyncMs (and when a
// segment closes): a killed process loses nothing written, a node crash at
// most that window, and the fsyncs (0.1-0.3 ms of CPU each on a small VM) stay
// off the per-commit path.
// Fully acknowledged segments are deleted; the total size of the segment files
// stays under maxBytes (block: the caller waits; drop-oldest: oldest segments go).
// Runs in the audit worker only: synchronous file calls are fine there.

import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const REC_SPANS = 1;
export const REC_CHECKPOINT = 2;
export const RECORD_HEADER = 13;
const SEG_RE = /^seg-(\d{16})\.log$/;
/** One ack slot: `v2 <seq> <segment> <offset> <crc32 of the text before it, hex>`, space-padded, newline-terminated. */
const ACK_SLOT = 64;
const ACK_SLOT_RE = /^v2 (\d+) (\d+) (\d+) ([0-9a-f]{8}) *\n$/;

export interface SpoolRecord {
  readonly kind: number;
  readonly spans: number;
  readonly payload: Uint8Array;
}

interface RecordRef {
  readonly seg: number;
  readonly offset: number;
  readonly size: number;
  readonly spans: number;
}

interface Segment {
  readonly n: number;
  size: number;
}

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** Segment size before rotation; capped at maxBytes/8 so a reclaim always frees room. */
  readonly segmentBytes?: number;
  /** `batch`: fsync appends (group commits; the default). `never`: leave it to the kernel. */
  readonly fsync?: 'batch' | 'never';
  /**
   * With `batch`: fsync at most this often (0, the default here: after every
   * append). Appends in between are written (a killed process loses none of
   * them) and reach the disk with the next fsync, which `syncIfDue` makes.
   */
  readonly fsyncMs?: number;
}

export interface ExportBatch {
  readonly refs: readonly RecordRef[];
  readonly body: Buffer;
  readonly spans: number;
}

export function segName(n: number): string {
  return `seg-${String(n).padStart(16, '0')}.log`;
}

export function listSegments(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir)) {
    const m = SEG_RE.exec(f);
    if (m !== null) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Walks the valid records of one segment's bytes; returns the offset where valid
 * data ends (a torn tail from a crash starts there).
 */
export function scanRecords(
  buf: Buffer,
  onRecord: (kind: number, spans: number, offset: number, payload: Buffer) => void,
): number {
  let off = 0;
  while (off + RECORD_HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (off + RECORD_HEADER + len > buf.length) break;
    const payload = buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len);
    if (crc32(payload) !== buf.readUInt32LE(off + 4)) break;
    onRecord(buf[off + 8]!, buf.readUInt32LE(off + 9), off, payload);
    off += RECORD_HEADER + len;
  }
  return off;
}

/** Writes all of `parts` (`size` bytes), continuing after a short write. */
function writeAll(fd: number, parts: Uint8Array[], size: number): void {
  let done = writevSync(fd, parts);
  if (done === size) return;
  let i = 0;
  for (; done >= parts[i]!.length; i++) done -= parts[i]!.length;
  for (; i < parts.length; i++) {
    const p = parts[i]!;
    for (; done < p.length; ) done += writeSync(fd, p, done, p.length - done);
    done = 0;
  }
}

function ackLine(seq: number, seg: number, off: number): string {
  const text = `v2 ${seq} ${seg} ${off}`;
  return `${`${text} ${crc32(text).toString(16).padStart(8, '0')}`.padEnd(ACK_SLOT - 1)}\n`;
}

export class Spool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private readonly fsyncMs: number;
  /** Written since the last fsync of the active segment. */
  private unsynced = false;
  private lastSync = 0;
  /** Data fsyncs so far (directories not counted). */
  fsyncs = 0;
  private readonly segments: Segment[] = [];
  private readonly queue: RecordRef[] = [];
  private queueHead = 0;
  private fd = -1;
  private total = 0;
  private backlog = 0;
  private backlogSize = 0;
  private ackSeg = 0;
  private ackOff = 0;
  private ackSeq = 0;
  private ackFd = -1;
  private rotateHook: () => SpoolRecord | undefined = () => undefined;
  /** Record headers of an append; the body buffer is reused across exports: fresh large buffers cost page faults. */
  private writeBuf = Buffer.allocUnsafe(16 * RECORD_HEADER);
  private bodyBuf = Buffer.allocUnsafe(1 << 20);

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = Math.max(
      4096,
      Math.min(opts.segmentBytes ?? 16 << 20, Math.floor(opts.maxBytes / 8)),
    );
    this.fsync = (opts.fsync ?? 'batch') === 'batch';
    this.fsyncMs = Math.max(0, opts.fsyncMs ?? 0);
  }

  /** Opens the directory, repairs a torn tail, rebuilds the backlog; checkpoints are handed back in order. */
  open(onCheckpoint: (payload: Buffer) => void): void {
    // Audit data names people and what they ran: readable by the sidecar's user only.
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.readAck();
    for (const n of listSegments(this.dir)) {
      const path = join(this.dir, segName(n));
      const buf = readFileSync(path);
      const end = scanRecords(buf, (kind, spans, offset, payload) => {
        if (kind === REC_CHECKPOINT) onCheckpoint(payload);
        else if (kind === REC_SPANS && (n > this.ackSeg || (n === this.ackSeg && offset >= this.ackOff))) {
          this.queue.push({ seg: n, offset, size: RECORD_HEADER + payload.length, spans });
          this.backlog += spans;
          this.backlogSize += RECORD_HEADER + payload.length;
        }
      });
      if (end < buf.length) {
        // A record cut short by a crash: drop the partial bytes so appends stay parseable.
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, end);
        closeSync(fd);
      }
      this.segments.push({ n, size: end });
      this.total += end;
    }
    this.reclaim();
    const last = this.segments.at(-1);
    if (last !== undefined) this.fd = openSync(join(this.dir, segName(last.n)), 'a');
  }

  /** Supplies the record written first in every new segment (open sessions' checkpoint). */
  onRotate(hook: () => SpoolRecord | undefined): void {
    this.rotateHook = hook;
  }

  usedBytes(): number {
    return this.total;
  }

  backlogSpans(): number {
    return this.backlog;
  }

  /** Bytes of the records not yet acknowledged. */
  backlogBytes(): number {
    return this.backlogSize;
  }

  /** Frees acknowledged segments first; then whether `bytes` more fit under the limit. */
  fits(bytes: number): boolean {
    this.reclaim();
    return this.total + bytes <= this.maxBytes;
  }

  /** Deletes the oldest segments until `bytes` fit; returns how many unsent spans went with them. */
  dropOldest(bytes: number): number {
    let dropped = 0;
    // Bounded: each turn removes one segment; a record larger than the whole spool cannot be helped.
    for (let turns = this.segments.length + 1; turns > 0 && !this.fits(bytes); turns--) {
      const seg = this.segments[0];
      if (seg === undefined) break;
      if (this.segments.length === 1) this.rotate();
      while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.seg === seg.n) {
        const r = this.queue[this.queueHead++]!;
        dropped += r.spans;
        this.backlog -= r.spans;
        this.backlogSize -= r.size;
      }
      this.removeSegment(seg.n);
      this.setAck(seg.n + 1, 0);
    }
    this.compactQueue();
    return dropped;
  }

  /** Appends records in one write; fsyncs per policy. The caller checked `fits` first. */
  append(records: readonly SpoolRecord[]): void {
    if (this.fd < 0 || this.segments.at(-1)!.size >= this.segmentBytes) this.rotate();
    this.write(records);
  }

  /** Record headers go into one small buffer; payloads are written from where they are (writev, no copy). */
  private write(records: readonly SpoolRecord[]): void {
    if (this.writeBuf.length < records.length * RECORD_HEADER)
      this.writeBuf = Buffer.allocUnsafe(records.length * RECORD_HEADER * 2);
    const heads = this.writeBuf;
    const seg = this.segments.at(-1)!;
    const parts: Uint8Array[] = [];
    let off = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const h = i * RECORD_HEADER;
      heads.writeUInt32LE(r.payload.length, h);
      heads.writeUInt32LE(crc32(r.payload), h + 4);
      heads[h + 8] = r.kind;
      heads.writeUInt32LE(r.spans, h + 9);
      parts.push(heads.subarray(h, h + RECORD_HEADER), r.payload);
      if (r.kind === REC_SPANS) {
        this.queue.push({
          seg: seg.n,
          offset: seg.size + off,
          size: RECORD_HEADER + r.payload.length,
          spans: r.spans,
        });
        this.backlog += r.spans;
        this.backlogSize += RECORD_HEADER + r.payload.length;
      }
      off += RECORD_HEADER + r.payload.length;
    }
    writeAll(this.fd, parts, off);
    seg.size += off;
    this.total += off;
    if (!this.fsync) return;
    this.unsynced = true;
    this.syncIfDue(Date.now());
  }

  /** Fsyncs the active segment if it holds unsynced appends and the last fsync is fsyncMs old. */
  syncIfDue(now: number): void {
    if (!this.unsynced || now - this.lastSync < this.fsyncMs) return;
    this.syncNow();
    this.lastSync = now;
  }

  private syncNow(): void {
    fsyncSync(this.fd);
    this.fsyncs++;
    this.unsynced = false;
  }

  /** Milliseconds until syncIfDue has work (Infinity: nothing unsynced). */
  syncDueInMs(now: number): number {
    return this.unsynced ? Math.max(0, this.lastSync + this.fsyncMs - now) : Number.POSITIVE_INFINITY;
  }

  private rotate(): void {
    if (this.fd >= 0) {
      // A segment is closed durable: its appends since the last fsync go down now.
      if (this.unsynced) this.syncNow();
      closeSync(this.fd);
    }
    const n = (this.segments.at(-1)?.n ?? this.ackSeg) + 1;
    this.fd = openSync(join(this.dir, segName(n)), 'a', 0o600);
    this.segments.push({ n, size: 0 });
    if (this.fsync) this.syncDir();
    const cp = this.rotateHook();
    if (cp !== undefined) this.write([cp]);
  }

  /** The oldest unacknowledged records, concatenated into one request body of at most maxBytes (at least one record). */
  takeBatch(maxBytes: number): ExportBatch | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const refs: RecordRef[] = [];
    let size = 0;
    let spans = 0;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const r = this.queue[i]!;
      if (refs.length > 0 && size + r.size - RECORD_HEADER > maxBytes) break;
      refs.push(r);
      size += r.size - RECORD_HEADER;
      spans += r.spans;
    }
    // One export is in flight at a time, so one body buffer serves them all.
    if (this.bodyBuf.length < size)
      this.bodyBuf = Buffer.allocUnsafe(Math.max(size, this.bodyBuf.length * 2));
    const body = this.bodyBuf.subarray(0, size);
    let off = 0;
    let fd = -1;
    let fdSeg = -1;
    try {
      for (const r of refs) {
        if (r.seg !== fdSeg) {
          if (fd >= 0) closeSync(fd);
          fd = openSync(join(this.dir, segName(r.seg)), 'r');
          fdSeg = r.seg;
        }
        const len = r.size - RECORD_HEADER;
        readSync(fd, body, off, len, r.offset + RECORD_HEADER);
        off += len;
      }
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    return { refs, body, spans };
  }

  /**
   * The collector took the batch: forget its records and move the ack pointer
   * past them. Returns how many of its spans drop-oldest had already counted as
   * dropped while the request was in flight (they arrived after all).
   */
  ack(batch: ExportBatch): number {
    let late = 0;
    let end: RecordRef | undefined;
    for (const r of batch.refs) {
      if (this.queue[this.queueHead] !== r) {
        late += r.spans; // dropped meanwhile (drop-oldest)
        continue;
      }
      this.queueHead++;
      this.backlog -= r.spans;
      this.backlogSize -= r.size;
      end = r;
    }
    if (end !== undefined) this.setAck(end.seg, end.offset + end.size);
    this.compactQueue();
    this.reclaim();
    return late;
  }

  close(): void {
    if (this.ackFd >= 0) {
      closeSync(this.ackFd);
      this.ackFd = -1;
    }
    if (this.fd >= 0) {
      if (this.unsynced) this.syncNow();
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private compactQueue(): void {
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Deletes segments wholly before the ack pointer; rotates away from a fully acknowledged active segment. */
  private reclaim(): void {
    const next = this.queue[this.queueHead];
    // Everything in segments before `firstNeeded` has been acknowledged.
    const firstNeeded = next === undefined ? Number.POSITIVE_INFINITY : next.seg;
    while (this.segments.length > 1 && this.segments[0]!.n < firstNeeded)
      this.removeSegment(this.segments[0]!.n);
    const only = this.segments[0];
    if (
      this.segments.length === 1 &&
      only !== undefined &&
      only.n < firstNeeded &&
      only.size > 0 &&
      this.total > this.maxBytes / 2
    ) {
      this.rotate();
      this.removeSegment(only.n);
    }
  }

  private removeSegment(n: number): void {
    const i = this.segments.findIndex((s) => s.n === n);
    if (i < 0) return;
    this.total -= this.segments[i]!.size;
    this.segments.splice(i, 1);
    rmSync(join(this.dir, segName(n)), { force: true });
  }

  private setAck(seg: number, off: number): void {
    this.ackSeg = seg;
    this.ackOff = off;
    if (this.ackFd < 0) return; // closed: the next start resends from the last position written
    this.ackSeq++;
    writeSync(this.ackFd, ackLine(this.ackSeq, seg, off), (this.ackSeq % 2) * ACK_SLOT, 'latin1');
  }

  /** The newest intact ack slot, or the one-line format of earlier versions; nothing acknowledged if neither. */
  private readAck(): void {
    const path = join(this.dir, 'ack');
    let text = '';
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      // no ack file yet: nothing acknowledged
    }
    let best: { seq: number; seg: number; off: number } | undefined;
    for (let at = 0; at + ACK_SLOT <= text.length; at += ACK_SLOT) {
      const m = ACK_SLOT_RE.exec(text.slice(at, at + ACK_SLOT));
      if (m === null) continue;
      const [seq, seg, off] = [Number(m[1]), Number(m[2]), Number(m[3])];
      if (crc32(`v2 ${m[1]} ${m[2]} ${m[3]}`) !== Number.parseInt(m[4]!, 16)) continue;
      if (![seq, seg, off].every(Number.isSafeInteger)) continue;
      if (best === undefined || seq > best.seq) best = { seq, seg, off };
    }
    if (best === undefined && !text.startsWith('v2 ')) {
      const [seg, off] = text.trim().split(' ').map(Number);
      if (Number.isSafeInteger(seg) && Number.isSafeInteger(off)) best = { seq: 0, seg: seg!, off: off! };
    }
    if (best !== undefined) {
      this.ackSeq = best.seq;
      this.ackSeg = best.seg;
      this.ackOff = best.off;
    }
    // Slots are written in place from now on. The file that starts it holds the
    // position just read in one slot; it replaces the old file whole (rename),
    // so a crash here leaves one file or the other, never neither.
    this.ackSeq++;
    const slots = Buffer.alloc(ACK_SLOT * 2, ' ');
    slots.write(ackLine(this.ackSeq, this.ackSeg, this.ackOff), (this.ackSeq % 2) * ACK_SLOT, 'latin1');
    writeFileSync(`${path}.tmp`, slots, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    this.ackFd = openSync(path, 'r+');
  }

  private syncDir(): void {
    try {
      const fd = openSync(this.dir, 'r');
      fsyncSync(fd);
      closeSync(fd);
    } catch {
      // some file systems refuse fsync on directories; the data fsyncs still hold
    }
  }

  segmentCount(): number {
    return this.segments.length;
  }
}
