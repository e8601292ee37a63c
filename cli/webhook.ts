// `agentgate webhook`: the mutating admission webhook that injects the sidecar.
// Flags map one to one onto webhook/config.ts and the chart's values.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { agError } from '../common/errors.js';
import { DEFAULT_CONFIG, type InjectConfig, injectConfig, type Resources } from '../webhook/config.js';
import { startWebhook } from '../webhook/run.js';
import { type FlagSpec, type FlagValues, flagHelp, list, parseFlags, required, str } from './args.js';

const COMMAND = 'webhook';

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'tls-cert',
    type: 'string',
    placeholder: 'FILE',
    description: 'serving certificate (PEM); without it one is generated',
  },
  { name: 'tls-key', type: 'string', placeholder: 'FILE', description: 'its private key (PEM)' },
  {
    name: 'cert-dir',
    type: 'string',
    placeholder: 'DIR',
    description: 'where a generated CA and certificate are kept (default: $TMPDIR/agentgate-webhook-certs)',
  },
  {
    name: 'listen',
    type: 'string',
    default: '0.0.0.0:8443',
    placeholder: 'HOST:PORT',
    description: 'HTTPS listener',
  },
  {
    name: 'sidecar-image',
    type: 'string',
    placeholder: 'IMAGE',
    description: 'image of the init step and the sidecar (required)',
  },
  {
    name: 'image-pull-policy',
    type: 'string',
    default: DEFAULT_CONFIG.imagePullPolicy,
    placeholder: 'POLICY',
    description: 'for the injected containers',
  },
  {
    name: 'policy',
    type: 'string',
    multiple: true,
    placeholder: 'PATH',
    description: 'AgentPolicy file or folder (reloaded on change)',
  },
  {
    name: 'proxy-uid',
    type: 'string',
    default: String(DEFAULT_CONFIG.proxyUid),
    placeholder: 'N',
    description: "the sidecar's UID, exempt from the redirect",
  },
  {
    name: 'proxy-gid',
    type: 'string',
    placeholder: 'N',
    description: "the sidecar's GID (default: the UID)",
  },
  {
    name: 'injector-namespace',
    type: 'string',
    default: DEFAULT_CONFIG.injectorNamespace,
    placeholder: 'NS',
    description: "the webhook's own namespace: never injected",
  },
  {
    name: 'service-name',
    type: 'string',
    default: 'agentgate-webhook',
    placeholder: 'NAME',
    description: "the webhook Service, for the generated certificate's names",
  },
  {
    name: 'native-sidecars',
    type: 'string',
    default: 'true',
    placeholder: 'true|false',
    description: 'native sidecars (Kubernetes >= 1.29) or the legacy first container',
  },
  {
    name: 'security-mode',
    type: 'string',
    default: 'refuse',
    placeholder: 'refuse|warn',
    description: 'what pods that could bypass the gate get',
  },
  {
    name: 'sidecar-policy-source',
    type: 'string',
    default: 'configMap',
    placeholder: 'configMap|kubernetes',
    description:
      'where sidecars read AgentPolicies: a ConfigMap in their namespace, or the API (needs a sidecar that watches it)',
  },
  {
    name: 'workload-issuer',
    type: 'string',
    placeholder: 'URL',
    description: "passed to the sidecar's --workload-issuer (the cluster's service-account issuer)",
  },
  {
    name: 'sidecar-policy-configmap',
    type: 'string',
    default: 'agentgate-policies',
    placeholder: 'NAME',
    description: "with --sidecar-policy-source configMap: the ConfigMap in the pod's namespace",
  },
  {
    name: 'otlp-endpoint',
    type: 'string',
    placeholder: 'URL',
    description: "passed to the sidecar's --otlp-endpoint",
  },
  {
    name: 'oidc-issuer',
    type: 'string',
    multiple: true,
    placeholder: 'URL',
    description: "passed to the sidecar's --oidc-issuer",
  },
  {
    name: 'oidc-audience',
    type: 'string',
    placeholder: 'AUD',
    description: "passed to the sidecar's --oidc-audience",
  },
  {
    name: 'groups-claim',
    type: 'string',
    placeholder: 'NAME',
    description: "passed to the sidecar's --groups-claim (claim or dotted path holding groups)",
  },
  {
    name: 'subject-claim',
    type: 'string',
    placeholder: 'NAME',
    description: "passed to the sidecar's --subject-claim",
  },
  {
    name: 'token-audience',
    type: 'string',
    default: DEFAULT_CONFIG.tokenAudience,
    placeholder: 'AUD',
    description: "audience of the sidecar's projected service-account token",
  },
  {
    name: 'sidecar-resources',
    type: 'string',
    placeholder: 'JSON',
    description: 'the sidecar\'s resources: {"requests":{"cpu":"50m"},"limits":{"memory":"256Mi"}}',
  },
  {
    name: 'init-resources',
    type: 'string',
    placeholder: 'JSON',
    description: "the init step's resources, as above",
  },
  {
    name: 'excluded-namespaces',
    type: 'string',
    multiple: true,
    placeholder: 'NS',
    description: `namespaces never injected (default ${DEFAULT_CONFIG.excludedNamespaces.join(',')})`,
  },
  {
    name: 'kubernetes',
    type: 'string',
    default: 'auto',
    placeholder: 'auto|true|false',
    description:
      'use the Kubernetes API (policies without --policy, namespace labels, Events); auto: when in a cluster or KUBECONFIG is set',
  },
  {
    name: 'kubeconfig',
    type: 'string',
    placeholder: 'FILE',
    description: 'kubeconfig file (default: in-cluster or KUBECONFIG)',
  },
  {
    name: 'tls-secret',
    type: 'string',
    placeholder: 'NAME',
    description: 'with generated certificates: share them through this Secret in --injector-namespace',
  },
  {
    name: 'webhook-config',
    type: 'string',
    placeholder: 'NAME',
    description: 'with --tls-secret: the MutatingWebhookConfiguration whose caBundle to keep current',
  },
  {
    name: 'shutdown-delay',
    type: 'string',
    default: '5',
    placeholder: 'SECONDS',
    description: 'on SIGTERM, keep answering (with /healthz failing) this long while endpoints update',
  },
  { name: 'log-level', type: 'string', default: 'info', placeholder: 'LEVEL', description: 'pino log level' },
];

