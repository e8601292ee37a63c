// `agentgate sidecar`: the Layer-7 gateway in an agent pod. Flags (and their
// AGENTGATE_* environment variables) become a SidecarConfig; SIGTERM drains.

import { readFileSync } from 'node:fs';
import { agError } from '../common/errors.js';
import { DEFAULT_WORKLOAD_TOKEN_FILE } from '../sidecar/identity/workload.js';
import { parseHostPort, parseLabels, type SidecarConfig } from '../sidecar/server/config.js';
import { type FlagSpec, flagHelp, list, parseFlags, str } from './args.js';

export const SIDECAR_FLAGS: readonly FlagSpec[] = [
  {
    name: 'policy',
    type: 'string',
    multiple: true,
    placeholder: 'PATH',
    description: 'AgentPolicy file or folder, watched for changes',
  },
  {
    name: 'secrets-dir',
    type: 'string',
    placeholder: 'DIR',
    description: 'upstream credentials: DIR/<target>/username and password',
  },
  {
    name: 'listen',
    type: 'string',
    default: '0.0.0.0:15001',
    placeholder: 'HOST:PORT',
    description: 'transparent listener (redirected traffic)',
  },
  {
    name: 'admin',
    type: 'string',
    default: '127.0.0.1:15020',
    placeholder: 'HOST:PORT',
    description: 'health and metrics endpoints',
  },
  {
    name: 'local-host',
    type: 'string',
    placeholder: 'HOST',
    description: 'where targets with localPort listen (default 127.0.0.1)',
  },
  {
    name: 'tls-cert',
    type: 'string',
    placeholder: 'FILE',
    description: 'certificate for the agent hop (SSLRequest answered S)',
  },
  { name: 'tls-key', type: 'string', placeholder: 'FILE', description: 'its private key' },
  { name: 'no-transparent', type: 'boolean', description: 'serve only the explicit localPort listeners' },
  {
    name: 'unknown-destination',
    type: 'string',
    default: 'deny',
    placeholder: 'deny|passthrough',
    description: 'redirected traffic to no declared target',
  },
  {
    name: 'oidc-issuer',
    type: 'string',
    multiple: true,
    placeholder: 'URL',
    description: 'trusted token issuer',
  },
  {
    name: 'oidc-audience',
    type: 'string',
    multiple: true,
    placeholder: 'AUD',
    description: 'accepted token audience',
  },
  {
    name: 'groups-claim',
    type: 'string',
    placeholder: 'NAME',
    description: 'claim (or dotted path) holding groups',
  },
  {
    name: 'subject-claim',
    type: 'string',
    placeholder: 'NAME',
    description: 'claim naming the agent (default sub)',
  },
  { name: 'oidc-ca-file', type: 'string', placeholder: 'FILE', description: 'CA bundle for the issuers' },
  {
    name: 'oidc-insecure-http',
    type: 'boolean',
    description: 'allow http:// issuers off loopback (demos only; loopback is always allowed)',
  },
  {
    name: 'workload-issuer',
    type: 'string',
    placeholder: 'URL',
    description: "the cluster's service-account issuer (workload identity)",
  },
  {
    name: 'workload-audience',
    type: 'string',
    placeholder: 'AUD',
    description: 'audience of the projected token (default agentgate)',
  },
  {
    name: 'workload-jwks-uri',
    type: 'string',
    placeholder: 'URL',
    description: 'JWKS of the workload issuer',
  },
  {
    name: 'workload-ca-file',
    type: 'string',
    placeholder: 'FILE',
    description: 'CA for the workload issuer (default the service-account CA)',
  },
  {
    name: 'workload-bearer-token-file',
    type: 'string',
    placeholder: 'FILE',
    description: 'credential for the workload issuer (default the pod token)',
  },
  {
    name: 'oidc-algorithms',
    type: 'string',
    placeholder: 'LIST',
    description: 'accepted signing algorithms, e.g. RS256,ES256',
  },
  {
    name: 'oidc-clock-skew',
    type: 'string',
    placeholder: 'SECONDS',
    description: 'tolerance for exp, nbf and iat (default 30)',
  },
  {
    name: 'workload-token-file',
    type: 'string',
    placeholder: 'FILE',
    description: `projected token (default ${DEFAULT_WORKLOAD_TOKEN_FILE})`,
  },
  {
    name: 'allow-anonymous',
    type: 'boolean',
    description: 'without issuers, let connections run as anonymous (demos only)',
  },
  {
    name: 'otlp-endpoint',
    type: 'string',
    placeholder: 'URL',
    description: 'OTLP/HTTP collector for audit spans',
  },
  { name: 'spool-dir', type: 'string', placeholder: 'DIR', description: 'durable audit spool' },
  {
    name: 'spool-max-mb',
    type: 'string',
    default: '256',
    placeholder: 'N',
    description: 'audit spool size limit in MiB (at least 1)',
  },
  {
    name: 'audit-on-full',
    type: 'string',
    default: 'block',
    placeholder: 'block|drop-oldest',
    description:
      'when the spool is full: new commands wait (block), or the oldest spans are dropped and counted',
  },
  {
    name: 'audit-flush-ms',
    type: 'string',
    default: '50',
    placeholder: 'MS',
    description:
      'group commit interval: spans are written to the spool within this many ms (a killed sidecar loses none written); longer costs less CPU per command (1-1000)',
  },
  {
    name: 'audit-fsync-ms',
    type: 'string',
    default: '100',
    placeholder: 'MS',
    description:
      'written spans are fsynced at most this often, the window a node crash or power loss can take; 0 fsyncs every group commit (0-10000)',
  },
  {
    name: 'namespace',
    type: 'string',
    default: 'default',
    placeholder: 'NS',
    description: "this pod's namespace (outside Kubernetes)",
  },
  { name: 'pod-name', type: 'string', placeholder: 'NAME', description: "this pod's name" },
  {
    name: 'pod-labels',
    type: 'string',
    placeholder: 'k=v,k=v',
    description: "this pod's labels (policy podSelector)",
  },
  {
    name: 'drain-seconds',
    type: 'string',
    default: '20',
    placeholder: 'N',
    description: 'on SIGTERM, how long running commands may finish',
  },
  {
    name: 'hash-key-file',
    type: 'string',
    placeholder: 'FILE',
    description: 'key for the hash masking strategy (random per process without)',
  },
  {
    name: 'token-grace-seconds',
    type: 'string',
    default: '0',
    placeholder: 'N',
    description: 'commands allowed after the token expired',
  },
];

