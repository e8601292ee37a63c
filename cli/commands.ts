// The command table: each role of the one binary, with its one-line summary.
// Commands load their implementation lazily so `agentgate iptables` in an init
// container never pays for the sidecar's dependencies.

export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

function notYet(name: string): (argv: string[]) => Promise<number> {
  return async () => {
    process.stderr.write(`agentgate ${name}: not available in this build yet\n`);
    return 1;
  };
}

export const COMMANDS: readonly CliCommand[] = [
  {
    name: 'policy',
    usage: 'policy check --policy PATH --target NAME --query TEXT [--subject S] [--group G]... [--json]',
    summary: 'decide a command against AgentPolicy files, as the sidecar would',
    run: async (argv) => (await import('./policy-check.js')).run(argv),
  },
  {
    name: 'sidecar',
    usage: 'sidecar --policy PATH --secrets-dir DIR [--listen HOST:PORT] [--admin HOST:PORT] ...',
    summary: 'run the Layer-7 gateway in an agent pod',
    run: async (argv) => (await import('./sidecar.js')).run(argv),
  },
  {
    name: 'webhook',
    usage:
      'webhook --sidecar-image IMAGE --policy PATH [--tls-cert FILE --tls-key FILE] [--listen HOST:PORT] ...',
    summary: 'run the mutating admission webhook that injects the sidecar',
    run: async (argv) => (await import('./webhook.js')).run(argv),
  },
  {
    name: 'wait-ready',
    usage: 'wait-ready [--url URL] [--timeout SECONDS]',
    summary: "wait until the sidecar is ready (legacy injection's postStart hold)",
    run: async (argv) => (await import('./wait-ready.js')).run(argv),
  },
  {
    name: 'iptables',
    usage:
      'iptables --proxy-uid N [--proxy-port N] [--proxy-gid N] [--exclude-ports LIST] [--exclude-cidrs LIST] [--dry-run | --cleanup]',
    summary: "install the pod's redirect rules (the init step)",
    run: async (argv) => (await import('./iptables.js')).run(argv),
  },
  {
    name: 'requests',
    usage: 'requests [--admin URL --token T]',
    summary: 'list AccessRequests waiting for a human',
    run: notYet('requests'),
  },
  {
    name: 'approve',
    usage: 'approve NAME [--for DURATION]',
    summary: 'approve a paused command',
    run: notYet('approve'),
  },
  { name: 'deny', usage: 'deny NAME', summary: 'deny a paused command', run: notYet('deny') },
  {
    name: 'sessions',
    usage: 'sessions list | show ID | verify ID --from FILE|DIR [--json]',
    summary: 'read audited sessions from OTLP files or a spool',
    run: async (argv) => (await import('./sessions.js')).run(argv),
  },
  {
    name: 'replay',
    usage: 'replay ID --from FILE|DIR [--speed N | --realtime]',
    summary: 'replay a session as a timeline',
    run: async (argv) => (await import('./replay.js')).run(argv),
  },
];

export function printHelp(out: NodeJS.WritableStream): void {
  const lines = [
    'agentgate: a Layer-7 gate between AI agents and the infrastructure they use',
    '',
    'Usage: agentgate COMMAND [flags]   (every flag also reads AGENTGATE_<FLAG>, e.g. AGENTGATE_OTLP_ENDPOINT)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}\n             agentgate ${c.usage}`),
    '',
    "Run 'agentgate COMMAND --help' for a command's flags.",
  ];
  out.write(`${lines.join('\n')}\n`);
}
