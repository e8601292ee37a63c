// Pods that could undo the gate or read around it. The redirect exempts the
// sidecar's UID and GID, the credentials sit in the sidecar's filesystem, and
// the rules live in the pod's network namespace: a container that shares any of
// those can bypass everything the sidecar enforces. Run on the pod as the user
// wrote it (our own containers stripped), so our init step's NET_ADMIN never counts.

import { type InjectConfig, NAMES } from './config.js';
import type { Container, Pod } from './pod-types.js';

/** Capabilities that let a process rewrite the pod's iptables rules or sockets. */
const DANGEROUS_CAPS = new Set(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'ALL']);

function norm(cap: string): string {
  const up = cap.toUpperCase();
  return up.startsWith('CAP_') ? up.slice(4) : up;
}

function effective(c: Container, pod: Pod): { uid?: number; gid?: number; nonRoot: boolean } {
  const psc = pod.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup;
  // Without runAsUser the image decides, and most images run as root.
  const nonRoot = uid !== undefined ? uid !== 0 : (sc.runAsNonRoot ?? psc.runAsNonRoot) === true;
  return { ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}), nonRoot };
}

/** Every problem found, each a sentence naming the container and the fix. */
export function securityProblems(pod: Pod, config: InjectConfig): string[] {
  const spec = pod.spec;
  if (spec === undefined) return [];
  const problems: string[] = [];
  if (spec.shareProcessNamespace === true) {
    problems.push(
      "pod sets shareProcessNamespace: its containers could read the sidecar's credentials through /proc; remove it",
    );
  }
  if (spec['hostPID'] === true) {
    problems.push(
      "pod sets hostPID: its containers could read the sidecar's credentials through /proc; remove it",
    );
  }
  const all: [string, Container][] = [
    ...(spec.initContainers ?? []).map((c): [string, Container] => ['init container', c]),
    ...spec.containers.map((c): [string, Container] => ['container', c]),
  ];
  for (const [kind, c] of all) {
    const who = `${kind} ${c.name}`;
    const { uid, gid, nonRoot } = effective(c, pod);
    if (uid === config.proxyUid) {
      problems.push(
        `${who} runs as UID ${uid}, the sidecar's, so its traffic would bypass the gate; choose another runAsUser`,
      );
    }
    if (gid === config.proxyGid) {
      problems.push(
        `${who} runs as GID ${gid}, the sidecar's, so its traffic would bypass the gate; choose another runAsGroup`,
      );
    }
    if (c.securityContext?.privileged === true) {
      problems.push(`${who} is privileged and could rewrite the pod's redirect rules; remove privileged`);
      continue;
    }
    const added = (c.securityContext?.capabilities?.add ?? []).map(norm).filter((x) => DANGEROUS_CAPS.has(x));
    if (added.length > 0 && !nonRoot) {
      problems.push(
        `${who} may run as root with ${added.join(', ')} and could rewrite the pod's redirect rules; drop ${added.length > 1 ? 'them' : 'it'} or run as non-root`,
      );
    }
  }
  return problems;
}

function reservedVolume(name: string): boolean {
  return name.startsWith('agentgate-');
}

/**
 * Containers of the pod's own that mount a volume under our reserved names
 * (`agentgate-*`): the injection would add that volume (a credential Secret,
 * the sidecar's token) and hand it to them. Always refused, whatever the
 * security mode: it is a credential leak, not a risk.
 */
export function reservedMountProblems(pod: Pod): string[] {
  const spec = pod.spec;
  if (spec === undefined) return [];
  const problems: string[] = [];
  const all = [
    ...(spec.initContainers ?? []),
    ...spec.containers,
    ...((spec['ephemeralContainers'] as Container[] | undefined) ?? []),
  ];
  for (const c of all) {
    const names = (c.volumeMounts ?? []).map((m) => m.name).filter(reservedVolume);
    if (names.length > 0) {
      problems.push(
        `container ${c.name} mounts ${names.join(', ')}: volumes named agentgate-* are reserved for the sidecar (they hold its credentials)`,
      );
    }
  }
  return problems;
}

/**
 * Ephemeral containers added to an injected pod (kubectl debug) that could
 * reach around the gate: sharing the sidecar's or init step's process
 * namespace, mounting our volumes, running as the sidecar's UID or GID, or as
 * root with capabilities that rewrite the redirect or trace processes.
 */
export function ephemeralProblems(before: Pod, after: Pod, config: InjectConfig): string[] {
  const had = new Set(
    ((before.spec?.['ephemeralContainers'] as Container[] | undefined) ?? []).map((c) => c.name),
  );
  const added = ((after.spec?.['ephemeralContainers'] as Container[] | undefined) ?? []).filter(
    (c) => !had.has(c.name),
  );
  const problems: string[] = [];
  for (const c of added) {
    const who = `ephemeral container ${c.name}`;
    const target = c['targetContainerName'];
    if (target === NAMES.sidecar || target === NAMES.init) {
      problems.push(
        `${who} targets ${String(target)} and could read the sidecar's credentials through /proc; target the app container`,
      );
    }
    const { uid, gid, nonRoot } = effective(c, after);
    if (uid === config.proxyUid)
      problems.push(`${who} runs as UID ${uid}, the sidecar's; its traffic would bypass the gate`);
    if (gid === config.proxyGid)
      problems.push(`${who} runs as GID ${gid}, the sidecar's; its traffic would bypass the gate`);
    if (c.securityContext?.privileged === true) {
      problems.push(`${who} is privileged and could rewrite the pod's redirect rules`);
      continue;
    }
    const added2 = (c.securityContext?.capabilities?.add ?? [])
      .map(norm)
      .filter((x) => DANGEROUS_CAPS.has(x) || x === 'SYS_PTRACE');
    if (added2.length > 0 && !nonRoot) {
      problems.push(
        `${who} may run as root with ${added2.join(', ')} and could undo or read around the gate`,
      );
    }
  }
  return [...problems, ...reservedMountProblems({ spec: { containers: [], ephemeralContainers: added } })];
}
