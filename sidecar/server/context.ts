// The GatewayContext the protocol sessions run against, built from the real
// parts: the token verifier, the policy source, the classifiers, the masking
// engine, the credential files, the audit sink and the metrics.

import type { Protocol, Target } from '../../api/types.js';
import { agError } from '../../common/errors.js';
import type { AuditSink } from '../audit/events.js';
import { ANONYMOUS, type Identity } from '../identity/identity.js';
import type { TokenVerifier } from '../identity/verifier.js';
import { workloadIdentity } from '../identity/workload.js';
import { maskSqlLiterals } from '../masking/sql-literals.js';
import { classifyPostgres } from '../policy/classify/postgres.js';
import type { Classification, Command } from '../policy/command.js';
import type { Decision } from '../policy/decision.js';
import type {
  AuthRequest,
  CatalogRequest,
  ClassifyOptions,
  GatewayContext,
  GatewayMetrics,
} from '../protocols/gateway-context.js';
import type { CredentialStore } from './credentials.js';
import type { MaskerCache } from './masking-adapter.js';
import type { FilePolicySource } from './policy-source.js';
import { ShapeCache } from './shape-cache.js';

export interface ContextDeps {
  readonly namespace: string;
  readonly podName: string;
  readonly verifier: TokenVerifier | null;
  readonly workloadTokenFile: string | undefined;
  readonly allowAnonymous: boolean;
  readonly policies: FilePolicySource;
  readonly credentials: CredentialStore;
  readonly maskers: MaskerCache;
  readonly audit: AuditSink;
  readonly auditEnabled: boolean;
  readonly auditGate: () => Promise<void> | null;
  readonly metrics: GatewayMetrics;
}

export function createGatewayContext(d: ContextDeps): GatewayContext {
  const shapes = new ShapeCache();
  // pino's habit: with audit off, the per-command text masking is a no-op chosen here.
  const auditText = d.auditEnabled
    ? (_p: Protocol, text: string): string => maskSqlLiterals(text)
    : (_p: Protocol, text: string): string => text;

  return {
    namespace: d.namespace,
    podName: d.podName,
    async authenticate(req: AuthRequest): Promise<Identity> {
      if (req.token !== '') {
        if (d.verifier !== null) return d.verifier.verify(req.token);
        if (d.allowAnonymous) return ANONYMOUS;
        throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'this sidecar trusts no issuer (--oidc-issuer)');
      }
      if (d.verifier !== null && d.workloadTokenFile !== undefined) {
        const identity = await workloadIdentity(d.verifier, d.workloadTokenFile);
        if (d.policies.current()?.allowsWorkload(identity)) return identity;
        throw agError(
          'AG_ERR_AUTH_TOKEN_MISSING',
          'no token presented and no policy allows the pod workload identity',
        );
      }
      if (d.allowAnonymous) return ANONYMOUS;
      throw agError('AG_ERR_AUTH_TOKEN_MISSING', 'present your OIDC access token as the password');
    },
    classify(protocol: Protocol, text: string, options?: ClassifyOptions): Classification {
      if (protocol === 'postgres') {
        if (options?.standardConformingStrings === false) return classifyPostgres(text, options);
        return shapes.classify(text, classifyPostgres);
      }
      throw agError('AG_ERR_PROTOCOL_UNSUPPORTED', `${protocol} classification in this sidecar`);
    },
    decide(command: Command): Decision {
      const policy = d.policies.current();
      if (policy === null) throw agError('AG_ERR_POLICY_UNAVAILABLE', 'no policy loaded');
      return policy.decide(command);
    },
    masker: (target, rules) => d.maskers.get(target, rules),
    catalogRequest(target: Target): CatalogRequest | null {
      const policy = d.policies.current();
      if (policy === null) return null;
      const tables = policy.masksQualifiedColumns(target.name);
      const columnRegex = policy.sourceColumns(target.name);
      return tables || columnRegex !== null ? { tables, columnRegex } : null;
    },
    credentials: (target: Target) => d.credentials.get(target),
    caCertificate(target: Target): string | undefined {
      const ref = target.tls?.caSecretRef;
      return ref === undefined ? undefined : d.credentials.file(ref.name, 'ca.crt');
    },
    auditText,
    audit: d.audit,
    auditGate: d.auditGate,
    metrics: d.metrics,
  };
}
