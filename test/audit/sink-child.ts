// Runs an audit sink in a child process for the crash test: starts a session,
// records commands in two group commits, waits until they are spooled, says so on stdout, then keeps
// the session open until the parent kills it with SIGKILL.

import { createAuditSink } from '../../sidecar/audit/sink.js';
import { IDENTITY, scriptedCommands } from './scripted-session.js';

const dir = process.env['SPOOL_DIR']!;
const sid = process.env['SESSION_ID']!;
const endpoint = process.env['OTLP_ENDPOINT'];
const sink = createAuditSink({
  spoolDir: dir,
  ...(endpoint === undefined ? {} : { otlpEndpoint: endpoint }),
  retryMinMs: 50,
  retryMaxMs: 100,
});
const t0 = Date.now();
sink.sessionStart({
  sessionId: sid,
  startedAt: t0,
  protocol: 'postgres',
  target: 'orders-db',
  serverAddress: '127.0.0.1',
  serverPort: 5432,
  clientAddress: '127.0.0.1',
  clientPort: 41000,
  namespace: 'shop',
  podName: 'support-agent-0',
});
sink.sessionAuth({ sessionId: sid, at: t0 + 1, ok: true, identity: IDENTITY, database: 'orders' });
const [first, second] = scriptedCommands(sid, t0);
// Two group commits: the second checkpoint carries only the session's chain
// position, which a restart must apply over the whole state the first wrote.
sink.command(first!);
await sink.flush();
sink.command(second!);
await sink.flush();
process.stdout.write('spooled\n');
// Keep the process (and the session) alive until killed.
setInterval(() => {}, 1000);
