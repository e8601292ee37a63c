// The `agentgate.io/status` annotation and its inverse. The annotation lists
// exactly what we added, so reinvocation can take it all out and inject again:
// the result is the same however often the webhook runs.

import { ANNOTATIONS, NAMES } from './config.js';
import type { Pod } from './pod-types.js';

export const STATUS_VERSION = 1;

export interface InjectionStatus {
  readonly version: number;
  readonly initContainers: readonly string[];
  readonly containers: readonly string[];
  readonly volumes: readonly string[];
  /** target -> Secret mounted into the sidecar. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Annotations we set that the pod did not have (e.g. kubectl's default container). */
  readonly annotations: readonly string[];
  readonly native: boolean;
}

export function formatStatus(s: InjectionStatus): string {
  return JSON.stringify(s);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Parses a status annotation; a malformed one reads as empty (strip then falls back to our fixed names). */
export function parseStatus(
  text: string | undefined,
): Omit<InjectionStatus, 'version' | 'credentials' | 'native'> {
  let raw: unknown;
  try {
    raw = text === undefined ? undefined : JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const o = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return {
    initContainers: strings(o['initContainers']),
    containers: strings(o['containers']),
    volumes: strings(o['volumes']),
    annotations: strings(o['annotations']),
  };
}

const FIXED_CONTAINERS: ReadonlySet<string> = new Set([NAMES.init, NAMES.sidecar]);
const FIXED_VOLUMES: ReadonlySet<string> = new Set([
  NAMES.tokenVolume,
  NAMES.kubeApiVolume,
  NAMES.podInfoVolume,
  NAMES.runVolume,
  NAMES.xtablesVolume,
  NAMES.policyVolume,
]);

/**
 * A deep copy of the pod without anything we injected: the containers and
 * volumes the status lists, plus our reserved names in case the annotation was
 * lost, and the annotations we added. The pod's own objects are untouched.
 */
export function stripInjection(pod: Pod): Pod {
  const copy = structuredClone(pod);
  const ann = copy.metadata?.annotations;
  const status = parseStatus(ann?.[ANNOTATIONS.status]);
  const containers = new Set([...FIXED_CONTAINERS, ...status.initContainers, ...status.containers]);
  const volumes = new Set([...FIXED_VOLUMES, ...status.volumes]);
  const ours = (name: string): boolean => containers.has(name);
  const ourVolume = (name: string): boolean =>
    volumes.has(name) || name.startsWith(NAMES.credentialVolumePrefix);
  const spec = copy.spec;
  if (spec !== undefined) {
    spec.containers = spec.containers.filter((c) => !ours(c.name));
    if (spec.initContainers !== undefined) {
      spec.initContainers = spec.initContainers.filter((c) => !ours(c.name));
      if (spec.initContainers.length === 0) delete spec.initContainers;
    }
    if (spec.volumes !== undefined) {
      spec.volumes = spec.volumes.filter((v) => !ourVolume(v.name));
      if (spec.volumes.length === 0) delete spec.volumes;
    }
  }
  if (ann !== undefined) {
    for (const key of status.annotations) delete ann[key];
    delete ann[ANNOTATIONS.status];
  }
  return copy;
}
