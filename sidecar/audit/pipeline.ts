// The audit worker's pipeline, off the event loop: ring events -> OTLP protobuf
// spans, hash-chained (command records straight from the ring's bytes:
// command-encoder.ts; session spans through span records) -> spool (durable)
// -> collector (removed from the spool on 2xx). Open sessions are checkpointed
// into the spool, so after a restart their root spans are still written,
// marked incomplete.

import { randomFillSync } from 'node:crypto';
import { encodeCommand } from './command-encoder.js';
import { Kind, readEvent } from './event-codec.js';
import { SpanBatch } from './otlp-encode.js';
import { OtlpHttpClient, type PostOutcome } from './otlp-http.js';
import { CTRL, type RingBuffers, RingReader, STAT } from './ring.js';
import type { Attrs } from './span-record.js';
import { openSession, type SessionState, sessionSpan, unknownStart } from './spans.js';
import { type ExportBatch, REC_CHECKPOINT, REC_SPANS, Spool, type SpoolRecord } from './spool.js';

export interface PipelineConfig {
  readonly buffers: RingBuffers;
  readonly spoolDir: string;
  readonly maxSpoolBytes: number;
  readonly segmentBytes?: number;
  readonly onFull: 'block' | 'drop-oldest';
  readonly fsync: 'batch' | 'never';
  /** With fsync `batch`: fsync group commits at most this often (0: every one). */
  readonly fsyncMs?: number;
  readonly otlpEndpoint?: string;
  readonly otlpHeaders?: Readonly<Record<string, string>>;
  readonly resource: Attrs;
  readonly version: string;
  /** Spans are spooled at least this often (group commit). */
  readonly flushMs: number;
  /**
   * A spooled span waits at most this long for an export (so that one request
   * carries many group commits), unless a request's worth is waiting already.
   */
  readonly exportDelayMs?: number;
  readonly maxBatchSpans: number;
  readonly maxExportBytes: number;
  readonly exportTimeoutMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/**
 * A spool checkpoint: sessions whose whole state is written (new, or first in a
 * segment, or authenticated since), then chain positions of sessions already
 * written whole (id, last hash, chain length, last seen), then ended sessions.
 */
interface Checkpoint {
  open: SessionState[];
  pos?: [string, string, number, number][];
  ended: string[];
}

interface RecentSession {
  readonly id: string;
  readonly bytes: Buffer;
  readonly st: SessionState;
}
const RECENT = 64;

const INCOMPLETE_RESTART = 'sidecar restarted before the session ended';
const INCOMPLETE_STOP = 'sidecar stopped before the session ended';

export class Pipeline {
  private readonly cfg: PipelineConfig;
  private readonly reader: RingReader;
  private readonly ctrl: Int32Array;
  private readonly stats: Float64Array;
  private readonly spool: Spool;
  private readonly client: OtlpHttpClient | undefined;
  private readonly sessions = new Map<string, SessionState>();
  private readonly recentCache: (RecentSession | undefined)[] = new Array(RECENT).fill(undefined);
  private readonly dirty = new Set<string>();
  /** Sessions written whole in the active segment, with the auth they were written with (null: none yet). */
  private readonly writtenWhole = new Map<string, SessionState['auth'] | null>();
  private readonly ended = new Set<string>();
  /** The spans read since the last group commit, already encoded. */
  private readonly batch: SpanBatch;
  /** A batch must fit the spool many times over. */
  private readonly maxBatchBytes: number;
  /** Checkpoint text of a session's fixed part (start, auth, root span id), rebuilt when auth changes. */
  private readonly fixedJson = new WeakMap<SessionState, { auth: SessionState['auth']; json: string }>();
  /** When the oldest span not yet offered to the collector was spooled (0: none waiting). */
  private unsentSince = 0;
  /** A serialized batch waiting for room in the spool (onFull: block). */
  private waiting: SpoolRecord[] | undefined;
  private lastFlush = 0;
  private cpuReadAt = 0;
  private inflight = false;
  private retryAt = 0;
  private backoff: number;
  /**
   * Bytes per request: maxExportBytes until the collector answers 413, then half
   * the refused request's size each time (0: one spool record), kept from then on:
   * a collector's limit does not change while it runs, and each 413 costs a round trip.
   */
  private exportLimit: number;
  private readonly ids = Buffer.alloc(8 * 512);
  private idPos = this.ids.length;
  /** Resolved whenever an export finishes, for close() to wait on. */
  private exportDone: (() => void) | undefined;

