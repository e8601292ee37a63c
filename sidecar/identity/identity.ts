// Who is speaking on a connection. Built by identity/ from a verified token or
// from the pod's workload identity; read by policy/ and audit/.

export interface WorkloadIdentity {
  namespace: string;
  serviceAccount: string;
  podName?: string;
}

export interface Identity {
  /** `token`: an agent's OIDC token; `workload`: the pod's service account; `anonymous`: nothing verified. */
  readonly kind: 'token' | 'workload' | 'anonymous';
  /** The subject claim (`sub`, or the configured claim). */
  readonly subject: string;
  readonly groups: readonly string[];
  readonly issuer: string;
  /** `jti`, when the token has one: audit correlates on it, never on the token. */
  readonly tokenId?: string;
  /** Seconds since the epoch; a session may run no new command after it (plus grace). */
  readonly expiresAt?: number;
  readonly workload?: WorkloadIdentity;
}

export const ANONYMOUS: Identity = Object.freeze({
  kind: 'anonymous',
  subject: 'anonymous',
  groups: Object.freeze([]) as readonly string[],
  issuer: '',
});
