// Workload identity: a connection without a token may run as the pod itself.
// The proof is the projected service-account token kubelet mounts into the
// sidecar, verified like any agent token against the cluster issuer. Whether
// a tokenless connection may use it is the policy's call
// (PodPolicy.allowsWorkload), not this module's.

import { readFile } from 'node:fs/promises';
import { agError } from '../../common/errors.js';
import { workloadFromClaims, workloadGroups } from './claims.js';
import type { Identity } from './identity.js';
import { readUnverified } from './token-parts.js';
import type { TokenVerifier } from './verifier.js';

export const DEFAULT_WORKLOAD_TOKEN_FILE = '/var/run/secrets/agentgate.io/serviceaccount/token';

/**
 * Reads and verifies the pod's token (re-read each time: kubelet rotates it in
 * place), then describes the pod. Subject stays `system:serviceaccount:NS:NAME`
 * and groups are the ones Kubernetes gives service accounts, so policies can
 * name either. No expiresAt: the session is the pod's own and kubelet keeps
 * its credential fresh; the next connection verifies the rotated token.
 */
export async function workloadIdentity(verifier: TokenVerifier, tokenFile: string): Promise<Identity> {
  let token: string;
  try {
    token = (await readFile(tokenFile, 'utf8')).trim();
  } catch {
    throw agError('AG_ERR_AUTH_TOKEN_MISSING', `no token presented and no workload token at ${tokenFile}`);
  }
  if (token === '')
    throw agError('AG_ERR_AUTH_TOKEN_MISSING', `no token presented and ${tokenFile} is empty`);
  const verified = await verifier.verify(token);
  // The signature held, so the claims are the issuer's; read the Kubernetes ones.
  const workload = workloadFromClaims(readUnverified(token, Number.POSITIVE_INFINITY).claims);
  const identity: Identity = {
    kind: 'workload',
    subject: verified.subject,
    groups: workloadGroups(workload),
    issuer: verified.issuer,
    ...(verified.tokenId === undefined ? {} : { tokenId: verified.tokenId }),
    workload,
  };
  return Object.freeze(identity);
}
