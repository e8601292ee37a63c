// Where agent connections come in. The transparent listener serves traffic the
// pod's nat rules redirected: it asks the kernel for each connection's original
// destination and finds the declared target by IP and port. An explicit
// listener per target with `localPort` serves clients pointed at the sidecar
// directly (no iptables: demos, docker-compose, a laptop).

import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Target } from '../../api/types.js';
import { agError, isAgentgateError } from '../../common/errors.js';
import { originalDestination } from '../intercept/original-dst.js';
import type { GatewayContext } from '../protocols/gateway-context.js';
import { CancelRegistry } from '../protocols/postgres/cancel.js';
import { PgSession } from '../protocols/postgres/session.js';
import { parseAddress } from '../protocols/postgres/upstream.js';
import type { HostPort } from './config.js';
import type { SidecarMetrics } from './metrics.js';
import { defaultPort, type TargetTable } from './target-table.js';

export interface Log {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface ListenerDeps {
  readonly ctx: GatewayContext;
  readonly targets: TargetTable;
  readonly metrics: SidecarMetrics;
  readonly unknownDestination: 'deny' | 'passthrough';
  readonly tokenGraceSeconds: number;
  /** A certificate for the agent hop, when configured. */
  readonly agentTls?: SecureContext;
  readonly log: Log;
}

export interface GatewaySession {
  drain(): void;
  abort(): void;
}

const TRANSPARENT = 'the transparent listener (--listen)';

export class Listeners {
  readonly sessions = new Set<GatewaySession>();
  private readonly cancels = new CancelRegistry();
  private transparent: Server | null = null;
  private readonly explicit = new Map<string, { server: Server; port: number; target: Target }>();
  private readonly raw = new Set<Socket>();
  private accepting = true;

  constructor(private readonly d: ListenerDeps) {}

  async listenTransparent(at: HostPort): Promise<number> {
    this.transparent = createServer((s) => this.onTransparent(s));
    if (at.host === '0.0.0.0') {
      // Redirected IPv6 connections must land here too: one dual-stack socket
      // takes both families (IPv4 arrives IPv4-mapped); a kernel without IPv6 gets IPv4 only.
      try {
        return await listen(this.transparent, { host: '::', port: at.port }, TRANSPARENT);
      } catch {
        this.transparent = createServer((s) => this.onTransparent(s));
      }
    }
    return listen(this.transparent, at, TRANSPARENT);
  }

  /** Opens listeners for targets that declare localPort and closes those no longer declared. */
  async reconcileExplicit(host: string, targets: readonly Target[]): Promise<void> {
    const wanted = new Map(targets.filter((t) => t.localPort !== undefined).map((t) => [t.name, t]));
    for (const [name, l] of this.explicit) {
      const t = wanted.get(name);
      if (t === undefined || t.localPort !== l.port || t.address !== l.target.address) {
        l.server.close();
        this.explicit.delete(name);
      } else {
        l.target = t;
      }
    }
    for (const [name, t] of wanted) {
      if (this.explicit.has(name) || !this.accepting) continue;
      // The agent dialled the sidecar's port, but spans name the server it reaches
      // through it (server.address and server.port, as on the transparent path).
      const upstream = upstreamOf(t);
      const entry = {
        server: createServer((s) => this.dispatch(entry.target, s, upstream.host, upstream.port)),
        port: t.localPort!,
        target: t,
      };
      try {
        await listen(entry.server, { host, port: t.localPort! }, `target ${name}`);
        this.explicit.set(name, entry);
        this.d.log.info(`listening for target ${name} on ${host}:${t.localPort}`);
      } catch (e) {
        this.d.log.error((e as Error).message);
      }
    }
  }

  explicitPort(target: string): number | undefined {
    const l = this.explicit.get(target);
    return l === undefined ? undefined : (l.server.address() as { port: number } | null)?.port;
  }

