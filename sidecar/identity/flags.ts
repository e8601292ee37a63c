// From the sidecar's command-line flags to verifier options, so the CLI only
// parses strings. The cluster's service-account issuer gets in-cluster
// defaults: its discovery document often points at an API server address the
// pod cannot reach, while /openid/v1/jwks on kubernetes.default.svc always
// answers to the pod's own token (system:service-account-issuer-discovery).

import type { IssuerOptions, VerifierOptions } from './config.js';

export const IN_CLUSTER = Object.freeze({
  jwksUri: 'https://kubernetes.default.svc/openid/v1/jwks',
  caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
  bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
});

export interface IdentityFlags {
  /** --oidc-issuer URL (repeatable) */
  oidcIssuer: readonly string[];
  /** --oidc-audience AUD (repeatable) */
  oidcAudience: readonly string[];
  /** --groups-claim NAME (claim or dotted path) */
  groupsClaim?: string;
  /** --subject-claim NAME */
  subjectClaim?: string;
  /** --oidc-ca-file FILE */
  oidcCaFile?: string;
  /** --oidc-insecure-http */
  oidcInsecureHttp?: boolean;
  /** --oidc-algorithms RS256,ES256 */
  oidcAlgorithms?: readonly string[];
  /** --oidc-clock-skew SECONDS */
  oidcClockSkew?: number;
  /** --workload-issuer URL: the cluster's service-account issuer (`kubectl get --raw /.well-known/openid-configuration`) */
  workloadIssuer?: string;
  /** --workload-audience AUD: the audience of the projected token volume. Default agentgate. */
  workloadAudience?: string;
  /** --workload-jwks-uri URL. Default the in-cluster API server's. */
  workloadJwksUri?: string;
  /** --workload-ca-file FILE. Default the service-account CA. */
  workloadCaFile?: string;
  /**
   * --workload-bearer-token-file FILE: the credential sent to the workload issuer's
   * discovery and JWKS. Default the pod's own service-account token; outside a pod
   * (tests, a cluster reached from a laptop) that file does not exist.
   */
  workloadBearerTokenFile?: string;
}

export const DEFAULT_WORKLOAD_AUDIENCE = 'agentgate';

/** The cluster issuer as an IssuerOptions, with in-cluster defaults for keys, CA and credential. */
export function clusterIssuer(issuer: string, overrides: Partial<IssuerOptions> = {}): IssuerOptions {
  return {
    issuer,
    audiences: [DEFAULT_WORKLOAD_AUDIENCE],
    jwksUri: IN_CLUSTER.jwksUri,
    caFile: IN_CLUSTER.caFile,
    bearerTokenFile: IN_CLUSTER.bearerTokenFile,
    ...overrides,
  };
}

export function verifierOptionsFromFlags(flags: IdentityFlags): VerifierOptions {
  const issuers: (IssuerOptions | string)[] = [...flags.oidcIssuer];
  if (flags.workloadIssuer !== undefined) {
    const i = issuers.indexOf(flags.workloadIssuer);
    if (i >= 0) issuers.splice(i, 1);
    issuers.push(
      clusterIssuer(flags.workloadIssuer, {
        audiences: [flags.workloadAudience ?? DEFAULT_WORKLOAD_AUDIENCE],
        ...(flags.workloadJwksUri === undefined ? {} : { jwksUri: flags.workloadJwksUri }),
        ...(flags.workloadCaFile === undefined ? {} : { caFile: flags.workloadCaFile }),
        ...(flags.workloadBearerTokenFile === undefined
          ? {}
          : { bearerTokenFile: flags.workloadBearerTokenFile }),
      }),
    );
  }
  return {
    issuers,
    audiences: flags.oidcAudience,
    ...(flags.groupsClaim === undefined ? {} : { groupsClaim: flags.groupsClaim }),
    ...(flags.subjectClaim === undefined ? {} : { subjectClaim: flags.subjectClaim }),
    ...(flags.oidcCaFile === undefined ? {} : { caFile: flags.oidcCaFile }),
    ...(flags.oidcInsecureHttp === undefined ? {} : { insecureHttp: flags.oidcInsecureHttp }),
    ...(flags.oidcAlgorithms === undefined ? {} : { algorithms: flags.oidcAlgorithms }),
    ...(flags.oidcClockSkew === undefined ? {} : { clockSkewSeconds: flags.oidcClockSkew }),
  };
}
