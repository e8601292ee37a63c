// The containers and volumes we add to a pod, built from configuration alone.
// Fields the API server would default are written out (termination message,
// probe thresholds, fieldRef apiVersion, volume modes) so a pod that comes back
// to us on reinvocation compares equal to what we would inject again.

import { createHash } from 'node:crypto';
import type { Target } from '../api/types.js';
import { type InjectConfig, NAMES, PATHS, type Resources } from './config.js';
import type { Exclusions } from './exclusions.js';
import type { Container, EnvVar, HttpProbe, Volume, VolumeMount } from './pod-types.js';

/** A credential Secret mounted for one target. */
export interface CredentialMount {
  readonly target: string;
  readonly secret: string;
  readonly volume: string;
}

const MAX_NAME = 63;

/** DNS-label volume name for a target's credentials, hashed when the name would be too long. */
export function credentialVolumeName(target: string): string {
  const name = `${NAMES.credentialVolumePrefix}${target}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(target).digest('hex').slice(0, 8);
  const room = MAX_NAME - NAMES.credentialVolumePrefix.length - hash.length - 1;
  return `${NAMES.credentialVolumePrefix}${target.slice(0, room).replace(/-+$/, '')}-${hash}`;
}

/** Targets with credentials, in name order so the pod does not depend on policy order. */
export function credentialMounts(targets: readonly Target[]): CredentialMount[] {
  const out: CredentialMount[] = [];
  for (const t of targets) {
    if (t.credentialsSecretRef === undefined) continue;
    out.push({ target: t.name, secret: t.credentialsSecretRef.name, volume: credentialVolumeName(t.name) });
  }
  return out.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

function resources(r: Resources): Container['resources'] {
  return {
    ...(r.limits ? { limits: { ...r.limits } } : {}),
    ...(r.requests ? { requests: { ...r.requests } } : {}),
  };
}

function fieldEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function readyProbe(config: InjectConfig, periodSeconds: number, failureThreshold: number): HttpProbe {
  return {
    httpGet: { path: '/healthz/ready', port: config.adminPort, scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
    successThreshold: 1,
  };
}

/** The init step: installs the redirect, then exits. Root with NET_ADMIN and NET_RAW, nothing else. */
export function initContainer(config: InjectConfig, ex: Exclusions): Container {
  const args = [
    'iptables',
    '--proxy-port',
    String(config.proxyPort),
    '--proxy-uid',
    String(config.proxyUid),
    '--proxy-gid',
    String(config.proxyGid),
    '--admin-port',
    String(config.adminPort),
  ];
  if (ex.ports !== '') args.push('--exclude-ports', ex.ports);
  if (ex.cidrs !== '') args.push('--exclude-cidrs', ex.cidrs);
  return {
    name: NAMES.init,
    image: config.sidecarImage,
    imagePullPolicy: config.imagePullPolicy,
    args,
    resources: resources(config.initResources),
    securityContext: {
      // iptables needs root in the pod's network namespace; the capability set
      // is what keeps that root harmless.
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // iptables takes its lock in /run: writable there, read-only everywhere else.
    volumeMounts: [{ name: NAMES.xtablesVolume, mountPath: '/run' }],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function sidecarArgs(config: InjectConfig): string[] {
  const args = [
    'sidecar',
    '--listen',
    `0.0.0.0:${config.proxyPort}`,
    // The kubelet probes over the pod IP, so admin cannot stay on loopback.
    '--admin',
    `0.0.0.0:${config.adminPort}`,
    '--secrets-dir',
    PATHS.secretsDir,
    '--spool-dir',
    `${PATHS.runDir}/spool`,
  ];
  if (config.policySource.kind === 'configMap') args.push('--policy', PATHS.policyDir);
  if (config.otlpEndpoint !== undefined) args.push('--otlp-endpoint', config.otlpEndpoint);
  for (const issuer of config.oidcIssuers) args.push('--oidc-issuer', issuer);
  if (config.oidcAudience !== undefined) args.push('--oidc-audience', config.oidcAudience);
  // Without these an IdP that keeps groups elsewhere (Keycloak realm roles, Entra
  // app roles) would give every agent no groups, and group rules would never match.
  if (config.groupsClaim !== undefined) args.push('--groups-claim', config.groupsClaim);
  if (config.subjectClaim !== undefined) args.push('--subject-claim', config.subjectClaim);
  if (config.workloadIssuer !== undefined) args.push('--workload-issuer', config.workloadIssuer);
  return args;
}

/** The gateway. Native: an init container that keeps running; legacy: the first app container. */
function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

export function sidecarContainer(
  config: InjectConfig,
  creds: readonly CredentialMount[],
  labels: Readonly<Record<string, string>> = {},
): Container {
  const mounts: VolumeMount[] = [
    { name: NAMES.tokenVolume, mountPath: PATHS.tokenDir, readOnly: true },
    { name: NAMES.kubeApiVolume, mountPath: PATHS.kubeApiDir, readOnly: true },
    { name: NAMES.runVolume, mountPath: PATHS.runDir },
  ];
  if (config.policySource.kind === 'configMap') {
    mounts.push({ name: NAMES.policyVolume, mountPath: PATHS.policyDir, readOnly: true });
  }
  for (const c of creds) {
    mounts.push({ name: c.volume, mountPath: `${PATHS.secretsDir}/${c.target}`, readOnly: true });
  }
  const c: Container = {
    name: NAMES.sidecar,
    image: config.sidecarImage,
    imagePullPolicy: config.imagePullPolicy,
    args: sidecarArgs(config),
    env: [
      // Every flag reads AGENTGATE_<FLAG>; the downward API fills in who this pod is.
      fieldEnv('AGENTGATE_NAMESPACE', 'metadata.namespace'),
      fieldEnv('AGENTGATE_POD_NAME', 'metadata.name'),
      // --pod-labels as they were at admission (label values hold no ',' or '=').
      { name: 'AGENTGATE_POD_LABELS', value: formatLabels(labels) },
      { name: 'AGENTGATE_WORKLOAD_TOKEN_FILE', value: `${PATHS.tokenDir}/token` },
      { name: 'AGENTGATE_WORKLOAD_AUDIENCE', value: config.tokenAudience },
      { name: 'TMPDIR', value: PATHS.runDir },
    ],
    ports: [
      { containerPort: config.proxyPort, name: 'ag-proxy', protocol: 'TCP' },
      { containerPort: config.adminPort, name: 'ag-admin', protocol: 'TCP' },
    ],
    resources: resources(config.sidecarResources),
    securityContext: {
      runAsUser: config.proxyUid,
      runAsGroup: config.proxyGid,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // Up to 10 minutes for a first start (image pull is not counted; policy
    // load and JWKS discovery are), checked every second so apps start promptly.
    startupProbe: readyProbe(config, 1, 600),
    readinessProbe: readyProbe(config, 5, 3),
    volumeMounts: mounts,
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (config.nativeSidecars) return { ...c, restartPolicy: 'Always' };
  // Legacy: the kubelet starts containers in order and waits for each postStart
  // hook, so holding here keeps the app from starting before the gate is up.
  return {
    ...c,
    lifecycle: {
      postStart: {
        exec: {
          command: ['agentgate', 'wait-ready', '--url', `http://127.0.0.1:${config.adminPort}/healthz/ready`],
        },
      },
    },
  };
}

