export {
  ASYMMETRIC_ALGORITHMS,
  DEFAULTS,
  type IssuerOptions,
  resolveConfig,
  type VerifierConfig,
  type VerifierOptions,
} from './config.js';
export { isExpired } from './expiry.js';
export {
  clusterIssuer,
  DEFAULT_WORKLOAD_AUDIENCE,
  type IdentityFlags,
  IN_CLUSTER,
  verifierOptionsFromFlags,
} from './flags.js';
export { ANONYMOUS, type Identity, type WorkloadIdentity } from './identity.js';
export type { IssuerStatus } from './jwks-cache.js';
export type { IdentityLogger } from './logger.js';
export { createVerifier, type TokenVerifier, type VerifierDeps } from './verifier.js';
export { DEFAULT_WORKLOAD_TOKEN_FILE, workloadIdentity } from './workload.js';
