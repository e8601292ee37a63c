// `agentgate wait-ready`, the legacy injection's postStart hold, against a real
// HTTP readiness endpoint.

import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function waitReady(url: string, timeout: string): Promise<number | null> {
  const child = spawn(
    join(root, '.tools/bin/node'),
    [
      '--no-warnings',
      '--experimental-transform-types',
      '--import',
      './test/run-from-source.mjs',
      'cli/main.ts',
      'wait-ready',
      '--url',
      url,
      '--timeout',
      timeout,
    ],
    { cwd: root, stdio: 'ignore' },
  );
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

async function serve(handler: (n: number) => number): Promise<{ server: Server; url: string }> {
  let n = 0;
  const server = createServer((_req, res) => {
    res.writeHead(handler(++n));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz/ready` };
}

describe('agentgate wait-ready', () => {
  it('returns 0 once the sidecar answers ready', async () => {
    const { server, url } = await serve((n) => (n < 4 ? 503 : 200));
    try {
      expect(await waitReady(url, '20')).toBe(0);
    } finally {
      server.close();
    }
  });

  it('returns 1 when the sidecar never becomes ready', async () => {
    const { server, url } = await serve(() => 503);
    try {
      expect(await waitReady(url, '1')).toBe(1);
    } finally {
      server.close();
    }
  });
});
