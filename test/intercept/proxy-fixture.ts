// Stands in for the sidecar's transparent listener inside the test's "agent
// pod" namespace: for every accepted connection it answers with what
// originalDestination() learned (the real addon, the real kernel), then closes.
// Run: node --import ./test/run-from-source.mjs test/intercept/proxy-fixture.ts PORT split|dual
import { createServer, type Server, type Socket } from 'node:net';
import { isAgentgateError } from '../../common/errors.js';
import { originalDestination } from '../../sidecar/intercept/original-dst.js';

const port = Number(process.argv[2]);
const mode = process.argv[3] ?? 'split';

function answer(socket: Socket): void {
  let reply: string;
  try {
    reply = `proxy ${JSON.stringify(originalDestination(socket))}`;
  } catch (err) {
    reply = `proxy-error ${isAgentgateError(err) ? err.code : String(err)}`;
  }
  socket.end(`${reply}\n`);
}

function listen(host: string, ipv6Only: boolean): Promise<Server> {
  const server = createServer(answer);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only }, () => resolve(server));
  });
}

// split: an IPv4 socket on 0.0.0.0 and an IPv6-only one on ::, as two families.
// dual: one dual-stack socket on ::, so IPv4 connections arrive IPv4-mapped.
const servers =
  mode === 'dual' ? [await listen('::', false)] : [await listen('0.0.0.0', false), await listen('::', true)];
process.stdout.write(`ready ${servers.length}\n`);
