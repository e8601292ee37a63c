// The sidecar process: policies, identity, credentials, audit, metrics, the
// listeners and the admin server, wired together; and the way out (SIGTERM:
// stop accepting, let running commands finish within the drain time, close).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createSecureContext } from 'node:tls';
import { agError } from '../../common/errors.js';
import { type AuditSink, NOOP_AUDIT } from '../audit/events.js';
import { registerAuditMetrics } from '../audit/metrics.js';
import { createAuditSink, type DurableAuditSink } from '../audit/sink.js';
import { verifierOptionsFromFlags } from '../identity/flags.js';
import type { TokenVerifier } from '../identity/verifier.js';
import { initClassifiers } from '../policy/classify/postgres.js';
import { OPEN_GATE } from '../protocols/gateway-context.js';
import { startAdminServer } from './admin-server.js';
import type { SidecarConfig } from './config.js';
import { createGatewayContext } from './context.js';
import { CredentialStore } from './credentials.js';
import { Listeners, type Log } from './listeners.js';
import { MaskerCache } from './masking-adapter.js';
import { SidecarMetrics } from './metrics.js';
import { FilePolicySource } from './policy-source.js';
import { TargetTable } from './target-table.js';

export interface Sidecar {
  /** The transparent listener's port (0 when disabled). */
  readonly listenPort: number;
  readonly adminPort: number;
  readonly metrics: SidecarMetrics;
  readonly policies: FilePolicySource;
  /** The port an explicit listener for `target` is bound to. */
  localPort(target: string): number | undefined;
  /** Open agent sessions. */
  sessionCount(): number;
  /** Graceful: stop accepting, drain for config.drainSeconds, close everything. */
  shutdown(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, log: Log): Promise<Sidecar> {
  if (config.policyPaths.length === 0) {
    throw agError(
      'AG_ERR_CLI_USAGE',
      'sidecar: --policy is required (watching the Kubernetes API is not in this build)',
    );
  }
  await initClassifiers();
  const metrics = new SidecarMetrics();
  const targets = new TargetTable(undefined, 30_000, (m) => log.warn(m));
  let listeners: Listeners | null = null;
  const localHost =
    config.listen.host === '0.0.0.0' || config.listen.host === '::' ? '127.0.0.1' : config.listen.host;
  const policies = new FilePolicySource(
    config.policyPaths,
    { namespace: config.namespace, name: config.podName, labels: config.podLabels },
    { info: (m) => log.info(m), error: (m) => log.error(m) },
    (p) => {
      metrics.policyReloads.inc({ result: 'ok' });
      void targets.setTargets(p.targets);
      void listeners?.reconcileExplicit(config.localHost ?? localHost, p.targets);
    },
  );
  await policies.start();

  let verifier: TokenVerifier | null = null;
  if (config.identity.oidcIssuer.length > 0 || config.identity.workloadIssuer !== undefined) {
    // Loaded only when an issuer is configured: jose and openid-client are
    // about 3.5 MB resident (measured) that a sidecar without token checks never uses.
    const { createVerifier } = await import('../identity/verifier.js');
    verifier = await createVerifier(verifierOptionsFromFlags(config.identity), {
      logger: {
        debug: () => {},
        info: (f: object, m: string) => log.info(`${m} ${JSON.stringify(f)}`),
        warn: (f: object, m: string) => log.warn(`${m} ${JSON.stringify(f)}`),
      },
    });
  }

  let audit: AuditSink = NOOP_AUDIT;
  let durable: DurableAuditSink | null = null;
  if (config.otlpEndpoint !== undefined || config.spoolDir !== undefined) {
    // Audit text is masked by the JavaScript literal scanner (about 1 µs a
    // statement), not the WebAssembly lexer (40-60 µs): with -M simple every
    // statement text is new, and the lexer halved throughput.
    durable = createAuditSink({
      ...(config.otlpEndpoint === undefined ? {} : { otlpEndpoint: config.otlpEndpoint }),
      spoolDir: config.spoolDir ?? `/tmp/agentgate-spool-${process.pid}`,
      ...(config.auditOnFull === undefined ? {} : { onFull: config.auditOnFull }),
      ...(config.spoolMaxBytes === undefined ? {} : { maxSpoolBytes: config.spoolMaxBytes }),
      ...(config.auditFlushMs === undefined ? {} : { flushMs: config.auditFlushMs }),
      ...(config.auditFsyncMs === undefined ? {} : { fsyncMs: config.auditFsyncMs }),
      resource: { 'k8s.namespace.name': config.namespace, 'k8s.pod.name': config.podName },
    });
    await durable.ready();
    registerAuditMetrics(metrics.registry, durable);
    audit = durable;
    if (config.otlpEndpoint === undefined) {
      log.warn(
        'audit: no --otlp-endpoint: spans stay in the spool, and when it is full ' +
          `(--spool-max-mb) ${config.auditOnFull === 'drop-oldest' ? 'the oldest are dropped' : 'agent commands wait'}`,
      );
    }
  }
  const auditGate = durable === null ? OPEN_GATE : blockingAuditGate(durable, config, (m) => log.warn(m));

  const credentials = new CredentialStore(config.secretsDir);
  const ctx = createGatewayContext({
    namespace: config.namespace,
    podName: config.podName,
    verifier,
    workloadTokenFile: config.workloadTokenFile,
    allowAnonymous: config.allowAnonymous,
    policies,
    credentials,
    maskers: new MaskerCache(config.hashKey ?? randomBytes(32)),
    audit,
    auditEnabled: audit !== NOOP_AUDIT,
    auditGate,
    metrics,
  });

  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw agError('AG_ERR_CLI_USAGE', 'sidecar: --tls-cert and --tls-key go together');
  }
  const agentTls =
    config.tlsCertFile === undefined
      ? undefined
      : createSecureContext({
          cert: readFileSync(config.tlsCertFile),
          key: readFileSync(config.tlsKeyFile!),
        });
  const l = new Listeners({
    ctx,
    targets,
    metrics,
    unknownDestination: config.unknownDestination,
    tokenGraceSeconds: config.tokenGraceSeconds,
    ...(agentTls === undefined ? {} : { agentTls }),
    log,
  });
  listeners = l;
  const current = policies.current()!;
  await targets.setTargets(current.targets);
  await l.reconcileExplicit(config.localHost ?? localHost, current.targets);
  const listenPort = config.transparent ? await l.listenTransparent(config.listen) : 0;