  private onTransparent(socket: Socket): void {
    socket.on('error', () => {});
    let dst: { address: string; port: number };
    try {
      dst = originalDestination(socket);
    } catch (e) {
      this.d.log.warn(`transparent listener: ${isAgentgateError(e) ? e.message : String(e)}`);
      socket.destroy();
      return;
    }
    const target = this.d.targets.lookup(dst.address, dst.port);
    if (target !== undefined) {
      this.dispatch(target, socket, dst.address, dst.port);
      return;
    }
    if (this.d.unknownDestination === 'passthrough') {
      this.d.metrics.unknownDestinations.inc({ action: 'passthrough' });
      this.passthrough(socket, dst.address, dst.port);
    } else {
      this.d.metrics.unknownDestinations.inc({ action: 'deny' });
      this.d.log.warn(`denied connection to ${dst.address}:${dst.port}: no declared target`);
      socket.destroy();
    }
  }

  private dispatch(target: Target, socket: Socket, serverAddress: string, serverPort: number): void {
    socket.on('error', () => {});
    if (!this.accepting) {
      socket.destroy();
      return;
    }
    if (target.protocol !== 'postgres') {
      this.d.log.error(`target ${target.name}: protocol ${target.protocol} is not served by this build`);
      socket.destroy();
      return;
    }
    const session = new PgSession({
      ctx: this.d.ctx,
      target,
      agent: socket,
      sessionId: randomBytes(16).toString('hex'),
      cancels: this.cancels,
      serverAddress,
      serverPort,
      tokenGraceSeconds: this.d.tokenGraceSeconds,
      ...(this.d.agentTls === undefined ? {} : { agentTls: this.d.agentTls }),
      onClose: (s) => this.sessions.delete(s),
    });
    this.sessions.add(session);
    session.start();
  }

  /** Unknown destination, configured to pass: bytes flow untouched and the session is audited. */
  private passthrough(socket: Socket, address: string, port: number): void {
    const sessionId = randomBytes(16).toString('hex');
    const started = Date.now();
    this.d.ctx.audit.sessionStart({
      sessionId,
      startedAt: started,
      protocol: 'http',
      target: '',
      serverAddress: address,
      serverPort: port,
      clientAddress: socket.remoteAddress ?? '',
      clientPort: socket.remotePort ?? 0,
      namespace: this.d.ctx.namespace,
      podName: this.d.ctx.podName,
    });
    const up = connect({ host: address, port });
    this.raw.add(socket);
    let bytesIn = 0;
    let bytesOut = 0;
    socket.on('data', (b: Buffer) => {
      bytesIn += b.length;
    });
    up.on('data', (b: Buffer) => {
      bytesOut += b.length;
    });
    socket.pipe(up);
    up.pipe(socket);
    const end = () => {
      if (!this.raw.delete(socket)) return;
      socket.destroy();
      up.destroy();
      this.d.ctx.audit.sessionEnd({ sessionId, endedAt: Date.now(), commands: 0, bytesIn, bytesOut });
    };
    up.on('error', end);
    up.on('close', end);
    socket.on('close', end);
  }

  /** Stops accepting: closes every listening socket; sessions go on. */
  stopAccepting(): void {
    this.accepting = false;
    this.transparent?.close();
    for (const l of this.explicit.values()) l.server.close();
    this.explicit.clear();
  }

  /** Graceful: each session closes after its running command; after `ms`, the rest are cut. */
  async drain(ms: number): Promise<void> {
    for (const s of this.sessions) s.drain();
    const deadline = Date.now() + ms;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sessions) s.abort();
    for (const s of this.raw) s.destroy();
  }
}

function listen(server: Server, at: HostPort, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(listenError(at, what, e)));
    server.listen(at.port, at.host, () => {
      server.removeListener('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** The target's host and port as written in its address, for the spans of an explicit listener's sessions. */
function upstreamOf(t: Target): { host: string; port: number } {
  try {
    return parseAddress(t.address, defaultPort(t));
  } catch {
    return { host: t.address, port: 0 }; // policy validation refuses such addresses; never fail a listener over a label
  }
}

/** A listen failure a user can act on: which listener, which address, what the kernel said. */
export function listenError(at: HostPort, what: string, e: Error & { code?: string }): Error {
  const why =
    e.code === 'EADDRINUSE'
      ? 'the address is in use by another process'
      : e.code === 'EADDRNOTAVAIL'
        ? 'no interface of this machine has that address'
        : e.code === 'EACCES'
          ? 'permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)'
          : e.message;
  return agError('AG_ERR_CONFIG_INVALID', `cannot listen on ${at.host}:${at.port} for ${what}: ${why}`);
}
