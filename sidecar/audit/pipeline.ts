// The audit worker's pipeline, off the event loop: ring events -> span records
// (hash-chained) -> OTLP protobuf (otlp-encode.ts) -> spool (durable) -> collector (removed from
// the spool on 2xx). Open sessions are checkpointed into the spool, so after a
// restart their root spans are still written, marked incomplete.

import { randomFillSync } from 'node:crypto';
import { Kind, readEvent } from './event-codec.js';
import { type EncodeScope, encodeSpans } from './otlp-encode.js';
import { OtlpHttpClient, type PostOutcome } from './otlp-http.js';
import { CTRL, type RingBuffers, RingReader, STAT } from './ring.js';
import type { Attrs, SpanRecord } from './span-record.js';
import { commandSpan, openSession, type SessionState, sessionSpan, unknownStart } from './spans.js';
import { type ExportBatch, REC_CHECKPOINT, REC_SPANS, Spool, type SpoolRecord } from './spool.js';

export interface PipelineConfig {
  readonly buffers: RingBuffers;
  readonly spoolDir: string;
  readonly maxSpoolBytes: number;
  readonly segmentBytes?: number;
  readonly onFull: 'block' | 'drop-oldest';
  readonly fsync: 'batch' | 'never';
  readonly otlpEndpoint?: string;
  readonly otlpHeaders?: Readonly<Record<string, string>>;
  readonly resource: Attrs;
  readonly version: string;
  /** Spans are spooled at least this often (group commit). */
  readonly flushMs: number;
  readonly maxBatchSpans: number;
  readonly maxExportBytes: number;
  readonly exportTimeoutMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

interface Checkpoint {
  open: SessionState[];
  ended: string[];
}

const INCOMPLETE_RESTART = 'sidecar restarted before the session ended';
const INCOMPLETE_STOP = 'sidecar stopped before the session ended';

export class Pipeline {
  private readonly cfg: PipelineConfig;
  private readonly reader: RingReader;
  private readonly ctrl: Int32Array;
  private readonly stats: Float64Array;
  private readonly spool: Spool;
  private readonly scope: EncodeScope;
  private readonly client: OtlpHttpClient | undefined;
  private readonly sessions = new Map<string, SessionState>();
  private readonly dirty = new Set<string>();
  private readonly ended = new Set<string>();
  private batch: SpanRecord[] = [];
  /** Rough size of the batch (query texts dominate): a batch must fit the spool many times over. */
  private batchBytes = 0;
  private readonly maxBatchBytes: number;
  /** A serialized batch waiting for room in the spool (onFull: block). */
  private waiting: SpoolRecord[] | undefined;
  private lastFlush = 0;
  private inflight = false;
  private retryAt = 0;
  private backoff: number;
  private oneAtATime = false;
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
      ...(cfg.segmentBytes === undefined ? {} : { segmentBytes: cfg.segmentBytes }),
    });
    this.scope = { resource: cfg.resource, name: 'agentgate', version: cfg.version };
    this.client =
      cfg.otlpEndpoint === undefined || cfg.otlpEndpoint === ''
        ? undefined
        : new OtlpHttpClient(cfg.otlpEndpoint, cfg.exportTimeoutMs, cfg.otlpHeaders);
    this.backoff = cfg.retryMinMs;
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
      for (const id of cp.ended) recovered.delete(id);
    });
    this.spool.onRotate(() => this.checkpoint([...this.sessions.keys()], []));
    for (const st of recovered.values()) {
      this.batch.push(sessionSpan(st, undefined, INCOMPLETE_RESTART));
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
      while (n < this.cfg.maxBatchSpans && this.batchBytes < this.maxBatchBytes && r.next()) {
        this.onEvent(now);
        n++;
      }
      r.release();
    }
    if (
      this.batch.length >= this.cfg.maxBatchSpans ||
      this.batchBytes >= this.maxBatchBytes ||
      now - this.lastFlush >= this.cfg.flushMs
    ) {
      this.flush();
      this.lastFlush = now;
    }
    this.kickExport(now);
    this.publishStats();
    return n;
  }

  private onEvent(now: number): void {
    const ev = readEvent(this.reader);
    switch (ev.kind) {
      case Kind.SessionStart:
        this.sessions.set(ev.e.sessionId, openSession(ev.e, this.spanId()));
        this.dirty.add(ev.e.sessionId);
        break;
      case Kind.SessionAuth:
        this.session(ev.e.sessionId, ev.e.at).auth = ev.e;
        this.dirty.add(ev.e.sessionId);
        break;
      case Kind.Command:
        this.batchBytes += 256 + ev.e.text.length;
        this.batch.push(commandSpan(this.session(ev.e.sessionId, ev.e.startedAt), ev.e, this.spanId()));
        this.dirty.add(ev.e.sessionId);
        break;
      case Kind.SessionEnd: {
        const st = this.session(ev.e.sessionId, now);
        this.batch.push(sessionSpan(st, ev.e));
        this.sessions.delete(ev.e.sessionId);
        this.dirty.delete(ev.e.sessionId);
        this.ended.add(ev.e.sessionId);
        break;
      }
    }
  }

  private session(id: string, at: number): SessionState {
    let st = this.sessions.get(id);
    if (st === undefined) {
      st = openSession(unknownStart(id, at), this.spanId());
      this.sessions.set(id, st);
    }
    return st;
  }

  private spanId(): string {
    if (this.idPos >= this.ids.length) {
      randomFillSync(this.ids);
      this.idPos = 0;
    }
    const id = this.ids.toString('hex', this.idPos, this.idPos + 8);
    this.idPos += 8;
    return id === '0000000000000000' ? this.spanId() : id;
  }

  private checkpoint(open: readonly string[], ended: readonly string[]): SpoolRecord | undefined {
    if (open.length === 0 && ended.length === 0) return undefined;
    const cp: Checkpoint = { open: [], ended: [...ended] };
    for (const id of open) {
      const st = this.sessions.get(id);
      if (st !== undefined) cp.open.push(st);
    }
    return { kind: REC_CHECKPOINT, spans: 0, payload: Buffer.from(JSON.stringify(cp)) };
  }

  /** Serializes the batch and puts it in the spool (or holds it, if the spool is full under block). */
  flush(force = false): void {
    if (this.waiting !== undefined) {
      if (!this.place(this.waiting, force)) return;
      this.waiting = undefined;
    }
    if (this.batch.length === 0 && this.dirty.size === 0 && this.ended.size === 0) return;
    const records: SpoolRecord[] = [];
    if (this.batch.length > 0) {
      records.push({
        kind: REC_SPANS,
        spans: this.batch.length,
        payload: encodeSpans(this.batch, this.scope),
      });
      this.stats[STAT.SPANS_SPOOLED]! += this.batch.length;
      this.batch = [];
      this.batchBytes = 0;
    }
    const cp = this.checkpoint([...this.dirty], [...this.ended]);
    if (cp !== undefined) records.push(cp);
    this.dirty.clear();
    this.ended.clear();
    // The encoded payload is a view of the encoder's scratch buffer: keep a copy if it has to wait.
    if (!this.place(records, force))
      this.waiting = records.map((r) => ({ ...r, payload: Buffer.from(r.payload) }));
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
    return true;
  }

  private kickExport(now: number): void {
    if (this.client === undefined || this.inflight || now < this.retryAt) return;
    const batch = this.spool.takeBatch(this.oneAtATime ? 0 : this.cfg.maxExportBytes);
    if (batch === undefined) return;
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
      this.oneAtATime = false;
      this.backoff = this.cfg.retryMinMs;
      this.retryAt = 0;
      if (this.waiting !== undefined) this.flush();
    } else if (kind === 'too-large') {
      this.oneAtATime = true;
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
    this.stats[STAT.SPOOL_BYTES] = this.spool.usedBytes();
    this.stats[STAT.EXPORT_BACKLOG_SPANS] = this.spool.backlogSpans();
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
      this.batch.push(sessionSpan(st, undefined, INCOMPLETE_STOP));
      this.ended.add(id);
      this.dirty.delete(id);
    }
    this.sessions.clear();
    this.flush(true);
    this.publishStats();
  }

  canExport(): boolean {
    return this.client !== undefined;
  }

  exportNow(): void {
    this.retryAt = 0;
    this.kickExport(Date.now());
  }

  close(): void {
    this.spool.close();
    this.client?.close();
  }
}