  constructor(cfg: PipelineConfig) {
    this.cfg = cfg;
    this.reader = new RingReader(cfg.buffers);
    this.ctrl = new Int32Array(cfg.buffers.ctrl);
    this.stats = new Float64Array(cfg.buffers.stats);
    this.spool = new Spool({
      dir: cfg.spoolDir,
      maxBytes: cfg.maxSpoolBytes,
      fsync: cfg.fsync,
      ...(cfg.fsyncMs === undefined ? {} : { fsyncMs: cfg.fsyncMs }),
      ...(cfg.segmentBytes === undefined ? {} : { segmentBytes: cfg.segmentBytes }),
    });
    this.batch = new SpanBatch({ resource: cfg.resource, name: 'agentgate', version: cfg.version });
    this.client =
      cfg.otlpEndpoint === undefined || cfg.otlpEndpoint === ''
        ? undefined
        : new OtlpHttpClient(cfg.otlpEndpoint, cfg.exportTimeoutMs, cfg.otlpHeaders);
    this.backoff = cfg.retryMinMs;
    this.exportLimit = cfg.maxExportBytes;
    this.maxBatchBytes = Math.min(1 << 20, Math.floor(cfg.maxSpoolBytes / 16));
  }

  /** Opens the spool; sessions a previous process left open get their root spans now. */
  start(): void {
    const recovered = new Map<string, SessionState>();
    this.spool.open((payload) => {
      let cp: Checkpoint;
      try {
        cp = JSON.parse(payload.toString('utf8')) as Checkpoint;
      } catch {
        return;
      }
      for (const st of cp.open) recovered.set(st.start.sessionId, st);
      for (const [id, lastHash, chained, lastSeenMs] of cp.pos ?? []) {
        const st = recovered.get(id);
        if (st === undefined) continue;
        st.lastHash = lastHash;
        st.chained = chained;
        st.lastSeenMs = lastSeenMs;
      }
      for (const id of cp.ended) recovered.delete(id);
    });
    // A new segment starts with every open session whole: it must stand alone once older ones are deleted.
    this.spool.onRotate(() => {
      this.writtenWhole.clear();
      return this.checkpoint([...this.sessions.keys()], []);
    });
    for (const st of recovered.values()) {
      this.batch.add(sessionSpan(st, undefined, INCOMPLETE_RESTART));
      this.ended.add(st.start.sessionId);
    }
    this.flush();
    Atomics.store(this.ctrl, CTRL.READY, 1);
    this.publishStats();
  }

  /** One turn of the loop: read, spool, export. Returns how many events were read. */
  step(now: number): number {
    let n = 0;
    if (this.waiting === undefined) {
      const r = this.reader;
      while (n < this.cfg.maxBatchSpans && this.batch.size() < this.maxBatchBytes && r.next()) {
        this.onEvent(now);
        n++;
      }
      r.release();
    }
    if (
      this.batch.count >= this.cfg.maxBatchSpans ||
      this.batch.size() >= this.maxBatchBytes ||
      now - this.lastFlush >= this.cfg.flushMs
    ) {
      this.flush();
      this.lastFlush = now;
    }
    this.spool.syncIfDue(now);
    this.kickExport(now);
    this.publishStats();
    return n;
  }

