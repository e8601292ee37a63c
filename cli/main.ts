// The one `agentgate` binary: every role is a subcommand.

import { isAgentgateError } from '../common/errors.js';
import { COMMANDS, printHelp } from './commands.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    printHelp(process.stdout);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`agentgate ${process.env['npm_package_version'] ?? '0.1.0'}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`agentgate: unknown command '${name}'. Run 'agentgate --help'.\n`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isAgentgateError(err)) {
      process.stderr.write(`agentgate: ${err.message} [${err.code}]\n`);
      process.exitCode = err.code === 'AG_ERR_CLI_USAGE' ? 2 : 1;
    } else {
      process.stderr.write(`agentgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
