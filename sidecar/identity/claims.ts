// Verified claims -> Identity. Runs only after jose has checked the signature
// and the registered claims; what it refuses here is shape, not trust.

import { agError } from '../../common/errors.js';
import type { IssuerConfig } from './config.js';
import type { Identity, WorkloadIdentity } from './identity.js';
import { claimAt, isObject, type JsonObject } from './token-parts.js';

/** Policies may deny by group: a list cut short would drop exactly the group a deny rule names, so overlong lists are refused, not truncated. */
export const MAX_GROUPS = 1024;
export const MAX_CLAIM_LENGTH = 1024;

function groupsFrom(value: unknown, claimName: string): readonly string[] {
  if (value === undefined || value === null) return Object.freeze([]);
  // A single string is one group (some IdPs emit a scalar when there is one).
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', `groups claim ${claimName} is neither a list nor a string`);
  }
  if (list.length > MAX_GROUPS) {
    throw agError(
      'AG_ERR_AUTH_TOKEN_INVALID',
      `groups claim ${claimName} lists more than ${MAX_GROUPS} groups`,
    );
  }
  const groups: string[] = [];
  for (const g of list) {
    if (typeof g !== 'string' || g === '' || g.length > MAX_CLAIM_LENGTH) {
      throw agError(
        'AG_ERR_AUTH_TOKEN_INVALID',
        `groups claim ${claimName} holds a value that is not a group name`,
      );
    }
    groups.push(g);
  }
  return Object.freeze(groups);
}

/** Builds the token Identity; `claims` must already be verified. */
export function identityFromClaims(claims: JsonObject, issuer: IssuerConfig): Identity {
  const subject = claimAt(claims, issuer.subjectPath);
  if (typeof subject !== 'string' || subject === '' || subject.length > MAX_CLAIM_LENGTH) {
    throw agError(
      'AG_ERR_AUTH_TOKEN_INVALID',
      `token has no usable subject claim ${issuer.subjectPath.join('.')}`,
    );
  }
  const groups = groupsFrom(claimAt(claims, issuer.groupsPath), issuer.groupsPath.join('.'));
  const jti = claims['jti'];
  const exp = claims['exp'];
  const identity: Identity = {
    kind: 'token',
    subject,
    groups,
    issuer: issuer.issuer,
    ...(typeof jti === 'string' && jti.length <= MAX_CLAIM_LENGTH ? { tokenId: jti } : {}),
    ...(typeof exp === 'number' ? { expiresAt: exp } : {}),
  };
  return Object.freeze(identity);
}

const SA_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

function stringAt(claims: JsonObject, ...path: string[]): string | undefined {
  const v = claimAt(claims, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Reads who the pod is from a Kubernetes service-account token: the
 * `kubernetes.io` claim of projected tokens, or the subject
 * `system:serviceaccount:NS:NAME` alone for older ones. The two must agree.
 */
export function workloadFromClaims(claims: JsonObject): WorkloadIdentity {
  const sub = typeof claims['sub'] === 'string' ? claims['sub'] : '';
  const m = SA_SUBJECT.exec(sub);
  const k8s = claims['kubernetes.io'];
  const fromClaim = isObject(k8s)
    ? {
        namespace: stringAt(k8s, 'namespace'),
        serviceAccount: stringAt(k8s, 'serviceaccount', 'name'),
        podName: stringAt(k8s, 'pod', 'name'),
      }
    : undefined;
  const namespace = fromClaim?.namespace ?? m?.[1];
  const serviceAccount = fromClaim?.serviceAccount ?? m?.[2];
  if (namespace === undefined || serviceAccount === undefined) {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'workload token is not a Kubernetes service-account token');
  }
  if (m !== null && (m[1] !== namespace || m[2] !== serviceAccount)) {
    throw agError(
      'AG_ERR_AUTH_TOKEN_INVALID',
      'workload token subject disagrees with its kubernetes.io claim',
    );
  }
  const podName = fromClaim?.podName;
  return Object.freeze(
    podName === undefined ? { namespace, serviceAccount } : { namespace, serviceAccount, podName },
  );
}

/** The groups Kubernetes itself gives a service account, so policies can name them as subjects. */
export function workloadGroups(w: WorkloadIdentity): readonly string[] {
  return Object.freeze(['system:serviceaccounts', `system:serviceaccounts:${w.namespace}`]);
}