const HELP = `Usage: agentgate webhook --sidecar-image IMAGE --policy PATH [flags]

Serves the mutating admission webhook that injects the agentgate init step and
sidecar into opted-in pods (see docs/webhook.md). POST /mutate-pods,
/mutate-pods/namespace-enabled; GET /healthz, /metrics.

${flagHelp(FLAGS)}
`;

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --listen: expected HOST:PORT, got '${text}'`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function id(name: string, text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0x7fffffff) {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name}: expected a number, got '${text}'`);
  }
  return Number(text);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;

function resourcesFlag(name: string, text: string | undefined, fallback: Resources): Resources {
  if (text === undefined || text.trim() === '') return fallback;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name}: not JSON`);
  }
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name}: expected {"requests": {...}, "limits": {...}}`);
  }
  for (const [section, v] of Object.entries(raw)) {
    if ((section !== 'requests' && section !== 'limits') || v === null || typeof v !== 'object') {
      throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name}: unexpected '${section}'`);
    }
    const entries = Object.entries(v as Record<string, unknown>).map(([k, q]) => {
      const qs = String(q);
      if (!QUANTITY.test(qs))
        throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name}: ${section}.${k}: not a quantity: '${qs}'`);
      return [k, qs] as const;
    });
    if (entries.length > 0) out[section] = Object.fromEntries(entries);
  }
  return out;
}

