// A PostgreSQL gateway on a loopback port for protocol tests: real sessions,
// real upstream, and a hand-written GatewayContext (the one stand-in the
// protocol tests use; the sidecar core's own tests use the real engine).

import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { MaskingRule, Target } from '../../api/types.js';
import { agError } from '../../common/errors.js';
import type { AuditSink, CommandEvent } from '../../sidecar/audit/events.js';
import type { Identity } from '../../sidecar/identity/identity.js';
import { classifyPostgres, initClassifiers } from '../../sidecar/policy/classify/postgres.js';
import type { Command } from '../../sidecar/policy/command.js';
import type { Decision } from '../../sidecar/policy/decision.js';
import {
  type Credentials,
  type GatewayContext,
  NOOP_METRICS,
  type ResultMasker,
} from '../../sidecar/protocols/gateway-context.js';
import { CancelRegistry } from '../../sidecar/protocols/postgres/cancel.js';
import type { PgLimits } from '../../sidecar/protocols/postgres/limits.js';
import { PgSession } from '../../sidecar/protocols/postgres/session.js';

export type Decide = (cmd: Command) => Decision;

export const allowAll: Decide = () => ({
  action: 'allow',
  policy: 'test/allow',
  rule: 'all',
  reason: 'allowed',
  masking: [],
});

/** Denies commands whose operations include any of `ops`, naming rule `rule`. */
export function denyOps(ops: string[], rule = 'no-ddl', action: 'deny' | 'review' = 'deny'): Decide {
  return (cmd) =>
    cmd.classification.operations.some((o) => ops.includes(o))
      ? {
          action,
          policy: 'test/policy',
          rule,
          reason: `${cmd.classification.operations.join(',')} is not allowed`,
          masking: [],
        }
      : { action: 'allow', policy: 'test/policy', rule: 'reads', reason: 'allowed', masking: [] };
}

export interface Gateway {
  readonly port: number;
  readonly commands: CommandEvent[];
  readonly sessions: Set<PgSession>;
  decide: Decide;
  close(): Promise<void>;
}

export interface GatewayOptions {
  credentials: Credentials;
  decide?: Decide;
  masker?: (rules: readonly MaskingRule[]) => ResultMasker | null;
  authenticate?: (token: string) => Promise<Identity>;
  limits?: PgLimits;
  target?: Partial<Target>;
  /** PEM CA for targets with tls verify-full. */
  ca?: string;
  auditGate?: () => Promise<void> | null;
  /** A certificate for the agent hop: SSLRequest is then answered 'S'. */
  agentTls?: SecureContext;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  await initClassifiers();
  const commands: CommandEvent[] = [];
  const audit: AuditSink = {
    sessionStart() {},
    sessionAuth() {},
    command(e) {
      commands.push(e);
    },
    sessionEnd() {},
  };
  const target: Target = {
    name: 'orders-db',
    protocol: 'postgres',
    address: '127.0.0.1:5432',
    ...opts.target,
  };
  const gw = {
    port: 0,
    commands,
    sessions: new Set<PgSession>(),
    decide: opts.decide ?? allowAll,
    close: async () => {},
  };
  const ctx: GatewayContext = {
    namespace: 'test',
    podName: 'test-pod',
    authenticate: async ({ token }) => {
      if (opts.authenticate) return opts.authenticate(token);
      if (token === 'bad') throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'test token refused');
      return { kind: 'anonymous', subject: token || 'anonymous', groups: [], issuer: '' };
    },
    classify: (_p, text, options) => classifyPostgres(text, options),
    decide: (cmd) => gw.decide(cmd),
    masker: (_t, rules) => opts.masker?.(rules) ?? null,
    credentials: () => opts.credentials,
    caCertificate: () => opts.ca,
    auditText: (_p, text) => text,
    audit,
    auditGate: () => opts.auditGate?.() ?? null,
    metrics: NOOP_METRICS,
  };
  const cancels = new CancelRegistry();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const s = new PgSession({
      ctx,
      target,
      agent: socket,
      sessionId: randomBytes(16).toString('hex'),
      cancels,
      serverAddress: '127.0.0.1',
      serverPort: gw.port,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.agentTls ? { agentTls: opts.agentTls } : {}),
      onClose: (x) => gw.sessions.delete(x),
    });
    gw.sessions.add(s);
    s.start();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  gw.port = (server.address() as { port: number }).port;
  gw.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return gw;
}
