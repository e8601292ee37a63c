// What the webhook needs from the outside world, each behind a small interface
// so the core stays pure and tests use the real file-backed versions (the
// Kubernetes-backed ones need an API server and plug in here).

import { type FSWatcher, watch } from 'node:fs';
import type { AgentPolicy } from '../api/types.js';
import { PolicyEngine } from '../sidecar/policy/engine.js';
import { loadPolicyFiles } from '../sidecar/policy/loader.js';

/** The AgentPolicies in force, compiled. `current()` is called once per admission. */
export interface PolicySource {
  current(): PolicyEngine;
  close(): Promise<void>;
}

/** A fixed set (tests, benchmarks). */
export function staticPolicies(policies: readonly AgentPolicy[]): PolicySource {
  const engine = PolicyEngine.compile(policies);
  return { current: () => engine, close: async () => {} };
}

export interface FilePolicyOptions {
  /** Reload when the files change (a mounted ConfigMap swaps its ..data link). */
  readonly watch?: boolean;
  readonly onReload?: (err: Error | undefined, count: number) => void;
}

/**
 * Policies from files or folders. A reload that fails keeps the last good set:
 * an injector that drops every credential mount because of one typo would
 * break every new pod.
 */
export async function filePolicies(
  paths: readonly string[],
  opts: FilePolicyOptions = {},
): Promise<PolicySource> {
  let engine = PolicyEngine.compile((await loadPolicyFiles(paths)).policies);
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const reload = (): void => {
    loadPolicyFiles(paths).then(
      (loaded) => {
        engine = PolicyEngine.compile(loaded.policies);
        opts.onReload?.(undefined, loaded.policies.length);
      },
      (err: Error) => opts.onReload?.(err, 0),
    );
  };
  if (opts.watch === true) {
    for (const p of paths) {
      const w = watch(p, { recursive: false }, () => {
        clearTimeout(timer);
        timer = setTimeout(reload, 200);
      });
      w.on('error', () => {});
      watchers.push(w);
    }
  }
  return {
    current: () => engine,
    close: async () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

/** A namespace's labels, when the webhook can know them; undefined when it cannot. */
export interface NamespaceLookup {
  labels(namespace: string): Readonly<Record<string, string>> | undefined;
}

export const NO_NAMESPACE_LOOKUP: NamespaceLookup = { labels: () => undefined };

export function staticNamespaces(
  map: Readonly<Record<string, Readonly<Record<string, string>>>>,
): NamespaceLookup {
  return { labels: (ns) => map[ns] };
}

export type EventType = 'Normal' | 'Warning';

/** Kubernetes Events about a pod (or its owner, since a refused pod never exists). */
export interface EventRecorder {
  record(
    involved: { namespace: string; kind: string; name: string; uid?: string },
    type: EventType,
    reason: string,
    message: string,
  ): void;
}

export const NO_EVENTS: EventRecorder = { record: () => {} };
