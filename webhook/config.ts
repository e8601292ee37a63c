// What the injector adds and how strict it is, fixed when the webhook starts.
// Every default here is documented in docs/webhook.md; the chart's values map
// onto these fields one to one.

/** The sidecar's own UID and GID. Not Istio's 1337 or Linkerd's 2102, so an
 *  agentgate pod can sit in a mesh pod without the two redirects exempting
 *  each other's traffic. */
export const DEFAULT_PROXY_UID = 15337;
export const DEFAULT_PROXY_PORT = 15001;
export const DEFAULT_ADMIN_PORT = 15020;

/** Names and paths we own inside a pod. Strip finds exactly these. */
export const NAMES = {
  init: 'agentgate-init',
  sidecar: 'agentgate-sidecar',
  tokenVolume: 'agentgate-token',
  kubeApiVolume: 'agentgate-kube-api',
  /** No longer injected; still stripped from pods injected by earlier versions. */
  podInfoVolume: 'agentgate-podinfo',
  runVolume: 'agentgate-run',
  xtablesVolume: 'agentgate-xtables-lock',
  policyVolume: 'agentgate-policy',
  credentialVolumePrefix: 'agentgate-cred-',
} as const;

export const PATHS = {
  secretsDir: '/var/run/agentgate/secrets',
  /** The sidecar's default --workload-token-file lives here. */
  tokenDir: '/var/run/secrets/agentgate.io/serviceaccount',
  /** Where Kubernetes clients look for in-cluster credentials. */
  kubeApiDir: '/var/run/secrets/kubernetes.io/serviceaccount',
  runDir: '/var/run/agentgate/run',
  policyDir: '/etc/agentgate/policy',
} as const;

export const LABELS = {
  /** Pod label: `"true"` opts in, `"false"` opts out even in an enabled namespace. */
  inject: 'agentgate.io/inject',
  /** Namespace label: `enabled` opts every pod in, `disabled` opts out. */
  injection: 'agentgate.io/injection',
} as const;

export const ANNOTATIONS = {
  status: 'agentgate.io/status',
  excludePorts: 'agentgate.io/exclude-outbound-ports',
  excludeCidrs: 'agentgate.io/exclude-outbound-cidrs',
} as const;

export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** Where the sidecar reads its AgentPolicies. */
export type SidecarPolicySource =
  /** Watch the Kubernetes API (the pod's service account needs the sidecar ClusterRole). */
  | { readonly kind: 'kubernetes' }
  /** A ConfigMap in the pod's namespace, mounted at PATHS.policyDir. */
  | { readonly kind: 'configMap'; readonly name: string };

export interface InjectConfig {
  readonly sidecarImage: string;
  readonly imagePullPolicy: string;
  readonly proxyUid: number;
  readonly proxyGid: number;
  readonly proxyPort: number;
  readonly adminPort: number;
  /** Native sidecars (Kubernetes >= 1.29): an init container with restartPolicy Always. */
  readonly nativeSidecars: boolean;
  /** What a pod that could undo or read around the gate gets: refused, or injected with a warning. */
  readonly securityMode: 'refuse' | 'warn';
  /** The injector's own namespace: never injected. */
  readonly injectorNamespace: string;
  /** Namespaces never injected, whatever their labels say. */
  readonly excludedNamespaces: readonly string[];
  readonly policySource: SidecarPolicySource;
  readonly otlpEndpoint: string | undefined;
  readonly oidcIssuers: readonly string[];
  readonly oidcAudience: string | undefined;
  /** The sidecar's --groups-claim: the claim (or dotted path, e.g. realm_access.roles) holding groups. */
  readonly groupsClaim?: string | undefined;
  /** The sidecar's --subject-claim. */
  readonly subjectClaim?: string | undefined;
  /** The cluster's service-account issuer, for the sidecar's workload identity. */
  readonly workloadIssuer: string | undefined;
  /** Audience of the projected service-account token (the sidecar's workload identity). */
  readonly tokenAudience: string;
  readonly tokenExpirationSeconds: number;
  readonly sidecarResources: Resources;
  readonly initResources: Resources;
}

export const DEFAULT_CONFIG: InjectConfig = {
  sidecarImage: 'ghcr.io/agentgate/agentgate:0.1.0',
  imagePullPolicy: 'IfNotPresent',
  proxyUid: DEFAULT_PROXY_UID,
  proxyGid: DEFAULT_PROXY_UID,
  proxyPort: DEFAULT_PROXY_PORT,
  adminPort: DEFAULT_ADMIN_PORT,
  nativeSidecars: true,
  securityMode: 'refuse',
  injectorNamespace: 'agentgate-system',
  excludedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
  // ConfigMap by default: the sidecar in this build needs --policy files.
  policySource: { kind: 'configMap', name: 'agentgate-policies' },
  otlpEndpoint: undefined,
  oidcIssuers: [],
  oidcAudience: undefined,
  workloadIssuer: undefined,
  tokenAudience: 'agentgate',
  tokenExpirationSeconds: 3600,
  sidecarResources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  initResources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '96Mi' } },
};

export function injectConfig(overrides: Partial<InjectConfig> = {}): InjectConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}
