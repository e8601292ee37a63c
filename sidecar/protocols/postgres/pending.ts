// What the gateway waits for from the upstream, in order. Each frontend message
// that the server answers gets an entry; the upstream answers them in order,
// so the head entry tells what every server message belongs to.

import type { CommandEvent } from '../../audit/events.js';
import type { ResultMasker, RowMasker } from '../gateway-context.js';
import type { Column, RowDescription } from './messages.js';
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

/**
 * One command the agent ran (a simple Query, an Execute, a function call), and
 * once finished its own audit record: the sink copies what it needs before
 * command() returns, so no second object is made per command. Stable shape:
 * every field set here.
 */
export class Run implements CommandEvent {
  /** Epoch milliseconds, for audit. */
  readonly startedAt = Date.now();
  /** performance.now() at send, for latency. */
  readonly t0 = performance.now();
  durationUs = 0;
  decision: 'allow' | 'deny' | 'review' | 'error' = 'allow';
  policy = '';
  rule = '';
  /** Set when the command was refused: the ErrorResponse that replaces the upstream's. */
  replaceError: Buffer | null = null;
  errorCode: string | undefined = undefined;
  error: string | undefined = undefined;
  masker: ResultMasker | null = null;
  rowMasker: RowMasker | null = null;
  /** The result's RowDescription (simple Query), and its columns once masking needed them. */
  description: RowDescription | null = null;
  columns: readonly Column[] | null = null;
  rows = 0;
  bytes = 0;
  masked: Record<string, number> | undefined = undefined;

  constructor(
    readonly sessionId: string,
    readonly seq: number,
    /** The text audit may see (literals masked). */
    readonly text: string,
    readonly operations: readonly string[],
    readonly tables: readonly string[],
  ) {}
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

/**
 * A FIFO with O(1) push and shift: a circular array that only grows, so the
 * steady state of a session (a few entries per round trip) allocates nothing.
 */
export class PendingQueue {
  private items: (Pending | undefined)[] = new Array(16);
  private head = 0;
  private size = 0;

  push(p: Pending): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = p;
    this.size++;
  }

  peek(): Pending | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  shift(): Pending | undefined {
    if (this.size === 0) return undefined;
    const p = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return p;
  }

  get length(): number {
    return this.size;
  }

  private grow(): void {
    const old = this.items;
    const items: (Pending | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.size; i++) items[i] = old[(this.head + i) & (old.length - 1)];
    this.items = items;
    this.head = 0;
  }
}
