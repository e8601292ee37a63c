// One agent connection through the gateway: the per-connection state machine.
// Data path: agent bytes -> FrontendParser -> (startup: authenticate the agent,
// open the upstream with the sidecar's credentials) -> per command: classify,
// decide, forward or refuse -> upstream bytes -> BackendParser -> mask rows ->
// agent. Forwarded messages travel as slices of the bytes that arrived,
// coalesced into one write per chunk; only what we change is re-encoded.

import type { Socket } from 'node:net';
import type { Target } from '../../../api/types.js';
import { type AgentgateError, agError, isAgentgateError } from '../../../common/errors.js';
import type { Identity } from '../../identity/identity.js';
import { type Classification, classification, unknownStatement } from '../../policy/command.js';
import type { Decision } from '../../policy/decision.js';
import { type GatewayContext, OPEN_GATE } from '../gateway-context.js';
import { BackendParser } from './backend-parser.js';
import { CancelRegistry, type UpstreamConnector } from './cancel.js';
import { AuthCode, BackendCode, ErrorField, FrontendCode, TxStatus } from './codes.js';
import { maskDataRow, resultColumns } from './data-row.js';
import { FrontendParser } from './frontend-parser.js';
import { DEFAULT_PG_LIMITS, type PgLimits } from './limits.js';
import type { BackendMessage, ErrorOrNotice, Frame, FrontendMessage, StartupMessage } from './messages.js';
import { Kind, Pending, PendingQueue, Run } from './pending.js';
import { PreparedState } from './prepared.js';
import * as ser from './serializer.js';
import { connectUpstream, UpstreamAuth } from './upstream.js';

const enum Phase {
  Startup,
  Password,
  Authenticating,
  UpstreamAuth,
  UpstreamStartup,
  Ready,
  Closed,
}

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

const UNSEEN_PORTAL = classification([unknownStatement('a portal agentgate did not see bound')]);
const FUNCTION_CALL = classification([unknownStatement('a FunctionCall message')]);

export interface PgSessionOptions {
  readonly ctx: GatewayContext;
  readonly target: Target;
  readonly agent: Socket;
  readonly sessionId: string;
  readonly cancels: CancelRegistry;
  /** Where the agent thought it was connecting (original destination, or the listener). */
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly limits?: PgLimits;
  readonly connect?: UpstreamConnector;
  /** Seconds a session may run commands after its token expired. */
  readonly tokenGraceSeconds?: number;
  readonly onClose?: (s: PgSession) => void;
}

export class PgSession {
  private phase = Phase.Startup;
  private readonly ctx: GatewayContext;
  private readonly target: Target;
  private readonly agent: Socket;
  private upstream: Socket | null = null;
  private readonly fe: FrontendParser;
  private readonly be: BackendParser;
  private readonly connect: UpstreamConnector;
  private readonly queue = new PendingQueue();
  private readonly prepared: PreparedState;
  private identity: Identity | null = null;
  private expiresAtMs = Number.POSITIVE_INFINITY;
  private startup: StartupMessage | null = null;
  private upstreamAuth: UpstreamAuth | null = null;
  private cancelKey: { processId: number; secretKey: number } | null = null;
  private txStatus: number = TxStatus.Idle;
  /** After masking failed mid-result: drop server messages until ReadyForQuery. */
  private withholding = false;
  private draining = false;
  private seq = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private endError: string | undefined = undefined;
  // Coalesced forwarding: a pending slice [start, end) of buf, one per direction.
  private upBuf: Buffer | null = null;
  private upStart = 0;
  private upEnd = 0;
  private agBuf: Buffer | null = null;
  private agStart = 0;
  private agEnd = 0;
  private agentFull = false;
  private upstreamFull = false;
  private readonly auditGate: () => Promise<void> | null;
  private readonly onFrontend: (msg: FrontendMessage, frame: Frame) => void;
  private readonly onBackend: (msg: BackendMessage, frame: Frame) => void;

