// `agentgate wait-ready`: blocks until the sidecar's readiness endpoint answers
// 200. The legacy (pre-1.29) injection runs it as the sidecar's postStart hook:
// the kubelet starts the next container only after the hook returns, so the
// app never starts before the gate is up.

import { request } from 'node:http';
import { agError } from '../common/errors.js';
import { type FlagSpec, flagHelp, parseFlags, str } from './args.js';

const COMMAND = 'wait-ready';

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'url',
    type: 'string',
    default: 'http://127.0.0.1:15020/healthz/ready',
    placeholder: 'URL',
    description: 'readiness URL',
  },
  {
    name: 'timeout',
    type: 'string',
    default: '120',
    placeholder: 'SECONDS',
    description: 'give up after this long (exit 1)',
  },
];

function ready(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(COMMAND, FLAGS, argv);
  if (values['help'] === true) {
    process.stdout.write(
      `Usage: agentgate wait-ready [--url URL] [--timeout SECONDS]\n\n${flagHelp(FLAGS)}\n`,
    );
    return 0;
  }
  const url = str(values, 'url') ?? '';
  const timeout = Number(str(values, 'timeout'));
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw agError('AG_ERR_CLI_USAGE', `${COMMAND}: --timeout: expected seconds`);
  const deadline = Date.now() + timeout * 1000;
  while (Date.now() < deadline) {
    if (await ready(url)) return 0;
    await new Promise((r) => setTimeout(r, 200));
  }
  process.stderr.write(`agentgate wait-ready: ${url} not ready after ${timeout}s\n`);
  return 1;
}