  const admin: Server = await startAdminServer(config.admin, {
    registry: metrics.registry,
    notReady: () => {
      if (!policies.ready) return 'policies not loaded';
      if (verifier !== null && !verifier.ready()) return 'identity issuer keys not loaded';
      return null;
    },
  });
  const adminPort = (admin.address() as { port: number }).port;
  log.info(`sidecar ready: transparent :${listenPort}, admin :${adminPort}`);

  let closing: Promise<void> | null = null;
  return {
    listenPort,
    adminPort,
    metrics,
    policies,
    localPort: (t) => l.explicitPort(t),
    sessionCount: () => l.sessions.size,
    shutdown() {
      closing ??= (async () => {
        l.stopAccepting();
        await l.drain(config.drainSeconds * 1000);
        policies.close();
        targets.close();
        credentials.close();
        verifier?.close();
        await durable?.close();
        await new Promise<void>((r) => admin.close(() => r()));
      })();
      return closing;
    },
  };
}

/**
 * The gate sessions ask before each command: null while audit takes more, else
 * a promise to wait on. Says so in the log when agents start waiting (at most
 * once a minute) and when they can go on, since nothing else shows it.
 */
function blockingAuditGate(
  durable: DurableAuditSink,
  config: SidecarConfig,
  warn: (m: string) => void,
): () => Promise<void> | null {
  let lastWarned = 0;
  let waiting: Promise<void> | null = null;
  return () => {
    if (durable.writable()) return null;
    if (waiting !== null) return waiting;
    const now = Date.now();
    const warned = now - lastWarned > 60_000;
    if (warned) {
      lastWarned = now;
      const s = durable.stats();
      warn(
        `audit: ${s.spoolFull ? `the spool is full (${Math.round(s.spoolBytes / 2 ** 20)} MiB, ${s.backlogSpans} spans not yet exported)` : 'the audit worker is behind'}; ` +
          `agent commands wait until it has room${config.otlpEndpoint === undefined ? ' (no --otlp-endpoint is set, so only a restart with one, or a larger --spool-max-mb, makes room)' : ''}`,
      );
    }
    waiting = durable.whenWritable().then(
      () => {
        waiting = null;
        if (warned) warn('audit: room again; agent commands go on');
      },
      (e: unknown) => {
        waiting = null;
        throw e;
      },
    );
    return waiting;
  };
}