  constructor(readonly opts: PgSessionOptions) {
    this.ctx = opts.ctx;
    this.target = opts.target;
    this.agent = opts.agent;
    const limits = opts.limits ?? DEFAULT_PG_LIMITS;
    this.fe = new FrontendParser(limits);
    this.be = new BackendParser(limits);
    this.prepared = new PreparedState(limits.maxStatements, limits.maxPortals);
    this.connect = opts.connect ?? ((t) => connectUpstream(t, this.ctx.caCertificate(t)));
    this.auditGate = opts.ctx.auditGate === undefined ? OPEN_GATE : () => opts.ctx.auditGate!();
    this.onFrontend = (m, f) => this.frontend(m, f);
    this.onBackend = (m, f) => this.backend(m, f);
  }

  start(): void {
    const a = this.agent;
    a.setNoDelay(true);
    this.ctx.metrics.sessionOpened('postgres');
    this.ctx.audit.sessionStart({
      sessionId: this.opts.sessionId,
      startedAt: Date.now(),
      protocol: 'postgres',
      target: this.target.name,
      serverAddress: this.opts.serverAddress,
      serverPort: this.opts.serverPort,
      clientAddress: a.remoteAddress ?? '',
      clientPort: a.remotePort ?? 0,
      namespace: this.ctx.namespace,
      podName: this.ctx.podName,
    });
    a.on('data', (chunk: Buffer) => this.agentData(chunk));
    a.on('error', (e) => this.close(`agent: ${e.message}`));
    a.on('close', () => this.close(undefined));
  }

  /** Graceful shutdown: close now if idle, else after the commands in flight finish. */
  drain(): void {
    this.draining = true;
    if (this.phase !== Phase.Ready || this.queue.length === 0) this.close('sidecar shutting down');
  }

