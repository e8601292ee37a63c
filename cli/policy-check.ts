// `agentgate policy check`: decides one command against policy files exactly as
// the sidecar would (same loader, classifier and engine), for policy authors and CI.

import type { Protocol } from '../api/types.js';
import { agError } from '../common/errors.js';
import { ANONYMOUS, type Identity } from '../sidecar/identity/identity.js';
import { classifyCommand } from '../sidecar/policy/classify-command.js';
import { PolicyEngine } from '../sidecar/policy/engine.js';
import { loadPolicyFiles } from '../sidecar/policy/loader.js';
import { type FlagSpec, flagHelp, list, parseFlags, required, str } from './args.js';

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'policy',
    type: 'string',
    multiple: true,
    placeholder: 'PATH',
    description: 'AgentPolicy file or folder',
  },
  {
    name: 'target',
    type: 'string',
    placeholder: 'NAME',
    description: 'target name, as declared in a policy',
  },
  {
    name: 'query',
    type: 'string',
    placeholder: 'TEXT',
    description: 'the command: SQL; a Redis command line (SET k v); HTTP as METHOD PATH [HOST]',
  },
  { name: 'subject', type: 'string', placeholder: 'S', description: "the agent's OIDC subject" },
  {
    name: 'group',
    type: 'string',
    multiple: true,
    placeholder: 'G',
    description: "one of the agent's OIDC groups",
  },
  {
    name: 'service-account',
    type: 'string',
    placeholder: 'NS/NAME',
    description: 'decide as a workload identity (no token) instead of --subject/--group',
  },
  {
    name: 'namespace',
    type: 'string',
    placeholder: 'NS',
    description: "the agent pod's namespace (with --pod-labels)",
  },
  {
    name: 'pod-labels',
    type: 'string',
    placeholder: 'k=v,k=v',
    description: "the agent pod's labels; without them every policy's podSelector is ignored",
  },
  { name: 'json', type: 'boolean', description: 'print one JSON object' },
];

const HELP = `Usage: agentgate policy check --policy PATH --target NAME --query TEXT [flags]

Decides one command as the sidecar would and prints the decision, the policy and the rule.
Exit status 0 whatever the decision; 1 when the policies are invalid; 2 on usage errors.

${flagHelp(FLAGS)}
`;

function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw agError('AG_ERR_CLI_USAGE', `policy check: --pod-labels: expected k=v, got '${pair}'`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

function identityFrom(values: ReturnType<typeof parseFlags>['values']): Identity {
  const sa = str(values, 'service-account');
  if (sa !== undefined) {
    const [namespace, name] = sa.split('/');
    if (!namespace || !name)
      throw agError('AG_ERR_CLI_USAGE', 'policy check: --service-account: expected NAMESPACE/NAME');
    return {
      kind: 'workload',
      subject: `system:serviceaccount:${namespace}:${name}`,
      groups: [],
      issuer: 'policy-check',
      workload: { namespace, serviceAccount: name },
    };
  }
  const subject = str(values, 'subject');
  const groups = list(values, 'group');
  if (subject === undefined && groups.length === 0) return ANONYMOUS;
  return { kind: 'token', subject: subject ?? 'policy-check', groups, issuer: 'policy-check' };
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'check')
    throw agError('AG_ERR_CLI_USAGE', `policy: unknown subcommand '${sub}'; try 'policy check'`);
  const { values } = parseFlags('policy check', FLAGS, rest);
  if (values['help']) {
    process.stdout.write(HELP);
    return 0;
  }
  const paths = list(values, 'policy');
  if (paths.length === 0)
    throw agError('AG_ERR_CLI_USAGE', 'policy check: --policy is required (or AGENTGATE_POLICY)');
  const targetName = required('policy check', values, 'target');
  const query = required('policy check', values, 'query');

  const { policies } = await loadPolicyFiles(paths);
  const engine = PolicyEngine.compile(policies);
  const labels = str(values, 'pod-labels');
  const pod =
    labels === undefined
      ? engine.forAnyPod()
      : engine.forPod({ namespace: str(values, 'namespace') ?? 'default', labels: parseLabels(labels) });
  const target = pod.target(targetName);
  if (target === undefined) {
    const known = pod.targets.map((t) => t.name).join(', ') || 'none';
    throw agError(
      'AG_ERR_CLI_USAGE',
      `policy check: no policy declares target '${targetName}' (declared: ${known})`,
    );
  }
  const protocol: Protocol = target.protocol;
  const identity = identityFrom(values);
  const { classification, host } = await classifyCommand(protocol, query);
  const decision = pod.decide({
    target: targetName,
    protocol,
    identity,
    classification,
    text: query,
    ...(host !== undefined ? { host } : {}),
  });

  if (values['json']) {
    const out = {
      decision: decision.action,
      policy: decision.policy,
      rule: decision.rule,
      reason: decision.reason,
      operations: classification.operations,
      tables: classification.tables,
      statements: classification.statements,
      masking: decision.masking,
      ...(decision.review ? { review: decision.review } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const lines = [
      `${decision.action.toUpperCase()}  policy ${decision.policy || '(none)'}  rule ${decision.rule}`,
      `  operations: ${classification.operations.join(', ') || '-'}   tables: ${classification.tables.join(', ') || '-'}`,
      `  reason: ${decision.reason}`,
    ];
    if (decision.review) {
      const who = decision.review.approvers
        .map((a) => (a.group ? `group ${a.group}` : `user ${a.user}`))
        .join(', ');
      lines.push(`  approvers: ${who}; timeout ${decision.review.timeout ?? '5m'}`);
    }
    if (decision.masking.length > 0 && decision.action !== 'deny') {
      const what = decision.masking.map((m) =>
        [...(m.entities ?? []), ...(m.columns ?? []).map((c) => `column ${c}`)].join(', '),
      );
      lines.push(`  masking: ${what.join('; ')}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}
