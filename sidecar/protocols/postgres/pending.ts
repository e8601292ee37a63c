// What the gateway waits for from the upstream, in order. Each frontend message
// that the server answers gets an entry; the upstream answers them in order,
// so the head entry tells what every server message belongs to.

import type { CommandEvent } from '../../audit/events.js';
import type { ResultMasker, RowMasker } from '../gateway-context.js';
import type { Column } from './messages.js';
import type { Portal, Statement } from './prepared.js';

export const enum Kind {
  Query,
  FunctionCall,
  Parse,
  Bind,
  DescribeStatement,
  DescribePortal,
  /** A Describe(P) we added to learn a portal's columns for masking; its answer is swallowed. */
  InjectedDescribe,
  Execute,
  Close,
  Sync,
}

/** One command the agent ran (a simple Query, an Execute, a function call). Stable shape: every field set here. */
export class Run {
  /** Epoch milliseconds, for audit. */
  startedAt = Date.now();
  /** performance.now() at send, for latency. */
  t0 = performance.now();
  decision: 'allow' | 'deny' | 'review' | 'error' = 'allow';
  policy = '';
  rule = '';
  /** Set when the command was refused: the ErrorResponse that replaces the upstream's. */
  replaceError: Buffer | null = null;
  errorCode: string | undefined = undefined;
  error: string | undefined = undefined;
  masker: ResultMasker | null = null;
  rowMasker: RowMasker | null = null;
  columns: readonly Column[] | null = null;
  rows = 0;
  bytes = 0;
  masked: Record<string, number> | null = null;

  constructor(
    readonly seq: number,
    readonly auditText: string,
    readonly operations: readonly string[],
    readonly tables: readonly string[],
  ) {}

  /** The audit record of this command, once it finished. */
  event(sessionId: string, seconds: number): CommandEvent {
    const e: { -readonly [K in keyof CommandEvent]: CommandEvent[K] } = {
      sessionId,
      seq: this.seq,
      startedAt: this.startedAt,
      durationUs: Math.round(seconds * 1e6),
      text: this.auditText,
      operations: this.operations,
      tables: this.tables,
      decision: this.decision,
      policy: this.policy,
      rule: this.rule,
      rows: this.rows,
      bytes: this.bytes,
    };
    if (this.masked !== null) e.masked = this.masked;
    if (this.errorCode !== undefined) e.errorCode = this.errorCode;
    if (this.error !== undefined) e.error = this.error;
    return e;
  }
}

export class Pending {
  constructor(
    readonly kind: Kind,
    readonly run: Run | null,
    readonly statement: Statement | null,
    readonly portal: Portal | null,
    /** Close: what was closed ('S' or 'P') and by name, with the object as it was. */
    readonly closeKind: 'S' | 'P' = 'S',
    readonly closeName = '',
    readonly closed: Statement | Portal | undefined = undefined,
  ) {}
}

/** A FIFO with O(1) push and shift (array + head index, compacted now and then). */
export class PendingQueue {
  private items: Pending[] = [];
  private head = 0;

  push(p: Pending): void {
    this.items.push(p);
  }

  peek(): Pending | undefined {
    return this.items[this.head];
  }

  shift(): Pending | undefined {
    const p = this.items[this.head];
    if (p === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as Pending;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}