  /** Ends the session now with a FATAL the agent can read (drain time ran out). */
  abort(): void {
    this.fail(agError('AG_ERR_SIDECAR_SHUTDOWN'));
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** The upstream's transaction status as of its last ReadyForQuery: 'I', 'T' or 'E'. */
  get transactionStatus(): string {
    return String.fromCharCode(this.txStatus);
  }

  // ---------------------------------------------------------------- agent side

  private agentData(chunk: Buffer): void {
    if (this.phase === Phase.Ready) {
      const gate = this.auditGate();
      if (gate !== null) {
        // Audit is full: read nothing more from the agent until it has room, so
        // no command runs unrecorded. The chunk in hand waits with us.
        this.agent.pause();
        gate.then(
          () => {
            if (this.phase === Phase.Closed) return;
            this.agent.resume();
            this.agentData(chunk);
          },
          (e: unknown) => this.fail(e),
        );
        return;
      }
    }
    this.bytesIn += chunk.length;
    try {
      this.fe.parse(chunk, this.onFrontend);
      this.flushUp();
    } catch (e) {
      this.fail(e);
    }
  }

  private frontend(msg: FrontendMessage, frame: Frame): void {
    if (this.phase === Phase.Ready) {
      this.readyFrontend(msg, frame);
      return;
    }
    switch (msg.name) {
      case 'sslRequest':
      case 'gssEncRequest':
        if (this.phase !== Phase.Startup) break;
        // The pod-local hop needs no encryption; refusing makes every client fall back.
        this.agent.write(ser.NO_ENCRYPTION);
        return;
      case 'cancelRequest':
        if (this.phase !== Phase.Startup) break;
        this.phase = Phase.Closed;
        void this.opts.cancels
          .cancel(msg.processId, msg.secretKey, this.connect)
          .finally(() => this.agent.end());
        return;
      case 'startup':
        if (this.phase !== Phase.Startup) break;
        this.onStartup(msg);
        return;
      case 'password':
        if (this.phase !== Phase.Password) break;
        this.phase = Phase.Authenticating;
        this.agent.pause();
        void this.authenticate(msg.data.toString('utf8').replace(/\0$/, ''));
        return;
    }
    throw agError('AG_ERR_PROTOCOL_MALFORMED', `unexpected ${msg.name} message during startup`);
  }

  private onStartup(msg: StartupMessage): void {
    if (msg.params.has('replication'))
      throw agError('AG_ERR_PROTOCOL_UNSUPPORTED', 'replication connections');
    this.startup = msg;
    const pq = [...msg.params.keys()].filter((k) => k.startsWith('_pq_.'));
    if (msg.minor > 0 || pq.length > 0) this.agent.write(ser.negotiateProtocolVersion(0, pq));
    this.phase = Phase.Password;
    this.agent.write(ser.AUTH_CLEARTEXT);
  }

  private async authenticate(token: string): Promise<void> {
    const params = this.startup!.params;
    const user = params.get('user');
    const database = params.get('database');
    try {
      const identity = await this.ctx.authenticate({
        token,
        target: this.target,
        ...(user === undefined ? {} : { user }),
        ...(database === undefined ? {} : { database }),
      });
      this.identity = identity;
      if (identity.expiresAt !== undefined) {
        this.expiresAtMs = (identity.expiresAt + (this.opts.tokenGraceSeconds ?? 0)) * 1000;
      }
      this.ctx.audit.sessionAuth({
        sessionId: this.opts.sessionId,
        at: Date.now(),
        ok: true,
        identity,
        ...(database === undefined ? {} : { database }),
      });
    } catch (e) {
      const err = toAgError(e, 'AG_ERR_AUTH_TOKEN_INVALID');
      this.ctx.audit.sessionAuth({
        sessionId: this.opts.sessionId,
        at: Date.now(),
        ok: false,
        errorCode: err.code,
        error: err.message,
        ...(database === undefined ? {} : { database }),
      });
      this.fail(err);
      return;
    }
    if (this.phase === Phase.Closed) return;
    await this.openUpstream(database);
  }

  private async openUpstream(database: string | undefined): Promise<void> {
    const creds = this.ctx.credentials(this.target);
    if (creds === undefined) {
      this.fail(agError('AG_ERR_UPSTREAM_AUTH', this.target.name));
      return;
    }
    let up: Socket;
    try {
      up = await this.connect(this.target);
    } catch (e) {
      this.fail(toAgError(e, 'AG_ERR_UPSTREAM_UNAVAILABLE'));
      return;
    }
    if (this.phase === Phase.Closed) {
      up.destroy();
      return;
    }
    this.upstream = up;
    this.phase = Phase.UpstreamAuth;
    this.upstreamAuth = new UpstreamAuth(this.target.name, creds, (b) => up.write(b));
    up.on('data', (chunk: Buffer) => this.upstreamData(chunk));
    up.on('error', (e) => this.upstreamGone(e.message));
    up.on('close', () => this.upstreamGone('connection closed'));
    const params = new Map<string, string>();
    params.set('user', creds.username);
    params.set('database', database ?? creds.username);
    for (const [k, v] of this.startup!.params) {
      if (k !== 'user' && k !== 'database' && !k.startsWith('_pq_.')) params.set(k, v);
    }
    up.write(ser.startupMessage(params));
  }

  private readyFrontend(msg: FrontendMessage, frame: Frame): void {
    switch (msg.name) {
      case 'query': {
        const run = this.command(msg.text, msg.text, null);
        if (run.replaceError !== null) this.replaceUp(REFUSED_QUERY);
        else this.forwardUp(frame);
        this.queue.push(new Pending(Kind.Query, run, null, null));
        return;
      }
      case 'parse': {
        const cls = this.classify(msg.text);
        const s = this.prepared.parse(msg.statement, msg.text, cls, this.ctx.auditText('postgres', msg.text));
        this.forwardUp(frame);
        this.queue.push(new Pending(Kind.Parse, null, s, null));
        return;
      }
      case 'bind': {
        const p = this.prepared.bind(msg.portal, msg.statement, msg.resultFormats);
        this.forwardUp(frame);
        this.queue.push(new Pending(Kind.Bind, null, null, p));
        return;
      }
      case 'describe': {
        if (msg.kind === 'P') {
          const p = this.prepared.portals.get(msg.target) ?? null;
          if (p !== null) p.described = true;
          this.queue.push(new Pending(Kind.DescribePortal, null, null, p));
        } else {
          this.queue.push(
            new Pending(Kind.DescribeStatement, null, this.prepared.statements.get(msg.target) ?? null, null),
          );
        }
        this.forwardUp(frame);
        return;
      }
      case 'execute': {
        const portal = this.prepared.portals.get(msg.portal) ?? null;
        const text = portal?.text() ?? `-- portal "${msg.portal}"`;
        // A portal we never saw bound (a SQL DECLARE'd cursor) is UNKNOWN, never unclassified.
        const run = this.command(
          text,
          portal?.statement?.auditText ?? text,
          portal?.classification() ?? UNSEEN_PORTAL,
        );
        if (run.replaceError !== null) {
          this.replaceUp(REFUSED_EXECUTE);
        } else {
          if (run.masker !== null && portal !== null && !portal.described && portal.columns === null) {
            // We must know the columns to mask; the agent did not ask, so we do.
            this.replaceUp(ser.describe('P', msg.portal));
            this.queue.push(new Pending(Kind.InjectedDescribe, null, null, portal));
          }
          this.forwardUp(frame);
        }
        this.queue.push(new Pending(Kind.Execute, run, null, portal));
        return;
      }
      case 'close': {
        const closed =
          msg.kind === 'S' ? this.prepared.statements.get(msg.target) : this.prepared.portals.get(msg.target);
        this.forwardUp(frame);
        this.queue.push(new Pending(Kind.Close, null, null, null, msg.kind, msg.target, closed));
        return;
      }
      case 'opaque':
        switch (msg.code) {
          case FrontendCode.Sync:
            this.forwardUp(frame);
            this.queue.push(new Pending(Kind.Sync, null, null, null));
            return;
          case FrontendCode.FunctionCall: {
            const run = this.command('-- function call', '-- function call', FUNCTION_CALL);
            if (run.replaceError !== null) this.replaceUp(REFUSED_QUERY);
            else this.forwardUp(frame);
            this.queue.push(new Pending(Kind.FunctionCall, run, null, null));
            return;
          }
          case FrontendCode.Terminate:
            this.flushUp();
            this.close(undefined);
            return;
          default:
            // Flush, CopyData, CopyDone, CopyFail: the upstream's answer belongs to the command in flight.
            this.forwardUp(frame);
            return;
        }
    }
    throw agError('AG_ERR_PROTOCOL_MALFORMED', `unexpected ${msg.name} message`);
  }

  private classify(text: string): Classification {
    return this.ctx.classify('postgres', text);
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
    const run = new Run(
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
        if (decision.action === 'allow') {
          if (decision.masking.length > 0) run.masker = this.ctx.masker(this.target, decision.masking);
          return run;
        }
        run.decision = decision.action;
        failure =
          decision.action === 'review'
            ? agError('AG_ERR_POLICY_REVIEW_REQUIRED', decision.policy, decision.rule, decision.reason)
            : decision.policy === ''
              ? agError('AG_ERR_POLICY_DEFAULT_DENY', cls.operations.join(', ') || 'this command')
              : agError('AG_ERR_POLICY_DENIED', decision.policy, decision.rule, decision.reason);
      }
    }
    if (run.decision === 'allow') run.decision = failure!.code.startsWith('AG_ERR_POLICY') ? 'deny' : 'error';
    run.errorCode = failure!.code;
    run.error = failure!.message;
    run.replaceError = ser.agentgateErrorResponse(failure!);
    return run;
  }

