// The sidecar's configuration, from command-line flags (and AGENTGATE_*
// environment variables, through cli/args.ts). Validated once at start.

import { agError } from '../../common/errors.js';
import type { IdentityFlags } from '../identity/flags.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface SidecarConfig {
  readonly policyPaths: readonly string[];
  readonly secretsDir: string | undefined;
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly identity: IdentityFlags;
  /** File holding the pod's projected service-account token (workload identity). */
  readonly workloadTokenFile: string | undefined;
  /** Without any issuer: let connections run as `anonymous` (demos, laptops); refused otherwise. */
  readonly allowAnonymous: boolean;
  readonly otlpEndpoint: string | undefined;
  readonly spoolDir: string | undefined;
  readonly namespace: string;
  readonly podName: string;
  readonly podLabels: Readonly<Record<string, string>>;
  /** What the transparent listener does with a destination no target declares. */
  readonly unknownDestination: 'deny' | 'passthrough';
  /** How long SIGTERM waits for running commands before closing sessions. */
  readonly drainSeconds: number;
  /** Key for the `hash` masking strategy; random per process when not given. */
  readonly hashKey: Uint8Array | undefined;
  /** Seconds a session may still run commands after its token expired. */
  readonly tokenGraceSeconds: number;
  /** Disables the transparent listener (explicit localPort listeners only). */
  readonly transparent: boolean;
  /** Where explicit localPort listeners bind; default loopback (the agent is in the same pod). */
  readonly localHost: string | undefined;
  /** PEM certificate and key for the agent hop; without them SSLRequest is answered 'N'. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Audit spool full: `block` (default) makes new commands wait; `drop-oldest` drops and counts. */
  readonly auditOnFull?: 'block' | 'drop-oldest';
  /** Audit spool limit in bytes (default 256 MiB). */
  readonly spoolMaxBytes?: number;
  /** Audit group commit interval in ms (default 25): how soon a span is written, against CPU per command. */
  readonly auditFlushMs?: number;
  /** fsync the audit spool at most this often in ms (default 100; 0: every group commit): the window a node crash can lose. */
  readonly auditFsyncMs?: number;
}

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseHostPort(flag: string, value: string): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]*):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (m === null || !(port >= 0 && port < 65536)) {
    throw agError('AG_ERR_CLI_USAGE', `--${flag} ${value}: expected HOST:PORT`);
  }
  return { host: m[1] === '' ? '0.0.0.0' : m[1]!, port };
}

/** `k=v,k=v` -> record. */
export function parseLabels(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined || value === '') return out;
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw agError('AG_ERR_CLI_USAGE', `--pod-labels: '${pair}' is not k=v`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}
