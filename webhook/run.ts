// Assembles a running webhook from its configuration: certificates (given,
// or generated and optionally shared through a Secret), policies (files or the
// API), namespace labels and Events (the API, when there is one), the server.

import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { agError } from '../common/errors.js';
import { syncCertificates } from './cert-sync.js';
import { ensureCertificates, FILES } from './certs.js';
import type { InjectConfig } from './config.js';
import {
  kubernetesCertStore,
  kubernetesEvents,
  kubernetesNamespaces,
  kubernetesPolicies,
} from './kubernetes.js';
import { startWebhookServer, type WebhookServer } from './server.js';
import {
  type EventRecorder,
  filePolicies,
  type NamespaceLookup,
  NO_EVENTS,
  NO_NAMESPACE_LOOKUP,
  type PolicySource,
} from './sources.js';

export type TlsSource =
  | { readonly kind: 'files'; readonly certFile: string; readonly keyFile: string }
  | {
      readonly kind: 'generate';
      readonly dir: string;
      readonly serviceName: string;
      /** Share through a Secret and keep the webhook configuration's caBundle current. */
      readonly store?: { readonly secretName: string; readonly webhookConfigName: string };
    };

export interface WebhookOptions {
  readonly config: InjectConfig;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsSource;
  readonly policyPaths: readonly string[];
  /** auto: when running in a cluster or KUBECONFIG is set. */
  readonly kubernetes: boolean | 'auto';
  readonly kubeconfig: string | undefined;
}

export interface RunningWebhook {
  readonly server: WebhookServer;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const READY_TIMEOUT = 60_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(agError('AG_ERR_CONFIG_INVALID', `${what} did not answer within ${READY_TIMEOUT / 1000}s`)),
        READY_TIMEOUT,
      ).unref(),
    ),
  ]);
}

export async function startWebhook(opts: WebhookOptions, log: Logger): Promise<RunningWebhook> {
  const useApi =
    opts.kubernetes === 'auto'
      ? opts.kubeconfig !== undefined ||
        process.env['KUBERNETES_SERVICE_HOST'] !== undefined ||
        process.env['KUBECONFIG'] !== undefined
      : opts.kubernetes;
  if (!useApi && opts.policyPaths.length === 0) {
    throw agError('AG_ERR_CLI_USAGE', 'webhook: without the Kubernetes API, --policy PATH is required');
  }
  let kc: KubeConfig | undefined;
  if (useApi) {
    kc = new KubeConfig();
    if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  }
  const closers: (() => Promise<void> | void)[] = [];

  // Certificates first: the server cannot start without them.
  let certFile: string;
  let keyFile: string;
  if (opts.tls.kind === 'files') {
    ({ certFile, keyFile } = opts.tls);
  } else {
    const { dir, serviceName: svc, store } = opts.tls;
    const ns = opts.config.injectorNamespace;
    const certOpts = {
      dnsNames: [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`],
    };
    if (store !== undefined && kc === undefined) {
      throw agError('AG_ERR_CLI_USAGE', 'webhook: --tls-secret needs the Kubernetes API');
    }
    const certStore = store && kc ? kubernetesCertStore(kc, { namespace: ns, ...store }) : undefined;
    const sync = async (): Promise<void> => {
      const set = certStore
        ? await syncCertificates(dir, certOpts, certStore)
        : await ensureCertificates(dir, certOpts);
      if (set.changed !== 'none') log.info({ dir, changed: set.changed }, 'webhook certificates written');
    };
    await sync();
    // Daily: renews well ahead of expiry, and adopts what another replica rotated.
    const timer = setInterval(
      () => sync().catch((err: Error) => log.error({ err: err.message }, 'certificate sync failed')),
      DAY,
    );
    timer.unref();
    closers.push(() => clearInterval(timer));
    certFile = `${dir}/${FILES.cert}`;
    keyFile = `${dir}/${FILES.key}`;
  }

  let policies: PolicySource;
  if (opts.policyPaths.length > 0) {
    policies = await filePolicies(opts.policyPaths, {
      watch: true,
      onReload: (err, count) =>
        err
          ? log.error({ err: err.message }, 'policy reload failed; keeping the last good set')
          : log.info({ count }, 'policies reloaded'),
    });
  } else {
    const k = kubernetesPolicies(kc!, (m) => log.warn(m));
    await withTimeout(k.ready, 'the AgentPolicy list');
    policies = k;
  }
  closers.push(() => policies.close());

  let namespaces: NamespaceLookup = NO_NAMESPACE_LOOKUP;
  let events: EventRecorder = NO_EVENTS;
  if (kc !== undefined) {
    const n = kubernetesNamespaces(kc, (m) => log.warn(m));
    await withTimeout(n.ready, 'the Namespace list');
    closers.push(() => n.close());
    namespaces = n;
    events = kubernetesEvents(kc, 'agentgate-webhook');
  }

  const server = await startWebhookServer({
    host: opts.host,
    port: opts.port,
    certFile,
    keyFile,
    logger: log,
    deps: { config: opts.config, policies, namespaces, events },
  });
  log.info(
    {
      url: server.url,
      image: opts.config.sidecarImage,
      native: opts.config.nativeSidecars,
      kubernetes: kc !== undefined,
    },
    'webhook listening',
  );
  return {
    server,
    close: async () => {
      await server.close();
      for (const c of closers.reverse()) await c();
    },
  };
}
