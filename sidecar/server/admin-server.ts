// The admin endpoints on loopback: liveness, readiness (policies and identity
// keys loaded) and Prometheus metrics. node:http, not a framework: three
// routes on a port no agent traffic reaches.

import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { http } from '../../common/node-http.js';
import type { HostPort } from './config.js';
import { listenError } from './listeners.js';

export interface AdminDeps {
  readonly registry: Registry;
  /** Null when ready, else why not (returned in the 503 body). */
  notReady(): string | null;
  /** Extra routes (the standalone approval API plugs in here later). */
  readonly routes?: ReadonlyMap<string, (body: string) => Promise<{ status: number; body: string }>>;
}

export async function startAdminServer(at: HostPort, deps: AdminDeps): Promise<Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz/live') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/healthz/ready') {
      const why = deps.notReady();
      if (why === null) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${why}\n`);
      return;
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(listenError(at, 'the admin server (--admin)', e)));
    server.listen(at.port, at.host, () => resolve());
  });
  return server;
}
