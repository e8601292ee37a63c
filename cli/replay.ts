// `agentgate replay ID --from FILE|DIR [--speed N | --realtime]`: prints an
// audited session as a timeline, each command with its decision, result and
// timing, in order; optionally paced as it happened (or N times faster).

import { agError } from '../common/errors.js';
import { findSession, groupSessions, loadSpans } from '../sidecar/audit/session-store.js';
import { type FlagSpec, flagHelp, parseFlags, required, str } from './args.js';
import { commandLines, sessionFooter, sessionHeading } from './session-format.js';

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'from',
    type: 'string',
    placeholder: 'FILE|DIR',
    description: "OTLP JSON lines file, a folder of them, or a sidecar's --spool-dir",
  },
  {
    name: 'speed',
    type: 'string',
    placeholder: 'N',
    description: 'pace the timeline N times faster than it happened',
  },
  { name: 'realtime', type: 'boolean', description: 'pace the timeline as it happened (same as --speed 1)' },
];

const HELP = `Usage: agentgate replay ID --from FILE|DIR [--speed N | --realtime]

Prints the session as a timeline: when each command ran (offset from connect),
its decision and the rule that made it, what it touched, what came back, how long
it took, and its masked text. Without --speed or --realtime it prints at once.

${flagHelp(FLAGS)}
`;

export interface ReplayIo {
  readonly out: (text: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

const stdio: ReplayIo = {
  out: (t) => process.stdout.write(t),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export async function run(argv: string[], io: ReplayIo = stdio): Promise<number> {
  const { values, positionals } = parseFlags('replay', FLAGS, argv);
  const [id] = positionals;
  if (values['help'] === true || id === undefined) {
    io.out(HELP);
    return values['help'] === true ? 0 : 2;
  }
  let speed = 0;
  if (values['realtime'] === true) speed = 1;
  const sp = str(values, 'speed');
  if (sp !== undefined) {
    speed = Number(sp);
    if (!(speed > 0))
      throw agError('AG_ERR_CLI_USAGE', `replay: --speed must be a positive number, got '${sp}'`);
  }
  const sess = findSession(groupSessions(loadSpans(required('replay', values, 'from'))), id);
  io.out(`${sessionHeading(sess).join('\n')}\n`);
  let at = sess.startNs;
  for (const c of sess.commands) {
    if (speed > 0 && c.startNs > at) await io.sleep(Number((c.startNs - at) / 1_000_000n) / speed);
    if (c.startNs > at) at = c.startNs;
    io.out(`${commandLines(c, sess.startNs).join('\n')}\n`);
  }
  const end = sess.root?.endNs;
  if (speed > 0 && end !== undefined && end > at) await io.sleep(Number((end - at) / 1_000_000n) / speed);
  io.out(`${sessionFooter(sess)}\n`);
  return 0;
}
