// `agentgate --help` and each command's `--help`, from the real binary's entry
// point: the top-level usage lines must name only flags the command accepts
// (an operator copies them), and every flag must show its AGENTGATE_* variable,
// since pod specs set most flags through the environment.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { envName, type FlagSpec } from '../../cli/args.js';
import { COMMANDS } from '../../cli/commands.js';
import { FLAGS as IPTABLES } from '../../cli/iptables.js';
import { FLAGS as POLICY } from '../../cli/policy-check.js';
import { FLAGS as REPLAY } from '../../cli/replay.js';
import { FLAGS as SESSIONS } from '../../cli/sessions.js';
import { SIDECAR_FLAGS } from '../../cli/sidecar.js';
import { FLAGS as WAIT_READY } from '../../cli/wait-ready.js';
import { FLAGS as WEBHOOK } from '../../cli/webhook.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url);

async function agentgate(args: readonly string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--experimental-transform-types', '--import', './test/run-from-source.mjs', 'cli/main.ts', ...args],
    { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  return stdout;
}

// The commands that have flags in this build; requests, approve and deny are placeholders.
const FLAG_TABLES: Record<string, readonly FlagSpec[]> = {
  policy: POLICY,
  sidecar: SIDECAR_FLAGS,
  webhook: WEBHOOK,
  'wait-ready': WAIT_READY,
  iptables: IPTABLES,
  sessions: SESSIONS,
  replay: REPLAY,
};

test('agentgate --help lists every command with its usage', async () => {
  const out = await agentgate(['--help']);
  for (const c of COMMANDS) {
    const line = out.split('\n').find((l) => l.startsWith(`  ${c.name} `));
    expect(line?.trimEnd().endsWith(c.summary)).toBe(true);
    expect(out).toContain(`agentgate ${c.usage}`);
  }
});

describe.each(Object.entries(FLAG_TABLES))('agentgate %s', (name, flags) => {
  test('its usage line in agentgate --help names only flags it accepts', () => {
    const usage = COMMANDS.find((c) => c.name === name)!.usage;
    const named = [...usage.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]!);
    const accepted = new Set(flags.map((f) => f.name));
    expect(named.filter((n) => !accepted.has(n))).toEqual([]);
  });

  test('--help documents every flag with its AGENTGATE_* variable', async () => {
    const args = name === 'policy' ? ['policy', 'check', '--help'] : [name, '--help'];
    const out = await agentgate(args);
    const lines = out.split('\n');
    for (const f of flags) {
      const line = lines.find((l) => l.startsWith(`  --${f.name} `) || l === `  --${f.name}`);
      expect(line ?? `--${f.name} missing`).toContain(`env ${envName(f.name)}`);
    }
  });
});
