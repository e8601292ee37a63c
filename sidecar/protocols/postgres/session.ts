// One agent connection through the gateway: its lifecycle and startup.
// Data path: agent bytes -> FrontendParser -> startup (SSLRequest answered,
// the agent authenticated with its token, the upstream opened and
// authenticated with the sidecar's credentials) -> CommandProxy (proxy.ts) for
// every command -> upstream bytes -> BackendParser -> agent. Forwarded messages
// travel as slices of the bytes that arrived (outbox.ts); only what we change
// is re-encoded. Any error ends this session only, with a FATAL the agent reads.

import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { Target } from '../../../api/types.js';
import { type AgentgateError, agError, isAgentgateError } from '../../../common/errors.js';
import type { Identity } from '../../identity/identity.js';
import { readChunks } from '../chunk-reader.js';
import { type GatewayContext, OPEN_GATE } from '../gateway-context.js';
import { BackendParser } from './backend-parser.js';
import { CancelRegistry, type UpstreamConnector } from './cancel.js';
import { AuthCode, TxStatus } from './codes.js';
import { FrontendParser } from './frontend-parser.js';
import { type HandshakeHost, UpstreamHandshake } from './handshake.js';
import { DEFAULT_PG_LIMITS, type PgLimits } from './limits.js';
import type { BackendMessage, Frame, FrontendMessage, StartupMessage } from './messages.js';
import { Outbox } from './outbox.js';
import { CommandProxy, type ProxyHost } from './proxy.js';
import * as ser from './serializer.js';
import { connectUpstream, UpstreamAuth } from './upstream.js';

const enum Phase {
  Startup,
  Password,
  Authenticating,
  /** Authenticating upstream and starting up there (handshake.ts). */
  Upstream,
  Ready,
  Closed,
}

export interface PgSessionOptions {
  readonly ctx: GatewayContext;
  readonly target: Target;
  readonly agent: Socket;
  /** When set, an SSLRequest is answered 'S' and the agent hop becomes TLS (a certificate for the sidecar). */
  readonly agentTls?: SecureContext;
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
  private agent: Socket;
  private tlsDone = false;
  private upstream: Socket | null = null;
  private readonly fe: FrontendParser;
  private readonly be: BackendParser;
  private readonly connect: UpstreamConnector;
  /** Set once the session is ready: the per-command half. */
  private proxy: CommandProxy | null = null;
  private readonly limits: PgLimits;
  private identity: Identity | null = null;
  private expiresAtMs = Number.POSITIVE_INFINITY;
  private startup: StartupMessage | null = null;
  private handshake: UpstreamHandshake | null = null;
  draining = false;
  private bytesIn = 0;
  private endError: string | undefined = undefined;
  private readonly toAgent = new Outbox();
  private readonly toUpstream = new Outbox();
  private readonly auditGate: () => Promise<void> | null;
  private readonly onFrontend: (msg: FrontendMessage, frame: Frame) => void;
  private readonly onBackend: (msg: BackendMessage, frame: Frame) => void;

  private readonly host: ProxyHost;
  private readonly handshakeHost: HandshakeHost;

  constructor(readonly opts: PgSessionOptions) {
    this.ctx = opts.ctx;
    this.target = opts.target;
    this.agent = opts.agent;
    this.toAgent.socket = opts.agent;
    const limits = opts.limits ?? DEFAULT_PG_LIMITS;
    this.fe = new FrontendParser(limits);
    this.be = new BackendParser(limits);
    this.limits = limits;
    this.connect = opts.connect ?? ((t) => connectUpstream(t, this.ctx.caCertificate(t)));
    this.auditGate = opts.ctx.auditGate === undefined ? OPEN_GATE : () => opts.ctx.auditGate!();
    const session = this;
    this.host = {
      get draining(): boolean {
        return session.draining;
      },
      terminate: () => {
        this.toUpstream.flushAndThrottle(this.agent);
        this.close(undefined);
      },
      drained: () => {
        this.toAgent.flushAndThrottle(this.upstream);
        this.close('sidecar shutting down');
      },
    };
    this.handshakeHost = {
      refused: (why) => {
        this.toAgent.flushAndThrottle(this.upstream);
        this.close(why);
      },
      fail: (e) => this.fail(e),
      ready: (status, frame) => this.ready(status, frame),
    };
    this.onFrontend = (m, f) => this.frontend(m, f);
    this.onBackend = (m, f) => this.backend(m, f);
  }

  start(): void {
    // An agent hop that may turn TLS keeps the 'data' path: TLSSocket takes over the raw socket.
    const a =
      this.opts.agentTls === undefined
        ? readChunks(this.agent, (chunk) => this.agentData(chunk))
        : this.agent.on('data', (chunk: Buffer) => this.agentData(chunk));
    this.agent = a;
    this.toAgent.socket = a;
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
    this.listen(a);
  }

  /** Everything but the bytes themselves, which start() and upgradeAgent() route. */
  private listen(a: Socket): void {
    a.on('error', (e) => this.close(`agent: ${e.message}`));
    a.on('close', () => this.close(undefined));
  }

