// Whether a pod is ours to inject. Opt-in only: a gate nobody asked for breaks
// workloads, and the webhook's own selectors already filter most pods out before
// we see them; this is the same decision made again where it can be tested.

import { ANNOTATIONS, type InjectConfig, LABELS } from './config.js';
import type { Pod } from './pod-types.js';

export type SkipReason =
  | 'namespace-excluded'
  | 'namespace-opted-out'
  | 'pod-opted-out'
  | 'not-opted-in'
  | 'host-network'
  | 'already-injected';

export interface OptInDecision {
  readonly inject: boolean;
  readonly reason?: SkipReason;
  readonly message?: string;
  /** Shown to whoever applies the pod (AdmissionResponse.warnings). */
  readonly warning?: string;
}

const YES: OptInDecision = { inject: true };

export function optIn(
  pod: Pod,
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  config: InjectConfig,
): OptInDecision {
  if (namespace === config.injectorNamespace || config.excludedNamespaces.includes(namespace)) {
    return {
      inject: false,
      reason: 'namespace-excluded',
      message: `namespace ${namespace} is never injected`,
    };
  }
  const podLabel = pod.metadata?.labels?.[LABELS.inject];
  const nsLabel = namespaceLabels?.[LABELS.injection];
  // The namespace's "disabled" wins over the pod, as with Istio: the namespace
  // owner can turn the gate off for a namespace under repair.
  if (nsLabel === 'disabled') {
    return {
      inject: false,
      reason: 'namespace-opted-out',
      message: `namespace ${namespace} has ${LABELS.injection}=disabled`,
    };
  }
  if (podLabel === 'false') {
    return { inject: false, reason: 'pod-opted-out', message: `pod has ${LABELS.inject}=false` };
  }
  if (podLabel !== 'true' && nsLabel !== 'enabled') {
    return { inject: false, reason: 'not-opted-in', message: 'neither the pod nor its namespace opted in' };
  }
  if (pod.spec?.hostNetwork === true) {
    // Redirect rules in the node's network namespace would capture the node's
    // traffic; the pod runs ungated, so say so where the user looks.
    return {
      inject: false,
      reason: 'host-network',
      message: 'pod uses hostNetwork',
      warning: `agentgate: pod uses hostNetwork, so no sidecar was injected and its traffic is NOT gated`,
    };
  }
  return YES;
}

/** True when the pod carries our status annotation (it went through us before). */
export function wasInjected(pod: Pod): boolean {
  return pod.metadata?.annotations?.[ANNOTATIONS.status] !== undefined;
}