  /** Milliseconds until the loop has something to do without new events: a group commit or an export due. */
  idleMs(now: number): number {
    let ms = this.cfg.flushMs;
    if (this.batch.count > 0 || this.dirty.size > 0 || this.ended.size > 0)
      ms = Math.min(ms, this.lastFlush + this.cfg.flushMs - now);
    if (this.unsentSince > 0 && !this.inflight)
      ms = Math.min(ms, Math.max(this.unsentSince + this.exportDelayMs(), this.retryAt) - now);
    ms = Math.min(ms, this.spool.syncDueInMs(now));
    return Math.max(0, ms);
  }

  private exportDelayMs(): number {
    return this.cfg.exportDelayMs ?? 0;
  }

  private onEvent(now: number): void {
    const r = this.reader;
    if (r.u8[r.pos] === Kind.Command) {
      r.pos++;
      // The session id follows the fixed fields (kind, mask, decision, seq, start, duration).
      const at = r.pos + 25;
      const len = r.dv.getUint32(at, true);
      const e = this.recent(r.buf, at + 4, at + 4 + len, r.dv.getFloat64(r.pos + 9, true));
      encodeCommand(r, e.st, this.batch, this.ids, this.spanIdAt());
      this.dirty.add(e.id);
      return;
    }
    const ev = readEvent(r);
    switch (ev.kind) {
      case Kind.SessionStart:
        this.sessions.set(ev.e.sessionId, openSession(ev.e, this.spanId()));
        this.recentCache.fill(undefined);
        this.dirty.add(ev.e.sessionId);
        break;
      case Kind.SessionAuth:
        this.session(ev.e.sessionId, ev.e.at).auth = ev.e;
        this.dirty.add(ev.e.sessionId);
        break;
      case Kind.SessionEnd: {
        const st = this.session(ev.e.sessionId, now);
        this.batch.add(sessionSpan(st, ev.e));
        this.sessions.delete(ev.e.sessionId);
        this.recentCache.fill(undefined);
        this.dirty.delete(ev.e.sessionId);
        this.ended.add(ev.e.sessionId);
        break;
      }
    }
  }

  /**
   * The session whose id is bytes s..e of the ring: a small cache by the id's
   * last bytes saves decoding the id and hashing it for the map, per command.
   */
  private recent(src: Buffer, s: number, e: number, at: number): RecentSession {
    const slot = e - s >= 2 ? (src[e - 1]! * 31 + src[e - 2]!) & (RECENT - 1) : 0;
    const c = this.recentCache[slot];
    // A loop the JIT inlines: Buffer#compare with offsets validates its arguments and crosses into C++ per call.
    if (c !== undefined && c.bytes.length === e - s) {
      const b = c.bytes;
      let i = 0;
      while (i < b.length && b[i] === src[s + i]) i++;
      if (i === b.length) return c;
    }
    const id = src.toString('utf8', s, e);
    const fresh: RecentSession = { id, bytes: Buffer.from(src.subarray(s, e)), st: this.session(id, at) };
    this.recentCache[slot] = fresh;
    return fresh;
  }

  private session(id: string, at: number): SessionState {
    let st = this.sessions.get(id);
    if (st === undefined) {
      st = openSession(unknownStart(id, at), this.spanId());
      this.sessions.set(id, st);
    }
    return st;
  }

  /** Where the next span id's 8 random bytes are in `ids` (never all zero). */
  private spanIdAt(): number {
    for (;;) {
      if (this.idPos >= this.ids.length) {
        randomFillSync(this.ids);
        this.idPos = 0;
      }
      const at = this.idPos;
      this.idPos += 8;
      if (this.ids.readUInt32LE(at) !== 0 || this.ids.readUInt32LE(at + 4) !== 0) return at;
    }
  }

  private spanId(): string {
    const at = this.spanIdAt();
    return this.ids.toString('hex', at, at + 8);
  }