  // ------------------------------------------------------------- upstream side

  private upstreamData(chunk: Buffer): void {
    try {
      this.be.parse(chunk, this.onBackend);
      this.flushAgent();
    } catch (e) {
      this.fail(e);
    }
  }

  private backend(msg: BackendMessage, frame: Frame): void {
    if (this.phase === Phase.Ready) {
      this.readyBackend(msg, frame);
      return;
    }
    if (this.phase === Phase.UpstreamAuth) {
      if (msg.name === 'authentication') {
        const done = this.upstreamAuth!.handle(msg);
        if (done === true) {
          this.upstreamAuth = null;
          this.phase = Phase.UpstreamStartup;
          this.replaceAgent(ser.AUTH_OK);
        } else if (done !== false) {
          done.catch((e: unknown) => this.fail(e));
        }
        return;
      }
      if (msg.name === 'error') {
        const state = msg.fields.get(ErrorField.Code) ?? '';
        // Refusals of our credentials would name our role: the agent learns only that we were refused.
        if (state.startsWith('28')) throw agError('AG_ERR_UPSTREAM_AUTH', this.target.name);
        this.forwardAgent(frame);
        this.flushAgent();
        this.close(`upstream refused the session: ${msg.fields.get(ErrorField.Message) ?? state}`);
        return;
      }
      if (msg.name === 'notice') {
        this.forwardAgent(frame);
        return;
      }
      throw agError('AG_ERR_PROTOCOL_MALFORMED', `upstream sent ${msg.name} before authenticating`);
    }
    if (this.phase === Phase.UpstreamStartup) {
      switch (msg.name) {
        case 'backendKeyData':
          this.cancelKey = this.opts.cancels.register({
            target: this.target,
            processId: msg.processId,
            secretKey: msg.secretKey,
          });
          this.replaceAgent(ser.backendKeyData(this.cancelKey.processId, this.cancelKey.secretKey));
          return;
        case 'readyForQuery':
          this.forwardAgent(frame);
          this.txStatus = msg.status;
          this.phase = Phase.Ready;
          this.agent.resume();
          if (this.draining) this.close('sidecar shutting down');
          return;
        case 'error':
          this.forwardAgent(frame);
          this.flushAgent();
          this.close(`upstream refused the session: ${msg.fields.get(ErrorField.Message) ?? ''}`);
          return;
        default:
          // ParameterStatus, NoticeResponse: the agent sees the server as it is.
          this.forwardAgent(frame);
          return;
      }
    }
    // Closed: drop.
  }

