// The audit sink protocol sessions call. On the event loop a command costs one
// binary write into a shared ring (no allocation beyond what the event holds, no
// message, no syscall); the worker thread builds, chains, serializes, spools and
// exports the spans.
//
// Backpressure (onFull: block, the default): when the spool is full because the
// collector is away, the worker stops reading the ring and `writable()` turns
// false. A session checks `writable()` before it forwards the next command and,
// when false, stops reading from the agent until `whenWritable()` resolves;
// commands already in flight are still recorded (an in-memory overflow keeps
// them, never dropped). Under drop-oldest the spool makes room by deleting its
// oldest segments and counts the spans lost in `stats().spansDropped`.

import { agError } from '../../common/errors.js';
import { Kind, writeCommand, writeJson } from './event-codec.js';
import type { AuditSink, CommandEvent, SessionAuth, SessionEnd, SessionStart } from './events.js';
import type { PipelineConfig } from './pipeline.js';
import { CTRL, createRingBuffers, RingWriter, STAT } from './ring.js';
import type { Attrs } from './span-record.js';
import type { FromWorker, ToWorker } from './worker.js';
import { startWorker } from './worker-url.js';

export type OnFull = 'block' | 'drop-oldest';

export interface AuditSinkOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`) or full traces URL. Without it the spool is the store. */
  readonly otlpEndpoint?: string;
  readonly otlpHeaders?: Readonly<Record<string, string>>;
  readonly spoolDir: string;
  readonly onFull?: OnFull;
  /** Upper bound of the spool's files; default 256 MiB. */
  readonly maxSpoolBytes?: number;
  readonly segmentBytes?: number;
  /** `batch` (default): fsync group commits; `never`: rely on the kernel (survives a process kill, not a power loss). */
  readonly fsync?: 'batch' | 'never';
  /**
   * With `batch`: fsync at most this often; default 100 ms, 0 fsyncs every
   * group commit. Bounds what a node crash or power loss can take; a killed
   * sidecar loses nothing written.
   */
  readonly fsyncMs?: number;
  readonly serviceName?: string;
  readonly serviceVersion?: string;
  /** Resource attributes; k8s.namespace.name and k8s.pod.name belong here. */
  readonly resource?: Readonly<Record<string, string>>;
  /** Shared ring size; default 4 MiB (tens of thousands of commands: the worker drains it at half full). */
  readonly ringBytes?: number;
  /** db.query.text longer than this is cut (and the original length recorded); default 32768. */
  readonly maxTextChars?: number;
  readonly flushMs?: number;
  readonly exportTimeoutMs?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** How long close() keeps trying to export the backlog; default 5 s. What is left stays spooled. */
  readonly closeTimeoutMs?: number;
}

export interface AuditStats {
  readonly spansSpooled: number;
  readonly spansExported: number;
  /** Lost to onFull: drop-oldest. */
  readonly spansDropped: number;
  /** Refused by the collector as malformed (HTTP 400); removed from the spool, logged. */
  readonly spansRejected: number;
  readonly spoolBytes: number;
  readonly exportFailures: number;
  readonly backlogSpans: number;
  /** CPU the audit worker thread has used so far (user + system, microseconds). */
  readonly workerCpuUs: number;
  /** Events held on the event loop because the ring was full. */
  readonly overflow: number;
  readonly spoolFull: boolean;
  /** The audit worker has stopped (it could not open the spool, or crashed); see the process warnings. */
  readonly failed: boolean;
}

export interface DurableAuditSink extends AuditSink {
  /** False while new commands should wait (spool full under block, or the worker lagging). */
  writable(): boolean;
  /**
   * Resolves when writable() is true again. Rejects (AG_ERR_AUDIT_UNAVAILABLE)
   * if the audit worker has failed: the session should then refuse the command
   * and close, since it can no longer be audited.
   */
  whenWritable(): Promise<void>;
  /** Resolves once the worker has opened the spool (and re-queued any backlog); events sent before are kept. */
  ready(): Promise<void>;
  /** Resolves once everything recorded so far is in the spool (not yet necessarily exported). */
  flush(): Promise<void>;
  stats(): AuditStats;
  /** Flushes, exports the backlog for up to closeTimeoutMs, stops the worker. */
  close(): Promise<void>;
}

type Pending =
  | { kind: typeof Kind.Command; e: CommandEvent }
  | { kind: typeof Kind.SessionStart; e: SessionStart }
  | { kind: typeof Kind.SessionAuth; e: SessionAuth }
  | { kind: typeof Kind.SessionEnd; e: SessionEnd };

const POLL_MS = 2;

class RingSink implements DurableAuditSink {
  private readonly w: RingWriter;
  private readonly ctrl: Int32Array;
  private readonly statsView: Float64Array;
  private readonly maxText: number;
  private readonly lowWater: number;
  /** Below this much free ring the sleeping worker is woken rather than left to its next turn. */
  private readonly wakeAt: number;
  private readonly closeTimeoutMs: number;
  private readonly worker: ReturnType<typeof startWorker>;
  private pending: Pending[] = [];
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  private flushId = 0;
  private readonly flushes = new Map<number, () => void>();
  private closed: Promise<void> | undefined = undefined;
  private onClosed: (() => void) | undefined = undefined;
  private failure: string | undefined = undefined;
  private readonly readyPromise: Promise<void>;
  private onReady: (() => void) | undefined = undefined;
  private isReady = false;
  /** Callers waiting on the worker (ready, flush): while any, it keeps the process alive. */
  private holds = 0;

  constructor(opts: AuditSinkOptions) {
    const ringBytes = opts.ringBytes ?? 4 << 20;
    const maxSpoolBytes = opts.maxSpoolBytes ?? 256 << 20;
    this.maxText = opts.maxTextChars ?? 32768;
    if (ringBytes < 1 << 16 || this.maxText * 3 > ringBytes / 4) {
      throw agError('AG_ERR_CONFIG_INVALID', 'audit ring must be at least 64 KiB and 12 x maxTextChars');
    }
    if (maxSpoolBytes < 1 << 20) throw agError('AG_ERR_CONFIG_INVALID', 'audit spool must be at least 1 MiB');
    this.readyPromise = new Promise((resolve) => {
      this.onReady = resolve;
    });
    const bufs = createRingBuffers(ringBytes);
    this.w = new RingWriter(bufs);
    this.ctrl = new Int32Array(bufs.ctrl);
    this.statsView = new Float64Array(bufs.stats);
    this.lowWater = Math.floor(ringBytes / 8);
    this.wakeAt = Math.floor(ringBytes / 2);
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    const resource: Attrs = {
      'service.name': opts.serviceName ?? 'agentgate-sidecar',
      'service.version': opts.serviceVersion ?? '0.1.0',
      ...opts.resource,
    };
    const cfg: PipelineConfig = {
      buffers: bufs,
      spoolDir: opts.spoolDir,
      maxSpoolBytes,
      ...(opts.segmentBytes === undefined ? {} : { segmentBytes: opts.segmentBytes }),
      onFull: opts.onFull ?? 'block',
      fsync: opts.fsync ?? 'batch',
      fsyncMs: opts.fsyncMs ?? 100,
      ...(opts.otlpEndpoint === undefined ? {} : { otlpEndpoint: opts.otlpEndpoint }),
      ...(opts.otlpHeaders === undefined ? {} : { otlpHeaders: opts.otlpHeaders }),
      resource,
      version: opts.serviceVersion ?? '0.1.0',
      flushMs: opts.flushMs ?? 50,
      // Each request costs the worker and the collector a few hundred µs whatever
      // its size: at pgbench rates, 4 MiB every 500 ms took 15 % off the worker's
      // CPU per span against 1 MiB every 200 ms. A collector whose limit is
      // lower answers 413 and the pipeline halves its requests until they fit.
      exportDelayMs: 500,
      maxBatchSpans: 512,
      maxExportBytes: 4 << 20,
      exportTimeoutMs: opts.exportTimeoutMs ?? 10_000,
      retryMinMs: opts.retryMinMs ?? 200,
      retryMaxMs: opts.retryMaxMs ?? 10_000,
    };
    this.worker = startWorker(import.meta.url, 'worker', {
      workerData: cfg,
      name: 'agentgate-audit',
      // The worker's garbage is short-lived (a batch of spans at a time): a 2 MB
      // young generation instead of the process-wide 4 MB semi-spaces keeps
      // about 5 MB less resident under pgbench, at no CPU cost measured
      // (docs/sidecar.md, "Memory").
      resourceLimits: { maxYoungGenerationSizeMb: 2 },
    });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err.message));
    this.worker.on('exit', (code) => {
      if (this.onClosed !== undefined) this.onClosed();
      else this.fail(`audit worker exited with code ${code}`);
    });
    // A sidecar that forgets close() must still be able to exit; the spool keeps what was written.
    this.worker.unref();
  }

  sessionStart(e: SessionStart): void {
    if (this.pending.length > 0 || !writeJson(this.w, Kind.SessionStart, e))
      this.hold({ kind: Kind.SessionStart, e });
  }

  sessionAuth(e: SessionAuth): void {
    if (this.pending.length > 0 || !writeJson(this.w, Kind.SessionAuth, e))
      this.hold({ kind: Kind.SessionAuth, e });
  }

  command(e: CommandEvent): void {
    if (this.pending.length > 0 || !writeCommand(this.w, e, this.maxText))
      this.hold({ kind: Kind.Command, e });
  }

  sessionEnd(e: SessionEnd): void {
    if (this.pending.length > 0 || !writeJson(this.w, Kind.SessionEnd, e))
      this.hold({ kind: Kind.SessionEnd, e });
  }

  writable(): boolean {
    if (this.failure !== undefined || this.pending.length > 0) return false;
    if (Atomics.load(this.ctrl, CTRL.SPOOL_FULL) !== 0) return false;
    const free = this.w.free();
    if (free < this.wakeAt) this.wakeWorker();
    return free > this.lowWater;
  }

  /** One notify per worker turn at most: the worker clears WAKE when it wakes. */
  private wakeWorker(): void {
    if (Atomics.load(this.ctrl, CTRL.WAKE) !== 0) return;
    Atomics.store(this.ctrl, CTRL.WAKE, 1);
    Atomics.notify(this.ctrl, CTRL.WAKE);
  }

  whenWritable(): Promise<void> {
    if (this.writable()) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failedError());
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.startTimer();
    });
  }

  private failedError(): Error {
    return agError('AG_ERR_AUDIT_UNAVAILABLE', this.failure ?? 'stopped');
  }

  ready(): Promise<void> {
    if (this.isReady) return this.readyPromise;
    // While someone waits on the worker, it must keep the process alive.
    this.holdWorker(1);
    return this.readyPromise.finally(() => this.holdWorker(-1));
  }

  private holdWorker(delta: number): void {
    this.holds += delta;
    if (this.holds > 0 || this.closed !== undefined) this.worker.ref();
    else this.worker.unref();
  }

  flush(): Promise<void> {
    return this.drained().then(
      () =>
        new Promise<void>((resolve) => {
          if (this.failure !== undefined) return resolve();
          const id = ++this.flushId;
          // An unref'd worker would let the process exit with this promise pending.
          this.holdWorker(1);
          this.flushes.set(id, () => {
            this.holdWorker(-1);
            resolve();
          });
          this.worker.postMessage({ type: 'flush', id } satisfies ToWorker);
        }),
    );
  }

  stats(): AuditStats {
    const s = this.statsView;
    return {
      spansSpooled: s[STAT.SPANS_SPOOLED]!,
      spansExported: s[STAT.SPANS_EXPORTED]!,
      spansDropped: s[STAT.SPANS_DROPPED]!,
      spansRejected: s[STAT.SPANS_REJECTED]!,
      spoolBytes: s[STAT.SPOOL_BYTES]!,
      exportFailures: s[STAT.EXPORT_FAILURES]!,
      backlogSpans: s[STAT.EXPORT_BACKLOG_SPANS]!,
      workerCpuUs: s[STAT.WORKER_CPU_US]!,
      overflow: this.pending.length,
      spoolFull: Atomics.load(this.ctrl, CTRL.SPOOL_FULL) === 1,
      failed: this.failure !== undefined,
    };
  }

  close(): Promise<void> {
    if (this.closed === undefined) {
      this.closed = this.drained().then(
        () =>
          new Promise<void>((resolve) => {
            this.onClosed = resolve;
            if (this.failure !== undefined) return resolve();
            this.worker.ref();
            this.worker.postMessage({ type: 'close', timeoutMs: this.closeTimeoutMs } satisfies ToWorker);
          }),
      );
    }
    return this.closed;
  }

  /** Resolves once the overflow has gone into the ring. */
  private drained(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        this.pump();
        if (this.pending.length === 0 || this.failure !== undefined) resolve();
        else setTimeout(check, POLL_MS);
      };
      check();
    });
  }

  private hold(p: Pending): void {
    // With the worker gone nothing will read the ring again: keeping events would
    // only grow memory. The failure is loud instead (warning, `failed` in stats,
    // whenWritable() rejects so sessions refuse commands).
    if (this.failure !== undefined) return;
    this.pending.push(p);
    this.wakeWorker();
    this.startTimer();
  }

  private pump(): void {
    let i = 0;
    for (; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      const ok =
        p.kind === Kind.Command ? writeCommand(this.w, p.e, this.maxText) : writeJson(this.w, p.kind, p.e);
      if (!ok) break;
    }
    if (i > 0) this.pending = this.pending.slice(i);
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.pump();
      if (this.writable() || this.failure !== undefined) {
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) {
          if (this.failure === undefined) w.resolve();
          else w.reject(this.failedError());
        }
      }
      if (this.pending.length === 0 && this.waiters.length === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, POLL_MS);
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') {
      this.isReady = true;
      this.onReady?.();
    } else if (m.type === 'flushed') {
      this.flushes.get(m.id)?.();
      this.flushes.delete(m.id);
    } else if (m.type === 'closed') {
      // 'exit' follows and resolves close()
    } else if (m.type === 'error') {
      this.fail(m.message);
    }
  }

  private fail(message: string): void {
    if (this.failure !== undefined) return;
    this.failure = message;
    this.pending = [];
    process.emitWarning(`agentgate audit: ${message}`);
    this.onReady?.();
    for (const f of this.flushes.values()) f();
    this.flushes.clear();
  }
}

/** Starts the audit worker; the returned sink is ready for events at once (they queue in the ring). */
export function createAuditSink(opts: AuditSinkOptions): DurableAuditSink {
  return new RingSink(opts);
}
