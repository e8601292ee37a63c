// The per-command half of a PostgreSQL session, once the agent is
// authenticated and the upstream is ready: every frontend message is tracked
// (classified at Parse or Query, decided at Execute or Query, forwarded or
// replaced), and every server message is matched to what it answers, so
// refusals, masking and audit land on the right command and the protocol stays
// in step, pipelines included.

import type { Target } from '../../../api/types.js';
import { type AgentgateError, agError, isAgentgateError } from '../../../common/errors.js';
import type { Identity } from '../../identity/identity.js';
import { type Classification, classification, unknownStatement } from '../../policy/command.js';
import type { Decision } from '../../policy/decision.js';
import type { ClassifyOptions, GatewayContext, ResultMasker } from '../gateway-context.js';
import { refusal } from '../refusal.js';
import { ownRowDescription } from './backend-parser.js';
import { keepsTableNames, type PgCatalog } from './catalog.js';
import { BackendCode, ErrorField, FrontendCode, TxStatus } from './codes.js';
import { maskDataRow, resultColumns } from './data-row.js';
import type { PgLimits } from './limits.js';
import type { BackendMessage, ErrorOrNotice, Frame, FrontendMessage } from './messages.js';
import type { Outbox } from './outbox.js';
import { Kind, Pending, PendingQueue, Run } from './pending.js';
import { PreparedState } from './prepared.js';
import * as ser from './serializer.js';
import { maskErrorOrNotice, maskNotification, maskParameterStatus } from './server-text.js';

/**
 * What replaces a refused simple query (or function call) upstream: a statement
 * that always fails, so the upstream's transaction state moves exactly as it
 * would for a PostgreSQL error (aborted inside a block) and its ErrorResponse
 * and ReadyForQuery arrive in order; we swap the error for ours.
 */
const REFUSED_QUERY = ser.query(
  "DO $agentgate$BEGIN RAISE EXCEPTION 'agentgate: command refused by policy' USING ERRCODE = '42501'; END$agentgate$",
);
/** What replaces a refused Execute: a portal that cannot exist, so the upstream errors and skips to Sync like PostgreSQL. */
const REFUSED_EXECUTE = ser.execute('agentgate/refused', 0);

/** A Sync's place in the queue carries no state: one object serves every Sync. */
const SYNC = new Pending(Kind.Sync, null, null, null);

const UNSEEN_PORTAL = classification([unknownStatement('a portal agentgate did not see bound')]);
const FUNCTION_CALL = classification([unknownStatement('a FunctionCall message')]);

/** What the proxy asks of the session around it. */
export interface ProxyHost {
  readonly draining: boolean;
  /** The agent sent Terminate. */
  terminate(): void;
  /** Nothing is in flight any more and the session is draining. */
  drained(): void;
}

export interface ProxyDeps {
  readonly ctx: GatewayContext;
  readonly target: Target;
  readonly sessionId: string;
  readonly identity: Identity;
  /** Epoch milliseconds after which no new command runs (token expiry plus grace). */
  readonly expiresAtMs: number;
  readonly toAgent: Outbox;
  readonly toUpstream: Outbox;
  readonly limits: PgLimits;
  readonly host: ProxyHost;
  /** The status of the upstream's first ReadyForQuery. */
  readonly txStatus: number;
  readonly standardConformingStrings: boolean;
  /** Table and column names, read at session start when masking works by name (catalog.ts). */
  readonly catalog?: PgCatalog | null;
}

export class CommandProxy {
  private readonly ctx: GatewayContext;
  private readonly target: Target;
  private readonly sessionId: string;
  private readonly identity: Identity;
  private readonly expiresAtMs: number;
  private readonly toAgent: Outbox;
  private readonly toUpstream: Outbox;
  private readonly host: ProxyHost;
  private readonly queue = new PendingQueue();
  private readonly prepared: PreparedState;
  /** After masking failed mid-result: drop server messages until ReadyForQuery. */
  private withholding = false;
  txStatus: number;
  /** standard_conforming_strings as the server reports it: it changes how a backslash in '...' reads. */
  private classifyOptions: ClassifyOptions;
  /** Commands run so far. */
  seq = 0;
  /** See ProxyDeps.catalog; dropped (every column unnamed) once a command may have changed tables. */
  private catalog: PgCatalog | null;
  /** The latest command's masker: what masks server messages that answer no command (notices, notifications). */
  private lastMasker: ResultMasker | null = null;
  /** Finished commands not yet counted and recorded (settle()). */
  private readonly finished: Run[] = [];

