// `agentgate iptables`: the pod's init step. Sends every outbound TCP
// connection of the pod to the sidecar, except the sidecar's own. See
// docs/iptables.md for the rules and why each exists.

import { agError } from '../common/errors.js';
import { type IptablesHost, systemHost } from '../sidecar/intercept/iptables-host.js';
import {
  type BackendChoice,
  type Ipv6Mode,
  installRedirect,
  prepareInstall,
  removeRedirect,
  renderPlans,
} from '../sidecar/intercept/iptables-runner.js';
import {
  DEFAULT_ADMIN_PORT,
  DEFAULT_PROXY_PORT,
  redirectConfig,
} from '../sidecar/intercept/redirect-config.js';
import { type FlagSpec, flagHelp, list, parseFlags, required, str } from './args.js';

const COMMAND = 'iptables';

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'proxy-port',
    type: 'string',
    default: String(DEFAULT_PROXY_PORT),
    placeholder: 'N',
    description: "the sidecar's transparent listener; outbound TCP is redirected here",
  },
  {
    name: 'proxy-uid',
    type: 'string',
    placeholder: 'N',
    description: "the sidecar's UID; its connections are not redirected (required)",
  },
  {
    name: 'proxy-gid',
    type: 'string',
    placeholder: 'N',
    description: "the sidecar's GID; its connections are not redirected (default: the UID)",
  },
  {
    name: 'admin-port',
    type: 'string',
    default: String(DEFAULT_ADMIN_PORT),
    placeholder: 'N',
    description: "the sidecar's admin port, reachable over lo without redirect; 0 for none",
  },
  {
    name: 'exclude-ports',
    type: 'string',
    multiple: true,
    placeholder: 'LIST',
    description: 'destination ports that bypass the sidecar: 5432,8000-8100',
  },
  {
    name: 'exclude-cidrs',
    type: 'string',
    multiple: true,
    placeholder: 'LIST',
    description: 'destination CIDRs that bypass the sidecar: 10.0.0.0/8,fd00::/8',
  },
  {
    name: 'ipv6',
    type: 'string',
    default: 'auto',
    placeholder: 'auto|on|off',
    description: 'also program ip6tables; auto: when the pod has an IPv6 address',
  },
  {
    name: 'backend',
    type: 'string',
    default: 'auto',
    placeholder: 'auto|nft|legacy',
    description: 'iptables backend; auto: the one that already has rules, else nft',
  },
  { name: 'dry-run', type: 'boolean', description: 'print the exact iptables-restore input; change nothing' },
  { name: 'cleanup', type: 'boolean', description: 'remove our chains and rules (only ours)' },
];

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  const v = (value ?? '') as T;
  if (!allowed.includes(v))
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --${name} must be one of ${allowed.join(', ')}`);
  return v;
}

export function help(): string {
  return [
    'Usage: agentgate iptables --proxy-uid N [--proxy-port N] [--proxy-gid N] [--exclude-ports LIST]',
    '                          [--exclude-cidrs LIST] [--ipv6 auto|on|off] [--backend auto|nft|legacy]',
    '                          [--dry-run | --cleanup]',
    '',
    "Redirects the pod's outbound TCP to the sidecar (nat chains AGENTGATE_OUTPUT, AGENTGATE_REDIRECT).",
    'Rerunnable: our chains are replaced, never duplicated. Needs NET_ADMIN and NET_RAW.',
    '',
    flagHelp(FLAGS),
    '',
  ].join('\n');
}

/** What the command touches; tests pass a recording host and capture the streams. */
export interface IptablesIo {
  readonly env: NodeJS.ProcessEnv;
  readonly host: IptablesHost;
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

const SYSTEM_IO: IptablesIo = {
  env: process.env,
  host: systemHost,
  out: process.stdout,
  err: process.stderr,
};

export async function run(argv: string[], io: IptablesIo = SYSTEM_IO): Promise<number> {
  const { host, out, err } = io;
  const { values, positionals } = parseFlags(COMMAND, FLAGS, argv, io.env);
  if (values['help'] === true) {
    out.write(help());
    return 0;
  }
  if (positionals.length > 0) {
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: unexpected argument '${positionals[0]}'`);
  }
  const options = {
    ipv6: oneOf<Ipv6Mode>('ipv6', str(values, 'ipv6'), ['auto', 'on', 'off']),
    backend: oneOf<BackendChoice>('backend', str(values, 'backend'), ['auto', 'nft', 'legacy']),
  };
  const dryRun = values['dry-run'] === true;

  if (values['cleanup'] === true) {
    if (dryRun) throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --cleanup and --dry-run do not combine`);
    const removed = await removeRedirect(options, host);
    for (const r of removed) out.write(renderPlans(r));
    err.write(
      `agentgate iptables: removed agentgate rules (${removed.map((r) => r.backend).join(', ') || 'none found'})\n`,
    );
    return 0;
  }

  const config = redirectConfig({
    proxyPort: str(values, 'proxy-port'),
    proxyUid: required(COMMAND, values, 'proxy-uid'),
    proxyGid: str(values, 'proxy-gid'),
    adminPort: str(values, 'admin-port'),
    excludePorts: list(values, 'exclude-ports'),
    excludeCidrs: list(values, 'exclude-cidrs'),
  });

  if (dryRun) {
    out.write(renderPlans(await prepareInstall(config, options, host, true)));
    return 0;
  }
  const applied = await installRedirect(config, options, host);
  // The applied text goes to the init container's log: `kubectl logs -c <init>` shows what the pod runs with.
  out.write(renderPlans(applied));
  const counts = applied.plans.map((p) => `IPv${p.family} ${p.rules.length} rules`).join(', ');
  err.write(`agentgate iptables: applied and verified with ${applied.backend} (${counts})\n`);
  return 0;
}
