// Flag parsing shared by every subcommand: node:util parseArgs, plus the
// contract that every flag also reads from AGENTGATE_<FLAG_NAME> in the environment.

import { parseArgs } from 'node:util';
import { agError } from '../common/errors.js';

export interface FlagSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly default?: string;
  readonly description: string;
  readonly placeholder?: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export function envName(flag: string): string {
  return `AGENTGATE_${flag.toUpperCase().replace(/-/g, '_')}`;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);

/**
 * Parses argv against the specs. A flag missing from argv is taken from its
 * environment variable (repeatable flags split on commas), then from its default.
 */
export function parseFlags(
  command: string,
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const s of specs) {
    options[s.name] = {
      type: s.type,
      ...(s.multiple ? { multiple: true } : {}),
      ...(s.short ? { short: s.short } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw agError(
      'AG_ERR_CLI_USAGE',
      `${command}: ${(err as Error).message}. Run 'agentgate ${command} --help'.`,
    );
  }
  const values: FlagValues = { ...(parsed.values as FlagValues) };
  for (const s of specs) {
    if (values[s.name] !== undefined) continue;
    const fromEnv = env[envName(s.name)];
    if (fromEnv !== undefined && fromEnv !== '') {
      if (s.type === 'boolean') values[s.name] = TRUE.has(fromEnv.toLowerCase());
      else if (s.multiple)
        values[s.name] = fromEnv
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean);
      else values[s.name] = fromEnv;
    } else if (s.default !== undefined) {
      values[s.name] = s.multiple ? [s.default] : s.default;
    }
  }
  return { values, positionals: parsed.positionals };
}

export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(values: FlagValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function required(command: string, values: FlagValues, name: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') {
    throw agError('AG_ERR_CLI_USAGE', `${command}: --${name} is required (or ${envName(name)})`);
  }
  return v;
}

export function flagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.name}${s.type === 'string' ? ` ${s.placeholder ?? 'VALUE'}` : ''}`;
    const extra = [
      s.multiple ? 'repeatable' : '',
      s.default !== undefined ? `default ${s.default}` : '',
      `env ${envName(s.name)}`,
    ]
      .filter(Boolean)
      .join('; ');
    return `${left.padEnd(34)} ${s.description} (${extra})`;
  });
  return rows.join('\n');
}
