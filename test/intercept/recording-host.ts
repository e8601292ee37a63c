// The stand-in for the system in unit tests of `agentgate iptables`: records
// every command with its input and answers from a table. The real commands run
// in test/intercept/redirect.test.ts.

import type { CommandResult, IptablesHost } from '../../sidecar/intercept/iptables-host.js';

export interface Call {
  readonly command: string;
  readonly args: readonly string[];
  readonly input: string | undefined;
}

export type Answer = Partial<CommandResult> | ((call: Call) => Partial<CommandResult>);

/** Answers from a table keyed by command name; a command not in the table is "not found". */
export class RecordingHost implements IptablesHost {
  readonly calls: Call[] = [];
  constructor(
    private readonly answers: Record<string, Answer>,
    private readonly files: Record<string, string> = {},
  ) {}

  async run(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const call = { command, args, input };
    this.calls.push(call);
    const a = this.answers[command];
    if (a === undefined) return { code: -1, stdout: '', stderr: 'not found', notFound: true };
    const r = typeof a === 'function' ? a(call) : a;
    return { code: 0, stdout: '', stderr: '', notFound: false, ...r };
  }

  async readFile(path: string): Promise<string | null> {
    return this.files[path] ?? null;
  }

  /** Each call as a command line, for order assertions. */
  commands(): string[] {
    return this.calls.map((c) => [c.command, ...c.args].join(' '));
  }
}