  /** A session's state as JSON (what JSON.stringify would write), its fixed part kept from the last time. */
  private stateJson(st: SessionState): string {
    let f = this.fixedJson.get(st);
    if (f === undefined || f.auth !== st.auth) {
      const fixed: Partial<SessionState> = { start: st.start, rootSpanId: st.rootSpanId };
      if (st.auth !== undefined) fixed.auth = st.auth;
      f = { auth: st.auth, json: JSON.stringify(fixed).slice(0, -1) };
      this.fixedJson.set(st, f);
    }
    return `${f.json},"lastHash":${JSON.stringify(st.lastHash)},"chained":${st.chained},"lastSeenMs":${JSON.stringify(st.lastSeenMs)}}`;
  }

  /**
   * Checkpoint of the sessions in `open`: whole the first time in a segment (or
   * after their auth changed), afterwards only their chain position, which is
   * all a group commit changes (a tenth of the bytes).
   */
  private checkpoint(open: readonly string[], ended: readonly string[]): SpoolRecord | undefined {
    if (open.length === 0 && ended.length === 0) return undefined;
    const states: string[] = [];
    const pos: string[] = [];
    for (const id of open) {
      const st = this.sessions.get(id);
      if (st === undefined) continue;
      const written = this.writtenWhole.get(id);
      if (written !== undefined && written === (st.auth ?? null)) {
        pos.push(
          `[${JSON.stringify(id)},${JSON.stringify(st.lastHash)},${st.chained},${JSON.stringify(st.lastSeenMs)}]`,
        );
      } else {
        states.push(this.stateJson(st));
        this.writtenWhole.set(id, st.auth ?? null);
      }
    }
    for (const id of ended) this.writtenWhole.delete(id);
    const json = `{"open":[${states.join(',')}],"pos":[${pos.join(',')}],"ended":${JSON.stringify(ended)}}`;
    return { kind: REC_CHECKPOINT, spans: 0, payload: Buffer.from(json) };
  }

  /** Serializes the batch and puts it in the spool (or holds it, if the spool is full under block). */
  flush(force = false): void {
    if (this.waiting !== undefined) {
      if (!this.place(this.waiting, force)) return;
      this.waiting = undefined;
    }
    if (this.batch.count === 0 && this.dirty.size === 0 && this.ended.size === 0) return;
    const records: SpoolRecord[] = [];
    const spans = this.batch.count;
    if (spans > 0) {
      records.push({ kind: REC_SPANS, spans, payload: this.batch.finish() });
      this.stats[STAT.SPANS_SPOOLED]! += spans;
    }
    const cp = this.checkpoint([...this.dirty], [...this.ended]);
    if (cp !== undefined) records.push(cp);
    this.dirty.clear();
    this.ended.clear();
    // The encoded payload is a view of the batch's buffer: keep a copy if it has to wait.
    if (!this.place(records, force))
      this.waiting = records.map((r) => ({ ...r, payload: Buffer.from(r.payload) }));
    this.batch.reset();
  }

  private place(records: SpoolRecord[], force: boolean): boolean {
    let size = 0;
    for (const r of records) size += 13 + r.payload.length;
    if (!this.spool.fits(size)) {
      if (this.cfg.onFull === 'drop-oldest') {
        this.stats[STAT.SPANS_DROPPED]! += this.spool.dropOldest(size);
      } else if (!force) {
        Atomics.store(this.ctrl, CTRL.SPOOL_FULL, 1);
        return false;
      }
    }
    this.spool.append(records);
    Atomics.store(this.ctrl, CTRL.SPOOL_FULL, 0);
    if (this.client !== undefined && this.unsentSince === 0 && records.some((r) => r.kind === REC_SPANS))
      this.unsentSince = Date.now();
    return true;
  }

  private kickExport(now: number, eager = false): void {
    if (this.client === undefined || this.inflight || now < this.retryAt) return;
    if (
      !eager &&
      now - this.unsentSince < this.exportDelayMs() &&
      this.spool.backlogBytes() < this.exportLimit / 2
    )
      return;
    const batch = this.spool.takeBatch(this.exportLimit);
    if (batch === undefined) {
      this.unsentSince = 0;
      return;
    }
    this.unsentSince = 0;
    this.inflight = true;
    this.client.post(batch.body).then((outcome) => this.onExported(batch, outcome));
  }