export function sidecarConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): SidecarConfig | 'help' {
  const { values } = parseFlags('sidecar', SIDECAR_FLAGS, argv, env);
  if (values['help'] === true) return 'help';
  const unknown = str(values, 'unknown-destination') ?? 'deny';
  if (unknown !== 'deny' && unknown !== 'passthrough') {
    throw agError('AG_ERR_CLI_USAGE', `--unknown-destination ${unknown}: deny or passthrough`);
  }
  const num = (name: string): number => {
    const n = Number(str(values, name));
    if (!Number.isFinite(n) || n < 0)
      throw agError('AG_ERR_CLI_USAGE', `--${name} must be a number of seconds`);
    return n;
  };
  const hashKeyFile = str(values, 'hash-key-file');
  const algorithms = str(values, 'oidc-algorithms');
  const skew = str(values, 'oidc-clock-skew');
  const clockSkew = skew === undefined ? undefined : Number(skew);
  if (clockSkew !== undefined && !(Number.isFinite(clockSkew) && clockSkew >= 0)) {
    throw agError('AG_ERR_CLI_USAGE', '--oidc-clock-skew must be a number of seconds');
  }
  const workloadIssuer = str(values, 'workload-issuer');
  const onFull = str(values, 'audit-on-full');
  if (onFull !== 'block' && onFull !== 'drop-oldest') {
    throw agError('AG_ERR_CLI_USAGE', `--audit-on-full ${onFull}: block or drop-oldest`);
  }
  const spoolMb = Number(str(values, 'spool-max-mb'));
  if (!(Number.isInteger(spoolMb) && spoolMb >= 1)) {
    throw agError('AG_ERR_CLI_USAGE', '--spool-max-mb must be a whole number of MiB, at least 1');
  }
  const flushMs = Number(str(values, 'audit-flush-ms'));
  if (!(Number.isInteger(flushMs) && flushMs >= 1 && flushMs <= 1000)) {
    throw agError(
      'AG_ERR_CLI_USAGE',
      '--audit-flush-ms must be a whole number of milliseconds from 1 to 1000',
    );
  }
  const fsyncMs = Number(str(values, 'audit-fsync-ms'));
  if (!(Number.isInteger(fsyncMs) && fsyncMs >= 0 && fsyncMs <= 10_000)) {
    throw agError(
      'AG_ERR_CLI_USAGE',
      '--audit-fsync-ms must be a whole number of milliseconds from 0 (every group commit) to 10000',
    );
  }
  return {
    policyPaths: list(values, 'policy'),
    secretsDir: str(values, 'secrets-dir'),
    listen: parseHostPort('listen', str(values, 'listen')!),
    admin: parseHostPort('admin', str(values, 'admin')!),
    localHost: str(values, 'local-host'),
    tlsCertFile: str(values, 'tls-cert'),
    tlsKeyFile: str(values, 'tls-key'),
    transparent: values['no-transparent'] !== true,
    unknownDestination: unknown,
    identity: {
      oidcIssuer: list(values, 'oidc-issuer'),
      oidcAudience: list(values, 'oidc-audience'),
      ...opt('groupsClaim', str(values, 'groups-claim')),
      ...opt('subjectClaim', str(values, 'subject-claim')),
      ...opt('oidcCaFile', str(values, 'oidc-ca-file')),
      ...(values['oidc-insecure-http'] === true ? { oidcInsecureHttp: true } : {}),
      ...opt('workloadIssuer', workloadIssuer),
      ...opt('workloadAudience', str(values, 'workload-audience')),
      ...opt('workloadJwksUri', str(values, 'workload-jwks-uri')),
      ...opt('workloadCaFile', str(values, 'workload-ca-file')),
      ...opt('workloadBearerTokenFile', str(values, 'workload-bearer-token-file')),
      ...(algorithms === undefined
        ? {}
        : {
            oidcAlgorithms: algorithms
              .split(',')
              .map((a) => a.trim())
              .filter(Boolean),
          }),
      ...(clockSkew === undefined ? {} : { oidcClockSkew: clockSkew }),
    },
    workloadTokenFile:
      str(values, 'workload-token-file') ??
      (workloadIssuer !== undefined ? DEFAULT_WORKLOAD_TOKEN_FILE : undefined),
    allowAnonymous: values['allow-anonymous'] === true,
    otlpEndpoint: str(values, 'otlp-endpoint'),
    spoolDir: str(values, 'spool-dir'),
    auditOnFull: onFull,
    spoolMaxBytes: spoolMb * 1024 * 1024,
    auditFlushMs: flushMs,
    auditFsyncMs: fsyncMs,
    namespace: str(values, 'namespace') ?? 'default',
    podName: str(values, 'pod-name') ?? process.env['HOSTNAME'] ?? 'agentgate',
    podLabels: parseLabels(str(values, 'pod-labels')),
    drainSeconds: num('drain-seconds'),
    hashKey: hashKeyFile === undefined ? undefined : readFileSync(hashKeyFile),
    tokenGraceSeconds: num('token-grace-seconds'),
  };
}

function opt<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: string };
}

export async function run(argv: string[]): Promise<number> {
  const config = sidecarConfig(argv);
  if (config === 'help') {
    process.stdout.write(`Usage: agentgate sidecar --policy PATH [flags]\n\n${flagHelp(SIDECAR_FLAGS)}\n`);
    return 0;
  }
  // bin/agentgate starts Node with --liftoff-only: V8 freezes its flags at
  // start, so the WebAssembly tiering that would hold hundreds of MB for the
  // PostgreSQL parser cannot be turned off from here.
  const { startSidecar } = await import('../sidecar/server/sidecar.js');
  const log = {
    info: (m: string) =>
      process.stderr.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: m })}\n`),
    warn: (m: string) =>
      process.stderr.write(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: m })}\n`),
    error: (m: string) =>
      process.stderr.write(`${JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: m })}\n`),
  };
  const sidecar = await startSidecar(config, log);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info(`${sig}: draining for up to ${config.drainSeconds}s`);
      void sidecar.shutdown().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  log.info('sidecar stopped');
  return 0;
}