  private readyBackend(msg: BackendMessage, frame: Frame): void {
    const code = msg.code;
    const head = this.queue.peek();
    switch (code) {
      case BackendCode.DataRow: {
        const run = head?.run;
        if (run === null || run === undefined) {
          this.forwardAgent(frame);
          return;
        }
        run.rows++;
        run.bytes += frame.end - frame.start;
        if (this.withholding) return;
        if (run.masker !== null) {
          this.maskRow(run, head!, frame);
          return;
        }
        this.forwardAgent(frame);
        return;
      }
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        if (!this.withholding) this.forwardAgent(frame);
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
        if (!this.withholding) this.forwardAgent(frame);
        return;
      case BackendCode.ParseComplete:
        if (head?.kind === Kind.Parse) this.prepared.parseDone(this.queue.shift()!.statement!, true);
        if (!this.withholding) this.forwardAgent(frame);
        return;
      case BackendCode.BindComplete:
        if (head?.kind === Kind.Bind) this.prepared.bindDone(this.queue.shift()!.portal!, true);
        if (!this.withholding) this.forwardAgent(frame);
        return;
      case BackendCode.CloseComplete:
        if (head?.kind === Kind.Close) {
          const c = this.queue.shift()!;
          this.prepared.closeDone(c.closeKind, c.closeName, c.closed);
        }
        if (!this.withholding) this.forwardAgent(frame);
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
        if (!this.withholding) this.forwardAgent(frame);
        return;
      case BackendCode.CopyData:
      case BackendCode.CopyDone:
        if (!this.withholding) this.forwardAgent(frame);
        return;
      default:
        // ParameterStatus, NoticeResponse, NotificationResponse, ParameterDescription,
        // CopyInResponse, FunctionCallResponse: pass through.
        if (
          !this.withholding ||
          code === BackendCode.ParameterStatus ||
          code === BackendCode.NotificationResponse
        ) {
          this.forwardAgent(frame);
        }
    }
  }

  private rowDescription(
    msg: Extract<BackendMessage, { name: 'rowDescription' }>,
    head: Pending | undefined,
    frame: Frame,
  ): void {
    switch (head?.kind) {
      case Kind.InjectedDescribe:
        head.portal!.columns = msg.columns;
        this.queue.shift();
        return;
      case Kind.DescribePortal:
        if (head.portal !== null) head.portal.columns = msg.columns;
        this.queue.shift();
        break;
      case Kind.DescribeStatement:
        if (head.statement !== null) head.statement.columns = msg.columns;
        this.queue.shift();
        break;
      case Kind.Query:
      case Kind.Execute: {
        const run = head.run!;
        this.collectMasked(run);
        run.columns = msg.columns;
        break;
      }
    }
    if (!this.withholding) this.forwardAgent(frame);
  }

