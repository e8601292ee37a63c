// `agentgate sessions list | show ID | verify ID --from FILE|DIR`: audited
// sessions read back from OTLP JSON files (a collector's file exporter) or a
// sidecar's spool folder.

import { agError } from '../common/errors.js';
import { type AuditSession, findSession, groupSessions, loadSpans } from '../sidecar/audit/session-store.js';
import { verifySession } from '../sidecar/audit/verify.js';
import { type FlagSpec, flagHelp, parseFlags, required } from './args.js';
import {
  commandLines,
  listHeader,
  listLine,
  sessionFooter,
  sessionHeading,
  spanJson,
} from './session-format.js';

export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'from',
    type: 'string',
    placeholder: 'FILE|DIR',
    description: "OTLP JSON lines file, a folder of them, or a sidecar's --spool-dir",
  },
  { name: 'json', type: 'boolean', description: 'print JSON instead of text' },
];

const HELP = `Usage: agentgate sessions list --from FILE|DIR [--json]
       agentgate sessions show ID --from FILE|DIR [--json]
       agentgate sessions verify ID --from FILE|DIR [--json]

list    one line per audited session, oldest first
show    a session: who, from where, how it authenticated, and every command with all its attributes
verify  checks the session's hash chain; exit status 1 when any span was altered, removed or reordered
ID may be any unique prefix of a session id (the trace id).

${flagHelp(FLAGS)}
`;

export interface Io {
  readonly out: (text: string) => void;
}

const stdio: Io = { out: (t) => process.stdout.write(t) };

function load(values: ReturnType<typeof parseFlags>['values']): AuditSession[] {
  return groupSessions(loadSpans(required('sessions', values, 'from')));
}

export async function run(argv: string[], io: Io = stdio): Promise<number> {
  const { values, positionals } = parseFlags('sessions', FLAGS, argv);
  const [sub, id] = positionals;
  if (values['help'] === true || sub === undefined) {
    io.out(HELP);
    return sub === undefined && values['help'] !== true ? 2 : 0;
  }
  const json = values['json'] === true;
  if (sub === 'list') {
    const sessions = load(values);
    if (json)
      io.out(`${JSON.stringify(sessions.map((s) => ({ id: s.id, line: listLine(s).split('\t') })))}\n`);
    else io.out(`${[listHeader(), ...sessions.map(listLine)].join('\n')}\n`);
    return 0;
  }
  if (sub !== 'show' && sub !== 'verify') {
    throw agError(
      'AG_ERR_CLI_USAGE',
      `sessions: unknown subcommand '${sub}'. Run 'agentgate sessions --help'.`,
    );
  }
  if (id === undefined) throw agError('AG_ERR_CLI_USAGE', `sessions ${sub}: give a session ID`);
  const sess = findSession(load(values), id);
  if (sub === 'show') {
    if (json) {
      const root = sess.root === undefined ? null : spanJson(sess.root);
      io.out(
        `${JSON.stringify({ id: sess.id, session: root, commands: sess.commands.map(spanJson) }, null, 2)}\n`,
      );
    } else {
      const lines = sessionHeading(sess);
      for (const c of sess.commands) lines.push(...commandLines(c, sess.startNs));
      lines.push(sessionFooter(sess));
      io.out(`${lines.join('\n')}\n`);
    }
    return 0;
  }
  const r = verifySession(sess);
  if (json) io.out(`${JSON.stringify({ id: sess.id, ...r })}\n`);
  else if (r.ok)
    io.out(`session ${sess.id}: chain intact (${r.verified} commands, final hash ${r.finalHash})\n`);
  else io.out(`session ${sess.id}: chain BROKEN\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`);
  return r.ok ? 0 : 1;
}