  /** SSLRequest with a certificate configured: 'S', then the rest of the session over TLS. */
  private upgradeAgent(frame: Frame): void {
    // Bytes after the SSLRequest, before the handshake, would be plaintext an
    // attacker slipped in (CVE-2021-23214's lesson): refuse them.
    if (frame.end !== frame.buf.length || !this.fe.idle) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', 'data after SSLRequest before the TLS handshake');
    }
    const raw = this.agent;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => {});
    raw.write(ser.SSL_ACCEPTED);
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.opts.agentTls! });
    this.agent = secure;
    this.toAgent.socket = secure;
    this.tlsDone = true;
    secure.on('data', (chunk: Buffer) => this.agentData(chunk));
    this.listen(secure);
  }

  /** Graceful shutdown: close now if idle, else after the commands in flight finish. */
  drain(): void {
    this.draining = true;
    if (this.phase !== Phase.Ready || this.idle) this.close('sidecar shutting down');
  }

  /** Ends the session now with a FATAL the agent can read (drain time ran out). */
  abort(): void {
    this.fail(agError('AG_ERR_SIDECAR_SHUTDOWN'));
  }

  get idle(): boolean {
    return (this.proxy?.pending ?? 0) === 0;
  }

  /** The upstream's transaction status as of its last ReadyForQuery: 'I', 'T' or 'E'. */
  get transactionStatus(): string {
    return String.fromCharCode(this.proxy?.txStatus ?? TxStatus.Idle);
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
      this.toUpstream.flushAndThrottle(this.agent);
    } catch (e) {
      this.fail(e);
    }
  }

  private frontend(msg: FrontendMessage, frame: Frame): void {
    if (this.phase === Phase.Ready) {
      this.proxy!.frontend(msg, frame);
      return;
    }
    switch (msg.name) {
      case 'sslRequest':
        if (this.phase !== Phase.Startup) break;
        if (this.opts.agentTls !== undefined && !this.tlsDone) {
          this.upgradeAgent(frame);
          return;
        }
        // The pod-local hop needs no encryption; refusing makes every client fall back.
        this.toAgent.send(ser.NO_ENCRYPTION);
        return;
      case 'gssEncRequest':
        if (this.phase !== Phase.Startup) break;
        this.toAgent.send(ser.NO_ENCRYPTION);
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
    if (msg.minor > 0 || pq.length > 0) this.toAgent.send(ser.negotiateProtocolVersion(0, pq));
    this.phase = Phase.Password;
    this.toAgent.send(ser.AUTH_CLEARTEXT);
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
    up = readChunks(up, (chunk) => this.upstreamData(chunk));
    this.upstream = up;
    this.toUpstream.socket = up;
    this.phase = Phase.Upstream;
    this.handshake = new UpstreamHandshake(
      this.ctx,
      this.target,
      this.opts.cancels,
      new UpstreamAuth(this.target.name, creds, (b) => up.write(b)),
      this.toAgent,
      this.toUpstream,
      this.handshakeHost,
    );
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

  // ------------------------------------------------------------- upstream side

  private upstreamData(chunk: Buffer): void {
    try {
      this.be.parse(chunk, this.onBackend);
      this.toAgent.flushAndThrottle(this.upstream);
      // Answer first, account after: what finished in this chunk is recorded once it is sent.
      this.proxy?.settle();
    } catch (e) {
      this.fail(e);
    }
  }

  private backend(msg: BackendMessage, frame: Frame): void {
    if (this.phase === Phase.Ready) {
      this.proxy!.backend(msg, frame);
      return;
    }
    if (this.phase === Phase.Upstream) this.handshake!.message(msg, frame);
    // Closed: drop.
  }

  /** The upstream is ready for the agent's first command: tell the agent, and start proxying. */
  private ready(status: number, frame: Frame): void {
    this.toAgent.forward(frame);
    this.proxy = new CommandProxy({
      ctx: this.ctx,
      target: this.target,
      sessionId: this.opts.sessionId,
      identity: this.identity!,
      expiresAtMs: this.expiresAtMs,
      toAgent: this.toAgent,
      toUpstream: this.toUpstream,
      limits: this.limits,
      host: this.host,
      txStatus: status,
      standardConformingStrings: this.handshake!.standardConformingStrings,
      catalog: this.handshake!.catalog,
    });
    this.phase = Phase.Ready;
    this.agent.resume();
    if (this.draining) this.close('sidecar shutting down');
  }

  private upstreamGone(why: string): void {
    if (this.phase === Phase.Closed) return;
    if (this.phase === Phase.Ready || this.phase === Phase.Upstream) {
      this.toAgent.flushAndThrottle(this.upstream);
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
      this.toAgent.flush();
      this.toAgent.send(ser.agentgateErrorResponse(err, 'FATAL'));
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
      this.toUpstream.socket = null;
      if (!up.destroyed) up.end(ser.TERMINATE);
      up.destroySoon();
    }
    if (!this.agent.destroyed) this.agent.end();
    if (wasClosed) return;
    const key = this.handshake?.cancelKey;
    if (key != null) this.opts.cancels.unregister(key.processId, key.secretKey);
    this.proxy?.abandon();
    this.ctx.metrics.sessionClosed('postgres');
    this.ctx.metrics.bytes('in', this.bytesIn);
    this.ctx.metrics.bytes('out', this.toAgent.bytes);
    this.ctx.audit.sessionEnd({
      sessionId: this.opts.sessionId,
      endedAt: Date.now(),
      commands: this.proxy?.seq ?? 0,
      bytesIn: this.bytesIn,
      bytesOut: this.toAgent.bytes,
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
