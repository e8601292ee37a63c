// Injection as a pure function: (pod, what we know about its namespace and
// policies, configuration) -> the injected pod, or why not. The webhook diffs
// the result into a JSON Patch; tests pin it with golden files. Nothing here
// does I/O, so the same function serves the webhook, tests and benchmarks.

import fjp from 'fast-json-patch';
import type { PolicyEngine } from '../sidecar/policy/engine.js';
import { ANNOTATIONS, type InjectConfig } from './config.js';
import { readExclusions } from './exclusions.js';
import { optIn, type SkipReason, wasInjected } from './opt-in.js';
import type { Pod } from './pod-types.js';
import { reservedMountProblems, securityProblems } from './security-checks.js';
import { credentialMounts, initContainer, sidecarContainer, sidecarVolumes } from './sidecar-spec.js';
import { formatStatus, type InjectionStatus, STATUS_VERSION, stripInjection } from './strip.js';

export interface InjectContext {
  /** The request's namespace (a pod from a template has none in its metadata yet). */
  readonly namespace: string;
  /** The namespace's labels; undefined when unknown (then only the pod label opts in). */
  readonly namespaceLabels: Readonly<Record<string, string>> | undefined;
  /** The AgentPolicies in force: which select the pod decides the credentials mounted. */
  readonly policies: PolicyEngine;
}

export type InjectOutcome =
  | {
      readonly kind: 'injected';
      readonly pod: Pod;
      readonly status: InjectionStatus;
      readonly warnings: readonly string[];
    }
  | {
      readonly kind: 'skipped';
      readonly reason: SkipReason;
      readonly message: string;
      readonly warnings: readonly string[];
    }
  | { readonly kind: 'refused'; readonly message: string; readonly problems: readonly string[] };

const KUBECTL_DEFAULT_CONTAINER = 'kubectl.kubernetes.io/default-container';

function refusal(problems: string[]): InjectOutcome {
  return {
    kind: 'refused',
    message: `agentgate: pod refused: ${problems.join('; ')}`,
    problems,
  };
}

export function injectPod(pod: Pod, ctx: InjectContext, config: InjectConfig): InjectOutcome {
  const decision = optIn(pod, ctx.namespace, ctx.namespaceLabels, config);
  if (!decision.inject) {
    return {
      kind: 'skipped',
      reason: decision.reason!,
      message: decision.message!,
      warnings: decision.warning ? [decision.warning] : [],
    };
  }
  if (pod.spec === undefined || !Array.isArray(pod.spec.containers)) {
    return refusal(['pod has no spec.containers']);
  }
  // Everything below works on the pod as its author wrote it, so a second
  // pass (reinvocation) starts from the same place as the first.
  const base = stripInjection(pod);
  const spec = base.spec!;
  const { exclusions, problems: exclusionProblems } = readExclusions(base);
  if (exclusionProblems.length > 0) return refusal(exclusionProblems);

  const leaks = reservedMountProblems(base);
  if (leaks.length > 0) return refusal(leaks);
  const warnings: string[] = [];
  const security = securityProblems(base, config);
  if (security.length > 0) {
    if (config.securityMode === 'refuse') return refusal(security);
    for (const p of security) warnings.push(`agentgate: ${p}; the gate can be bypassed`);
  }

  const labels = base.metadata?.labels ?? {};
  const podPolicy = ctx.policies.forPod({
    namespace: ctx.namespace,
    ...(base.metadata?.name ? { name: base.metadata.name } : {}),
    labels,
  });
  const creds = credentialMounts(podPolicy.targets);
  for (const conflict of podPolicy.conflicts) {
    warnings.push(`agentgate: ${conflict}`);
  }
  if (podPolicy.targets.length === 0) {
    warnings.push(
      'agentgate: no AgentPolicy selects this pod yet; the sidecar denies every connection until one does',
    );
  }

  const init = initContainer(config, exclusions);
  const sidecar = sidecarContainer(config, creds, labels);
  const volumes = sidecarVolumes(config, creds);
  const ownInit = spec.initContainers ?? [];
  const addedAnnotations: string[] = [];
  const annotations = { ...(base.metadata?.annotations ?? {}) };

  if (config.nativeSidecars) {
    // Ours first, so the pod's own init containers run gated too.
    spec.initContainers = [init, sidecar, ...ownInit];
  } else {
    spec.initContainers = [init, ...ownInit];
    spec.containers = [sidecar, ...spec.containers];
    if (ownInit.length > 0) {
      warnings.push(
        "agentgate: legacy sidecar mode: the pod's own init containers run before the sidecar, so their outbound connections are redirected to nothing and fail; use native sidecars (Kubernetes >= 1.29) or exclude their destinations",
      );
    }
    // Our container is first; keep `kubectl logs/exec` pointing at the app.
    const app = spec.containers[1];
    if (annotations[KUBECTL_DEFAULT_CONTAINER] === undefined && app !== undefined) {
      annotations[KUBECTL_DEFAULT_CONTAINER] = app.name;
      addedAnnotations.push(KUBECTL_DEFAULT_CONTAINER);
    }
  }
  spec.volumes = [...(spec.volumes ?? []), ...volumes];

  const status: InjectionStatus = {
    version: STATUS_VERSION,
    initContainers: config.nativeSidecars ? [init.name, sidecar.name] : [init.name],
    containers: config.nativeSidecars ? [] : [sidecar.name],
    volumes: volumes.map((v) => v.name),
    credentials: Object.fromEntries(creds.map((c) => [c.target, c.secret])),
    annotations: addedAnnotations,
    native: config.nativeSidecars,
  };
  annotations[ANNOTATIONS.status] = formatStatus(status);
  base.metadata = { ...(base.metadata ?? {}), annotations };

  // A pod that already carries exactly this injection needs no patch.
  if (wasInjected(pod) && fjp.compare(pod, base).length === 0) {
    return { kind: 'skipped', reason: 'already-injected', message: 'pod is already injected', warnings };
  }
  return { kind: 'injected', pod: base, status, warnings };
}