export function sidecarVolumes(config: InjectConfig, creds: readonly CredentialMount[]): Volume[] {
  const volumes: Volume[] = [
    {
      name: NAMES.tokenVolume,
      projected: {
        defaultMode: 0o444,
        sources: [
          {
            serviceAccountToken: {
              audience: config.tokenAudience,
              expirationSeconds: config.tokenExpirationSeconds,
              path: 'token',
            },
          },
        ],
      },
    },
    // The sidecar's own API credentials (AgentPolicy watch, AccessRequests).
    // The ServiceAccount admission plugin ran before any webhook, so it never
    // mounted the pod's token into our containers; and a pod that turned
    // automounting off for its app still gets a working sidecar. Same shape
    // as the plugin's kube-api-access volume.
    {
      name: NAMES.kubeApiVolume,
      projected: {
        defaultMode: 0o444,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
            },
          },
        ],
      },
    },
    { name: NAMES.runVolume, emptyDir: { sizeLimit: '256Mi' } },
    { name: NAMES.xtablesVolume, emptyDir: {} },
  ];
  if (config.policySource.kind === 'configMap') {
    volumes.push({
      name: NAMES.policyVolume,
      configMap: { name: config.policySource.name, defaultMode: 0o444, optional: false },
    });
  }
  for (const c of creds) {
    // World-readable inside the one container that mounts it: the sidecar runs
    // as its own UID without fsGroup, and no other container mounts the volume
    // (pods that share a process namespace are refused, see security-checks.ts).
    volumes.push({ name: c.volume, secret: { secretName: c.secret, defaultMode: 0o444, optional: false } });
  }
  return volumes;
}