  private onExported(batch: ExportBatch, outcome: PostOutcome): void {
    this.inflight = false;
    const kind = outcome.kind;
    if (kind === 'ok' || kind === 'rejected' || (kind === 'too-large' && batch.refs.length === 1)) {
      const late = this.spool.ack(batch);
      if (kind === 'ok') {
        this.stats[STAT.SPANS_EXPORTED]! += batch.spans;
        this.stats[STAT.SPANS_DROPPED]! -= late;
      } else {
        this.stats[STAT.SPANS_REJECTED]! += batch.spans;
        process.emitWarning(
          `agentgate audit: collector refused ${batch.spans} spans: ${outcome.kind === 'rejected' ? outcome.detail : kind}`,
        );
      }
      this.backoff = this.cfg.retryMinMs;
      this.retryAt = 0;
      if (this.waiting !== undefined) this.flush();
    } else if (kind === 'too-large') {
      this.exportLimit = Math.floor(batch.body.length / 2);
      process.emitWarning(
        `agentgate audit: collector refused a request of ${batch.body.length} bytes as too large (413); requests are now at most ${this.exportLimit} bytes or one spool record`,
      );
    } else {
      this.stats[STAT.EXPORT_FAILURES]! += 1;
      this.retryAt =
        Date.now() + Math.max(this.backoff, outcome.kind === 'retry' ? (outcome.retryAfterMs ?? 0) : 0);
      this.backoff = Math.min(this.backoff * 2, this.cfg.retryMaxMs);
    }
    this.publishStats();
    const done = this.exportDone;
    this.exportDone = undefined;
    done?.();
    // A backlog (after an outage) goes out request after request, not one per loop turn.
    if (kind !== 'retry' && done === undefined) this.kickExport(Date.now());
  }

  private publishStats(): void {
    // getrusage is a system call: at most every 50 ms (and on each flush request, for callers that measure).
    const now = Date.now();
    if (now - this.cpuReadAt >= 50) this.readCpu(now);
    this.stats[STAT.SPOOL_BYTES] = this.spool.usedBytes();
    this.stats[STAT.EXPORT_BACKLOG_SPANS] = this.spool.backlogSpans();
  }

  /** Publishes the thread's CPU now (a flush request: its caller may be measuring). */
  readCpu(now: number): void {
    const cpu = process.threadCpuUsage();
    this.stats[STAT.WORKER_CPU_US] = cpu.user + cpu.system;
    this.cpuReadAt = now;
  }

  /** True while a batch waits for room in the spool. */
  isWaiting(): boolean {
    return this.waiting !== undefined;
  }

  backlog(): number {
    return this.spool.backlogSpans();
  }

  /** Resolves after the next export attempt finishes (or at once when none is running). */
  whenExportSettles(): Promise<void> {
    if (!this.inflight) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.exportDone;
      this.exportDone = () => {
        prev?.();
        resolve();
      };
    });
  }

  /** Drains the ring, closes open sessions, spools everything (over the limit if it must: nothing is lost on shutdown). */
  drainForClose(): void {
    const r = this.reader;
    while (r.next()) this.onEvent(Date.now());
    r.release();
    for (const [id, st] of this.sessions) {
      this.batch.add(sessionSpan(st, undefined, INCOMPLETE_STOP));
      this.ended.add(id);
      this.dirty.delete(id);
    }
    this.sessions.clear();
    this.recentCache.fill(undefined);
    this.flush(true);
    this.publishStats();
  }

  canExport(): boolean {
    return this.client !== undefined;
  }

  exportNow(): void {
    this.retryAt = 0;
    this.kickExport(Date.now(), true);
  }

  close(): void {
    this.spool.close();
    this.client?.close();
  }
}
