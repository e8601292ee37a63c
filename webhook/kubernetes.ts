// The Kubernetes-backed implementations of the webhook's outside world:
// AgentPolicies and Namespaces from informers (list + watch, cached, so the
// admission path only reads memory), Events, and publishing the certificates
// into the webhook's Secret and the caBundle of its webhook configuration.

import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type V1Namespace,
} from '@kubernetes/client-node';
import { type AgentPolicy, API_GROUP, API_VERSION } from '../api/types.js';
import { PolicyEngine } from '../sidecar/policy/engine.js';
import { validatePolicy } from '../sidecar/policy/validate.js';
import type { CertificateStore } from './cert-sync.js';
import type { EventRecorder, NamespaceLookup, PolicySource } from './sources.js';

export interface KubernetesSource {
  /** Resolves after the first list, so the webhook never answers from an empty cache. */
  readonly ready: Promise<void>;
}

type Informer<T extends KubernetesObject> = ReturnType<typeof makeInformer<T>>;

function started<T extends KubernetesObject>(
  informer: Informer<T>,
  onError: (err: unknown) => void,
  closed: () => boolean,
): Promise<void> {
  informer.on('error', (err: unknown) => {
    if (closed()) return;
    onError(err);
    // The informer stops on error; start again after a pause (it re-lists).
    setTimeout(() => {
      if (!closed()) informer.start().catch(onError);
    }, 2000).unref();
  });
  return informer.start();
}

/** AgentPolicies of every namespace, recompiled on each change. Invalid objects are skipped and reported. */
export function kubernetesPolicies(
  kc: KubeConfig,
  onProblem: (message: string) => void = () => {},
): PolicySource & KubernetesSource {
  const api = kc.makeApiClient(CustomObjectsApi);
  const informer = makeInformer<AgentPolicy & KubernetesObject>(
    kc,
    `/apis/${API_GROUP}/${API_VERSION}/agentpolicies`,
    () =>
      api.listClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: 'agentpolicies',
      }) as Promise<KubernetesListObject<AgentPolicy & KubernetesObject>>,
  );
  let engine = PolicyEngine.compile([]);
  const recompile = (): void => {
    const valid: AgentPolicy[] = [];
    for (const p of informer.list()) {
      const issues = validatePolicy(p);
      if (issues.length === 0) valid.push(p);
      else
        onProblem(
          `AgentPolicy ${p.metadata.namespace}/${p.metadata.name}: ${issues[0]!.path}: ${issues[0]!.message}`,
        );
    }
    valid.sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}` < `${b.metadata.namespace}/${b.metadata.name}` ? -1 : 1,
    );
    engine = PolicyEngine.compile(valid);
  };
  informer.on('add', recompile);
  informer.on('update', recompile);
  informer.on('delete', recompile);
  let closed = false;
  const ready = started(
    informer,
    (err) => onProblem(`AgentPolicy watch: ${(err as Error).message ?? err}`),
    () => closed,
  ).then(recompile);
  return {
    ready,
    current: () => engine,
    close: async () => {
      closed = true;
      await informer.stop();
    },
  };
}

/** Namespace labels from a cache. */
export function kubernetesNamespaces(
  kc: KubeConfig,
  onProblem: (message: string) => void = () => {},
): NamespaceLookup & KubernetesSource & { close(): Promise<void> } {
  const api = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Namespace>(kc, '/api/v1/namespaces', () => api.listNamespace());
  let closed = false;
  const ready = started(
    informer,
    (err) => onProblem(`Namespace watch: ${(err as Error).message ?? err}`),
    () => closed,
  );
  return {
    ready,
    labels: (ns) => informer.get(ns)?.metadata?.labels,
    close: async () => {
      closed = true;
      await informer.stop();
    },
  };
}

/**
 * Events through the core/v1 API, fire and forget: an Event that cannot be
 * written must never slow or fail an admission. At most `perMinute` a minute.
 */
export function kubernetesEvents(kc: KubeConfig, component: string, perMinute = 120): EventRecorder {
  const api = kc.makeApiClient(CoreV1Api);
  let windowStart = 0;
  let sent = 0;
  return {
    record(involved, type, reason, message) {
      const now = Date.now();
      if (now - windowStart > 60_000) {
        windowStart = now;
        sent = 0;
      }
      if (++sent > perMinute) return;
      const at = new Date(now);
      api
        .createNamespacedEvent({
          namespace: involved.namespace,
          body: {
            metadata: { generateName: `${involved.name}.`, namespace: involved.namespace },
            involvedObject: {
              kind: involved.kind,
              name: involved.name,
              namespace: involved.namespace,
              ...(involved.uid ? { uid: involved.uid } : {}),
            },
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component },
            reportingComponent: component,
            reportingInstance: process.env['HOSTNAME'] ?? component,
            firstTimestamp: at,
            lastTimestamp: at,
            count: 1,
          },
        })
        .catch(() => {});
    },
  };
}

export interface CertStoreTarget {
  readonly namespace: string;
  readonly secretName: string;
  readonly webhookConfigName: string;
}

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number };
  return e.code ?? e.statusCode;
}

/**
 * The webhook's certificates in a Secret (shared by every replica) and its CA
 * bundle in the webhook configuration. Writes carry the resourceVersion they
 * read, so two replicas racing to create or rotate cannot both win.
 */
export function kubernetesCertStore(kc: KubeConfig, target: CertStoreTarget): CertificateStore {
  const core = kc.makeApiClient(CoreV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const { namespace, secretName: name } = target;
  return {
    async read() {
      try {
        const secret = await core.readNamespacedSecret({ name, namespace });
        const files: Record<string, string> = {};
        for (const [k, v] of Object.entries(secret.data ?? {}))
          files[k] = Buffer.from(v, 'base64').toString('utf8');
        return { files, version: secret.metadata?.resourceVersion ?? '' };
      } catch (err) {
        if (statusCode(err) === 404) return undefined;
        throw err;
      }
    },
    async write(files, version) {
      const data = Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      try {
        if (version === undefined) {
          await core.createNamespacedSecret({
            namespace,
            body: {
              metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'agentgate' } },
              type: 'kubernetes.io/tls',
              data,
            },
          });
        } else {
          const secret = await core.readNamespacedSecret({ name, namespace });
          if (secret.metadata?.resourceVersion !== version) return 'conflict';
          await core.replaceNamespacedSecret({
            name,
            namespace,
            body: { ...secret, data: { ...secret.data, ...data } },
          });
        }
        return 'ok';
      } catch (err) {
        if (statusCode(err) === 409) return 'conflict';
        throw err;
      }
    },
    async publishBundle(caBundle) {
      const encoded = Buffer.from(caBundle).toString('base64');
      for (let attempt = 0; ; attempt++) {
        const mwc = await admission.readMutatingWebhookConfiguration({ name: target.webhookConfigName });
        if ((mwc.webhooks ?? []).every((w) => w.clientConfig.caBundle === encoded)) return;
        for (const w of mwc.webhooks ?? []) w.clientConfig.caBundle = encoded;
        try {
          await admission.replaceMutatingWebhookConfiguration({ name: target.webhookConfigName, body: mwc });
          return;
        } catch (err) {
          // Optimistic concurrency: another replica wrote first; read again.
          if (statusCode(err) !== 409 || attempt >= 4) throw err;
        }
      }
    },
  };
}