/** The injection configuration the flags describe. */
export function configFromFlags(values: FlagValues): InjectConfig {
  const uid = id('proxy-uid', str(values, 'proxy-uid') ?? String(DEFAULT_CONFIG.proxyUid));
  const gidText = str(values, 'proxy-gid');
  const cm = str(values, 'sidecar-policy-configmap');
  const otlp = str(values, 'otlp-endpoint');
  const aud = str(values, 'oidc-audience');
  const excluded = list(values, 'excluded-namespaces');
  return injectConfig({
    sidecarResources: resourcesFlag(
      'sidecar-resources',
      str(values, 'sidecar-resources'),
      DEFAULT_CONFIG.sidecarResources,
    ),
    initResources: resourcesFlag(
      'init-resources',
      str(values, 'init-resources'),
      DEFAULT_CONFIG.initResources,
    ),
    excludedNamespaces: excluded.length > 0 ? excluded : DEFAULT_CONFIG.excludedNamespaces,
    sidecarImage: required(COMMAND, values, 'sidecar-image'),
    imagePullPolicy: oneOf('image-pull-policy', str(values, 'image-pull-policy') ?? 'IfNotPresent', [
      'Always',
      'IfNotPresent',
      'Never',
    ]),
    proxyUid: uid,
    proxyGid: gidText === undefined ? uid : id('proxy-gid', gidText),
    injectorNamespace: str(values, 'injector-namespace') ?? DEFAULT_CONFIG.injectorNamespace,
    nativeSidecars:
      oneOf('native-sidecars', str(values, 'native-sidecars') ?? 'true', ['true', 'false']) === 'true',
    securityMode: oneOf('security-mode', str(values, 'security-mode') ?? 'refuse', [
      'refuse',
      'warn',
    ] as const),
    policySource:
      oneOf('sidecar-policy-source', str(values, 'sidecar-policy-source') ?? 'configMap', [
        'configMap',
        'kubernetes',
      ] as const) === 'kubernetes'
        ? { kind: 'kubernetes' }
        : { kind: 'configMap', name: cm ?? 'agentgate-policies' },
    workloadIssuer: str(values, 'workload-issuer'),
    otlpEndpoint: otlp,
    oidcIssuers: list(values, 'oidc-issuer'),
    oidcAudience: aud,
    groupsClaim: str(values, 'groups-claim'),
    subjectClaim: str(values, 'subject-claim'),
    tokenAudience: str(values, 'token-audience') ?? DEFAULT_CONFIG.tokenAudience,
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(COMMAND, FLAGS, argv);
  if (values['help'] === true) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: unexpected argument '${positionals[0]}'`);
  const config = configFromFlags(values);
  const { host, port } = parseListen(str(values, 'listen') ?? '0.0.0.0:8443');
  const certFile = str(values, 'tls-cert');
  const keyFile = str(values, 'tls-key');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --tls-cert and --tls-key go together`);
  }
  const kubernetes = oneOf('kubernetes', str(values, 'kubernetes') ?? 'auto', [
    'auto',
    'true',
    'false',
  ] as const);
  const tlsSecret = str(values, 'tls-secret');
  const webhookConfig = str(values, 'webhook-config');
  if ((tlsSecret === undefined) !== (webhookConfig === undefined)) {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --tls-secret and --webhook-config go together`);
  }
  const log = pino({ level: str(values, 'log-level') ?? 'info', base: { component: 'webhook' } });
  const webhook = await startWebhook(
    {
      config,
      host,
      port,
      tls:
        certFile !== undefined && keyFile !== undefined
          ? { kind: 'files', certFile, keyFile }
          : {
              kind: 'generate',
              dir: str(values, 'cert-dir') ?? join(tmpdir(), 'agentgate-webhook-certs'),
              serviceName: str(values, 'service-name') ?? 'agentgate-webhook',
              ...(tlsSecret !== undefined && webhookConfig !== undefined
                ? { store: { secretName: tlsSecret, webhookConfigName: webhookConfig } }
                : {}),
            },
      policyPaths: list(values, 'policy'),
      kubernetes: kubernetes === 'auto' ? 'auto' : kubernetes === 'true',
      kubeconfig: str(values, 'kubeconfig'),
    },
    log,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // The API server keeps calling this pod until the endpoint removal reaches
  // it; with failurePolicy Fail, closing at once would refuse those pods.
  webhook.server.drain();
  const delay = Number(str(values, 'shutdown-delay') ?? '5');
  if (Number.isFinite(delay) && delay > 0) await new Promise((r) => setTimeout(r, delay * 1000));
  await webhook.close();
  return 0;
}