  private maskRow(run: Run, head: Pending, frame: Frame): void {
    try {
      if (run.rowMasker === null) {
        const cols = run.columns ?? head.portal?.resultColumns() ?? null;
        if (cols === null) throw agError('AG_ERR_MASKING_FAILED', 'the result columns are unknown');
        run.columns = cols;
        run.rowMasker = run.masker!.forColumns(resultColumns(cols));
      }
      if (!run.rowMasker.active) {
        this.forwardAgent(frame);
        return;
      }
      const masked = maskDataRow(frame.buf, frame.start, frame.end, run.rowMasker, run.columns!);
      if (masked === null) this.forwardAgent(frame);
      else this.replaceAgent(masked);
    } catch (e) {
      this.withhold(run, toAgError(e, 'AG_ERR_MASKING_FAILED'));
    }
  }

  /** Fails the command closed: the agent gets an error, and nothing more of this result. */
  private withhold(run: Run, err: AgentgateError): void {
    run.decision = 'error';
    run.errorCode = err.code;
    run.error = err.message;
    this.replaceAgent(ser.agentgateErrorResponse(err));
    this.withholding = true;
  }

  private errorResponse(msg: ErrorOrNotice, head: Pending | undefined, frame: Frame): void {
    const severity = msg.fields.get(ErrorField.SeverityV) ?? msg.fields.get(ErrorField.Severity);
    if (head === undefined || severity === 'FATAL' || severity === 'PANIC') {
      // Not an answer to anything we sent (administrator shutdown, a killed backend).
      this.forwardAgent(frame);
      return;
    }
    const run = head.run;
    if (run !== null && run.replaceError !== null) {
      this.replaceAgent(run.replaceError);
      run.replaceError = null;
    } else {
      if (run !== null && run.errorCode === undefined) {
        run.decision = run.decision === 'allow' ? 'allow' : run.decision;
        run.errorCode = msg.fields.get(ErrorField.Code);
        run.error = msg.fields.get(ErrorField.Message);
      }
      if (!this.withholding) this.forwardAgent(frame);
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
    this.forwardAgent(frame);
    if (this.draining && this.queue.length === 0) {
      this.flushAgent();
      this.close('sidecar shutting down');
    }
  }

  /** Adds a finished result set's masking counts to its command and drops its row masker. */
  private collectMasked(run: Run): void {
    const rm = run.rowMasker;
    if (rm === null) return;
    run.rowMasker = null;
    run.columns = null;
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

  private finish(p: Pending): void {
    const run = p.run!;
    const seconds = (performance.now() - run.t0) / 1000;
    this.collectMasked(run);
    this.ctx.metrics.command('postgres', run.decision, seconds);
    this.ctx.audit.command({
      sessionId: this.opts.sessionId,
      seq: run.seq,
      startedAt: run.startedAt,
      durationUs: Math.round(seconds * 1e6),
      text: run.auditText,
      operations: run.operations,
      tables: run.tables,
      decision: run.decision,
      policy: run.policy,
      rule: run.rule,
      rows: run.rows,
      bytes: run.bytes,
      ...(run.masked === null ? {} : { masked: run.masked }),
      ...(run.errorCode === undefined ? {} : { errorCode: run.errorCode }),
      ...(run.error === undefined ? {} : { error: run.error }),
    });
  }

  // ------------------------------------------------------------ byte movement

  private forwardUp(f: Frame): void {
    if (this.upBuf === f.buf && this.upEnd === f.start) {
      this.upEnd = f.end;
      return;
    }
    this.flushUp();
    this.upBuf = f.buf;
    this.upStart = f.start;
    this.upEnd = f.end;
  }

  private replaceUp(b: Buffer): void {
    this.flushUp();
    if (!this.upstream!.write(b)) this.upstreamFull = true;
  }

  private flushUp(): void {
    if (this.upBuf !== null) {
      const b = this.upBuf;
      this.upBuf = null;
      if (this.upstream !== null && !this.upstream.write(b.subarray(this.upStart, this.upEnd)))
        this.upstreamFull = true;
    }
    if (this.upstreamFull && this.upstream !== null) {
      // Backpressure: stop reading the agent until the upstream takes more.
      this.upstreamFull = false;
      this.agent.pause();
      this.upstream.once('drain', () => this.agent.resume());
    }
  }

  private forwardAgent(f: Frame): void {
    if (this.agBuf === f.buf && this.agEnd === f.start) {
      this.agEnd = f.end;
      return;
    }
    this.flushAgentSlice();
    this.agBuf = f.buf;
    this.agStart = f.start;
    this.agEnd = f.end;
  }

  private replaceAgent(b: Buffer): void {
    this.flushAgentSlice();
    this.bytesOut += b.length;
    if (!this.agent.write(b)) this.agentFull = true;
  }

  private flushAgentSlice(): void {
    if (this.agBuf === null) return;
    const b = this.agBuf;
    this.agBuf = null;
    this.bytesOut += this.agEnd - this.agStart;
    if (!this.agent.write(b.subarray(this.agStart, this.agEnd))) this.agentFull = true;
  }

  private flushAgent(): void {
    this.flushAgentSlice();
    if (this.agentFull && this.upstream !== null) {
      // Backpressure: a slow agent stops us reading the upstream; nothing piles up here.
      this.agentFull = false;
      const up = this.upstream;
      up.pause();
      this.agent.once('drain', () => up.resume());
    }
  }

  // ------------------------------------------------------------------ endings

  private upstreamGone(why: string): void {
    if (this.phase === Phase.Closed) return;
    if (
      this.phase === Phase.Ready ||
      this.phase === Phase.UpstreamAuth ||
      this.phase === Phase.UpstreamStartup
    ) {
      this.flushAgent();
      this.fail(agError('AG_ERR_UPSTREAM_UNAVAILABLE', this.target.name, why));
    } else {
      this.close(`upstream: ${why}`);
    }
  }

  /** Ends the session with an error the agent can read (FATAL), then closes both sides. */
  private fail(e: unknown): void {
    if (this.phase === Phase.Closed) return;
    const err = toAgError(e, 'AG_ERR_PROTOCOL_MALFORMED');
    if (!this.agent.destroyed && this.agent.writable) {
      this.flushAgentSlice();
      this.agent.write(ser.agentgateErrorResponse(err, 'FATAL'));
    }
    this.close(`${err.code}: ${err.message}`);
  }

  private close(why: string | undefined): void {
    if (this.phase === Phase.Closed && this.endError !== undefined) return;
    const wasClosed = this.phase === Phase.Closed;
    this.phase = Phase.Closed;
    if (why !== undefined && this.endError === undefined) this.endError = why;
    if (this.upstream !== null) {
      const up = this.upstream;
      this.upstream = null;
      if (!up.destroyed) up.end(ser.TERMINATE);
      up.destroySoon();
    }
    if (!this.agent.destroyed) this.agent.end();
    if (wasClosed) return;
    if (this.cancelKey !== null)
      this.opts.cancels.unregister(this.cancelKey.processId, this.cancelKey.secretKey);
    for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) {
      if (p.run !== null) {
        p.run.decision = p.run.decision === 'allow' ? 'error' : p.run.decision;
        p.run.error ??= 'session ended before the command finished';
        this.finish(p);
      }
    }
    this.ctx.metrics.sessionClosed('postgres');
    this.ctx.metrics.bytes('in', this.bytesIn);
    this.ctx.metrics.bytes('out', this.bytesOut);
    this.ctx.audit.sessionEnd({
      sessionId: this.opts.sessionId,
      endedAt: Date.now(),
      commands: this.seq,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      ...(this.endError === undefined ? {} : { error: this.endError }),
    });
    this.opts.onClose?.(this);
  }
}

function toAgError(
  e: unknown,
  fallback:
    | 'AG_ERR_PROTOCOL_MALFORMED'
    | 'AG_ERR_AUTH_TOKEN_INVALID'
    | 'AG_ERR_UPSTREAM_UNAVAILABLE'
    | 'AG_ERR_MASKING_FAILED'
    | 'AG_ERR_POLICY_UNAVAILABLE',
): AgentgateError {
  if (isAgentgateError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return fallback === 'AG_ERR_UPSTREAM_UNAVAILABLE'
    ? agError(fallback, 'target', msg)
    : agError(fallback, msg);
}

export { AuthCode, CancelRegistry };