  constructor(d: ProxyDeps) {
    this.ctx = d.ctx;
    this.target = d.target;
    this.sessionId = d.sessionId;
    this.identity = d.identity;
    this.expiresAtMs = d.expiresAtMs;
    this.toAgent = d.toAgent;
    this.toUpstream = d.toUpstream;
    this.host = d.host;
    this.txStatus = d.txStatus;
    this.classifyOptions = { standardConformingStrings: d.standardConformingStrings };
    this.prepared = new PreparedState(d.limits.maxStatements, d.limits.maxPortals);
    this.catalog = d.catalog ?? null;
  }

  /** Answers still owed by the upstream. */
  get pending(): number {
    return this.queue.length;
  }

  /** The session ended: every command still in flight is recorded as unfinished. */
  abandon(): void {
    for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) {
      if (p.run !== null) {
        p.run.decision = p.run.decision === 'allow' ? 'error' : p.run.decision;
        p.run.error ??= 'session ended before the command finished';
        this.finish(p);
      }
    }
    this.settle();
  }

  /** One message from the agent, after startup. */
  frontend(msg: FrontendMessage, frame: Frame): void {
    switch (msg.name) {
      case 'query': {
        const run = this.command(msg.text, msg.text, null);
        if (run.replaceError !== null) this.toUpstream.send(REFUSED_QUERY);
        else this.toUpstream.forward(frame);
        this.queue.push(new Pending(Kind.Query, run, null, null));
        return;
      }
      case 'parse': {
        const cls = this.classify(msg.text);
        const s = this.prepared.parse(msg.statement, msg.text, cls, this.ctx.auditText('postgres', msg.text));
        this.toUpstream.forward(frame);
        this.queue.push(new Pending(Kind.Parse, null, s, null));
        return;
      }
      case 'bind': {
        const p = this.prepared.bind(msg.portal, msg.statement, msg.resultFormats);
        this.toUpstream.forward(frame);
        this.queue.push(new Pending(Kind.Bind, null, null, p));
        return;
      }
      case 'describe': {
        if (msg.kind === 'P') {
          const p = this.prepared.portal(msg.target) ?? null;
          if (p !== null) p.described = true;
          this.queue.push(new Pending(Kind.DescribePortal, null, null, p));
        } else {
          this.queue.push(
            new Pending(Kind.DescribeStatement, null, this.prepared.statements.get(msg.target) ?? null, null),
          );
        }
        this.toUpstream.forward(frame);
        return;
      }
      case 'execute': {
        const portal = this.prepared.portal(msg.portal) ?? null;
        const text = portal?.text() ?? `-- portal "${msg.portal}"`;
        // A portal we never saw bound (a SQL DECLARE'd cursor) is UNKNOWN, never unclassified.
        const run = this.command(
          text,
          portal?.statement?.auditText ?? text,
          portal?.classification() ?? UNSEEN_PORTAL,
        );
        if (run.replaceError !== null) {
          this.toUpstream.send(REFUSED_EXECUTE);
        } else {
          if (run.masker !== null && portal !== null && !portal.described && portal.description === null) {
            // We must know the columns to mask; the agent did not ask, so we do.
            this.toUpstream.send(ser.describe('P', msg.portal));
            this.queue.push(new Pending(Kind.InjectedDescribe, null, null, portal));
          }
          this.toUpstream.forward(frame);
        }
        this.queue.push(new Pending(Kind.Execute, run, null, portal));
        return;
      }
      case 'close': {
        const closed =
          msg.kind === 'S' ? this.prepared.statements.get(msg.target) : this.prepared.portal(msg.target);
        this.toUpstream.forward(frame);
        this.queue.push(new Pending(Kind.Close, null, null, null, msg.kind, msg.target, closed));
        return;
      }
      case 'opaque':
        switch (msg.code) {
          case FrontendCode.Sync:
            this.toUpstream.forward(frame);
            this.queue.push(SYNC);
            return;
          case FrontendCode.FunctionCall: {
            const run = this.command('-- function call', '-- function call', FUNCTION_CALL);
            if (run.replaceError !== null) this.toUpstream.send(REFUSED_QUERY);
            else this.toUpstream.forward(frame);
            this.queue.push(new Pending(Kind.FunctionCall, run, null, null));
            return;
          }
          case FrontendCode.Terminate:
            this.host.terminate();
            return;
          default:
            // Flush, CopyData, CopyDone, CopyFail: the upstream's answer belongs to the command in flight.
            this.toUpstream.forward(frame);
            return;
        }
    }
    throw agError('AG_ERR_PROTOCOL_MALFORMED', `unexpected ${msg.name} message`);
  }

  private classify(text: string): Classification {
    return this.ctx.classify('postgres', text, this.classifyOptions);
  }

  /** Classifies (when not given), decides and prepares the audit record of one command. */
  private command(text: string, auditText: string, given: Classification | null): Run {
    let cls: Classification | null = given;
    let failure: AgentgateError | null = null;
    if (Date.now() > this.expiresAtMs) throw agError('AG_ERR_AUTH_TOKEN_EXPIRED');
    try {
      cls ??= this.classify(text);
    } catch (e) {
      failure = toAgError(e, 'AG_ERR_POLICY_UNAVAILABLE');
    }
    if (this.catalog !== null && cls !== null && !keepsTableNames(cls.operations)) this.catalog = null;
    const run = new Run(
      this.sessionId,
      ++this.seq,
      given === null ? this.ctx.auditText('postgres', text) : auditText,
      cls?.operations ?? [],
      cls?.tables ?? [],
    );
    if (failure === null && cls !== null) {
      let decision: Decision;
      try {
        decision = this.ctx.decide({
          target: this.target.name,
          protocol: 'postgres',
          identity: this.identity!,
          classification: cls,
          text,
        });
      } catch (e) {
        failure = agError('AG_ERR_POLICY_UNAVAILABLE', (e as Error).message);
        decision = { action: 'deny', policy: '', rule: '', reason: '', masking: [] };
      }
      run.policy = decision.policy;
      run.rule = decision.rule;
      if (failure === null) {
        failure = refusal(decision, cls);
        if (failure === null) {
          if (decision.masking.length > 0) run.masker = this.ctx.masker(this.target, decision.masking);
          this.lastMasker = run.masker;
          return run;
        }
        run.decision = decision.action;
      }
    }
    if (run.decision === 'allow') run.decision = failure!.code.startsWith('AG_ERR_POLICY') ? 'deny' : 'error';
    run.errorCode = failure!.code;
    run.error = failure!.message;
    run.replaceError = ser.agentgateErrorResponse(failure!);
    return run;
  }

  /** One message from the upstream, after startup. */
  backend(msg: BackendMessage, frame: Frame): void {
    const code = msg.code;
    const head = this.queue.peek();
    switch (code) {
      case BackendCode.DataRow: {
        const run = head?.run;
        if (run === null || run === undefined) {
          this.toAgent.forward(frame);
          return;
        }
        run.rows++;
        run.bytes += frame.end - frame.start;
        if (this.withholding) return;
        if (run.masker !== null) {
          this.maskRow(run, head!, frame);
          return;
        }
        this.toAgent.forward(frame);
        return;
      }
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        if (!this.withholding) this.toAgent.forward(frame);
        if (head?.kind === Kind.Execute) this.finish(this.queue.shift()!);
        else if (head?.run) this.collectMasked(head.run); // the next statement of a simple query describes itself
        return;
      case BackendCode.ReadyForQuery:
        this.readyForQuery((msg as { status: number }).status, frame);
        return;
      case BackendCode.RowDescription:
        this.rowDescription(msg as Extract<BackendMessage, { name: 'rowDescription' }>, head, frame);
        return;
      case BackendCode.NoData:
        if (head?.kind === Kind.InjectedDescribe) {
          this.queue.shift();
          return;
        }
        if (head?.kind === Kind.DescribePortal || head?.kind === Kind.DescribeStatement) this.queue.shift();
        if (!this.withholding) this.toAgent.forward(frame);
        return;
      case BackendCode.ParseComplete:
        if (head?.kind === Kind.Parse) this.prepared.parseDone(this.queue.shift()!.statement!, true);
        if (!this.withholding) this.toAgent.forward(frame);
        return;
      case BackendCode.BindComplete:
        if (head?.kind === Kind.Bind) this.prepared.bindDone(this.queue.shift()!.portal!, true);
        if (!this.withholding) this.toAgent.forward(frame);
        return;
      case BackendCode.CloseComplete:
        if (head?.kind === Kind.Close) {
          const c = this.queue.shift()!;
          this.prepared.closeDone(c.closeKind, c.closeName, c.closed);
        }
        if (!this.withholding) this.toAgent.forward(frame);
        return;
      case BackendCode.ErrorResponse:
        this.errorResponse(msg as ErrorOrNotice, head, frame);
        return;
      case BackendCode.CopyOutResponse:
      case BackendCode.CopyBothResponse:
        if (head?.run && head.run.masker !== null && !this.withholding) {
          // COPY rows carry no column names we could mask by: withhold them.
          this.withhold(head.run, agError('AG_ERR_MASKING_FAILED', 'COPY TO cannot be masked; use SELECT'));
          return;
        }
        if (!this.withholding) this.toAgent.forward(frame);
        return;
      case BackendCode.CopyData:
      case BackendCode.CopyDone:
        if (!this.withholding) this.toAgent.forward(frame);
        return;
      default:
        this.other(msg, head, frame);
    }
  }

  /**
   * ParameterStatus, NoticeResponse, NotificationResponse, FunctionCallResponse,
   * ParameterDescription, CopyInResponse: passed on, with the server's words
   * masked where the command's results are (server-text.ts).
   */
  private other(msg: BackendMessage, head: Pending | undefined, frame: Frame): void {
    const code = msg.code;
    const masker = head?.run?.masker ?? this.lastMasker;
    if (msg.name === 'parameterStatus') {
      if (msg.parameter === 'standard_conforming_strings') {
        this.classifyOptions = { standardConformingStrings: msg.value === 'on' };
      }
      // Sent even while withholding: the client must know its settings.
      this.sendMasked(frame, masker === null ? null : maskParameterStatus(msg.parameter, msg.value, masker));
    } else if (code === BackendCode.NotificationResponse) {
      this.sendMasked(frame, masker === null ? null : maskNotification(frame, masker));
    } else if (this.withholding) {
      return;
    } else if (code === BackendCode.NoticeResponse) {
      this.serverMessage(msg as ErrorOrNotice, head, frame);
    } else if (code === BackendCode.FunctionCallResponse && head?.run && head.run.masker !== null) {
      // A fast-path call's result has no column to go by and any format: withhold it.
      this.withhold(head.run, agError('AG_ERR_MASKING_FAILED', 'a FunctionCall result cannot be masked'));
    } else {
      this.toAgent.forward(frame);
    }
  }

  /** The frame as it came (null), a masked copy, or nothing ('withhold'). */
  private sendMasked(frame: Frame, masked: Buffer | null | 'withhold'): void {
    if (masked === null) this.toAgent.forward(frame);
    else if (masked !== 'withhold') this.toAgent.send(masked);
  }

  private rowDescription(
    msg: Extract<BackendMessage, { name: 'rowDescription' }>,
    head: Pending | undefined,
    frame: Frame,
  ): void {
    switch (head?.kind) {
      case Kind.InjectedDescribe:
        head.portal!.description = ownRowDescription(msg);
        this.queue.shift();
        return;
      case Kind.DescribePortal:
        if (head.portal !== null) head.portal.description = ownRowDescription(msg);
        this.queue.shift();
        break;
      case Kind.DescribeStatement:
        if (head.statement !== null) head.statement.description = ownRowDescription(msg);
        this.queue.shift();
        break;
      case Kind.Query:
      case Kind.Execute: {
        const run = head.run!;
        this.collectMasked(run);
        run.description = msg;
        break;
      }
    }
    if (!this.withholding) this.toAgent.forward(frame);
  }

  private maskRow(run: Run, head: Pending, frame: Frame): void {
    try {
      if (run.rowMasker === null) {
        const cols = run.columns ?? run.description?.columns ?? head.portal?.resultColumns() ?? null;
        if (cols === null) throw agError('AG_ERR_MASKING_FAILED', 'the result columns are unknown');
        run.columns = cols;
        run.rowMasker = run.masker!.forColumns(resultColumns(cols, this.catalog));
      }
      if (!run.rowMasker.active) {
        this.toAgent.forward(frame);
        return;
      }
      const masked = maskDataRow(frame.buf, frame.start, frame.end, run.rowMasker, run.columns!);
      if (masked === null) this.toAgent.forward(frame);
      else this.toAgent.send(masked);
    } catch (e) {
      this.withhold(run, toAgError(e, 'AG_ERR_MASKING_FAILED'));
    }
  }

  /** Fails the command closed: the agent gets an error, and nothing more of this result. */
  private withhold(run: Run, err: AgentgateError): void {
    run.decision = 'error';
    run.errorCode = err.code;
    run.error = err.message;
    this.toAgent.send(ser.agentgateErrorResponse(err));
    this.withholding = true;
  }

  /** Sends an ErrorResponse or NoticeResponse on, its words masked (server-text.ts); returns its primary text as sent. */
  private serverMessage(msg: ErrorOrNotice, head: Pending | undefined, frame: Frame): string | undefined {
    const masker = head?.run?.masker ?? this.lastMasker;
    if (masker === null) {
      this.toAgent.forward(frame);
      return msg.fields.get(ErrorField.Message);
    }
    const m = maskErrorOrNotice(msg, masker);
    if (m.replacement === null) this.toAgent.forward(frame);
    else this.toAgent.send(m.replacement);
    return m.message;
  }

  private errorResponse(msg: ErrorOrNotice, head: Pending | undefined, frame: Frame): void {
    const severity = msg.fields.get(ErrorField.SeverityV) ?? msg.fields.get(ErrorField.Severity);
    if (head === undefined || severity === 'FATAL' || severity === 'PANIC') {
      // Not an answer to anything we sent (administrator shutdown, a killed backend).
      this.serverMessage(msg, head, frame);
      return;
    }
    const run = head.run;
    if (run !== null && run.replaceError !== null) {
      this.toAgent.send(run.replaceError);
      run.replaceError = null;
    } else {
      const text = this.withholding ? undefined : this.serverMessage(msg, head, frame);
      if (run !== null && run.errorCode === undefined) {
        run.decision = run.decision === 'allow' ? 'allow' : run.decision;
        run.errorCode = msg.fields.get(ErrorField.Code);
        // audit records the message as the agent got it: masked as the rows would be
        run.error = this.withholding ? masked(msg, run.masker ?? this.lastMasker) : text;
      }
    }
    if (head.kind === Kind.Query || head.kind === Kind.FunctionCall || head.kind === Kind.Sync) return;
    // Extended protocol: the server now skips everything until Sync; so do we.
    for (let p = this.queue.peek(); p !== undefined && p.kind !== Kind.Sync; p = this.queue.peek()) {
      this.queue.shift();
      if (p.kind === Kind.Parse) this.prepared.parseDone(p.statement!, false);
      else if (p.kind === Kind.Bind) this.prepared.bindDone(p.portal!, false);
      else if (p.run !== null) this.finish(p);
    }
  }

  private readyForQuery(status: number, frame: Frame): void {
    this.txStatus = status;
    this.withholding = false;
    for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) {
      if (p.kind === Kind.Sync) break;
      if (p.run !== null) this.finish(p);
      if (p.kind === Kind.Query || p.kind === Kind.FunctionCall) break;
    }
    if (status === TxStatus.Idle) this.prepared.transactionEnded();
    this.toAgent.forward(frame);
    if (this.host.draining && this.queue.length === 0) this.host.drained();
  }

  /** Adds a finished result set's masking counts to its command and drops its row masker. */
  private collectMasked(run: Run): void {
    const rm = run.rowMasker;
    if (rm === null) return;
    run.rowMasker = null;
    run.columns = null;
    run.description = null;
    if (!rm.active) return;
    const counts = rm.counts();
    let n = 0;
    for (const k in counts) {
      const c = counts[k]!;
      if (c === 0) continue;
      n += c;
      run.masked ??= {};
      run.masked[k] = (run.masked[k] ?? 0) + c;
    }
    if (n > 0) this.ctx.metrics.masked(n);
  }

  /** The command's result is complete: its duration ends here; metrics and audit wait for settle(). */
  private finish(p: Pending): void {
    const run = p.run!;
    this.collectMasked(run);
    run.durationUs = Math.round((performance.now() - run.t0) * 1000);
    this.finished.push(run);
  }

  /**
   * Counts and records the commands finished since the last call. The session
   * calls it once the bytes that finished them are on their way to the agent:
   * the agent waits for the answer, not for our bookkeeping (at 1 client that
   * bookkeeping was on every transaction's critical path).
   */
  settle(): void {
    const done = this.finished;
    if (done.length === 0) return;
    for (let i = 0; i < done.length; i++) {
      const run = done[i]!;
      this.ctx.metrics.command('postgres', run.decision, run.durationUs / 1e6);
      this.ctx.audit.command(run);
    }
    done.length = 0;
  }

  // ------------------------------------------------------------------ endings
}

function toAgError(
  e: unknown,
  fallback: 'AG_ERR_MASKING_FAILED' | 'AG_ERR_POLICY_UNAVAILABLE',
): AgentgateError {
  if (isAgentgateError(e)) return e;
  return agError(fallback, e instanceof Error ? e.message : String(e));
}

/** An error's primary text as audit may keep it: masked when the command's results are. */
function masked(msg: ErrorOrNotice, masker: ResultMasker | null): string | undefined {
  return masker === null ? msg.fields.get(ErrorField.Message) : maskErrorOrNotice(msg, masker).message;
}
