// A Kubernetes API server stand-in for the webhook's Kubernetes-backed
// sources: the project's one allowed stand-in. In-memory objects with
// resourceVersions; list, watch (streamed JSON lines, from a resourceVersion),
// get, create, replace (409 on a stale resourceVersion), Status objects for
// errors. Enough of the API for @kubernetes/client-node's informers and typed
// clients, which drive it unchanged.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generateName?: string;
    [k: string]: unknown;
  };
  [key: string]: unknown;
}

interface Parsed {
  /** `v1` or `group/version`. */
  gv: string;
  plural: string;
  namespace: string | undefined;
  name: string | undefined;
}

const KINDS: Record<string, string> = {
  namespaces: 'Namespace',
  secrets: 'Secret',
  events: 'Event',
  mutatingwebhookconfigurations: 'MutatingWebhookConfiguration',
  agentpolicies: 'AgentPolicy',
};

function parse(pathname: string): Parsed | undefined {
  const parts = pathname.split('/').filter(Boolean);
  let gv: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    gv = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    gv = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return { gv, namespace: rest[1], plural: rest[2]!, name: rest[3] };
  }
  if (rest.length === 0) return undefined;
  return { gv, namespace: undefined, plural: rest[0]!, name: rest[1] };
}

interface Watcher {
  plural: string;
  namespace: string | undefined;
  res: ServerResponse;
}

export class ApiStandIn {
  #server: Server;
  #objects = new Map<string, StoredObject>();
  #rv = 100;
  #log: { type: string; plural: string; object: StoredObject }[] = [];
  #watchers = new Set<Watcher>();
  /** Every request, `METHOD path`, for assertions. */
  readonly requests: string[] = [];
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: Error) => this.#status(res, 500, err.message));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.end();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** Kubeconfig for @kubernetes/client-node's loadFromOptions. */
  kubeconfig(): object {
    return {
      clusters: [{ name: 'stand-in', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'test', token: 'stand-in' }],
      contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'test' }],
      currentContext: 'stand-in',
    };
  }

  #key(plural: string, namespace: string | undefined, name: string): string {
    return `${plural}/${namespace ?? ''}/${name}`;
  }

  /** Creates or replaces an object as an admin would (kubectl apply). */
  put(plural: string, obj: StoredObject): StoredObject {
    const key = this.#key(plural, obj.metadata.namespace, obj.metadata.name);
    const type = this.#objects.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.#rv);
    this.#objects.set(key, stored);
    this.#emit(type, plural, stored);
    return stored;
  }

  delete(plural: string, namespace: string | undefined, name: string): void {
    const key = this.#key(plural, namespace, name);
    const obj = this.#objects.get(key);
    if (obj === undefined) return;
    this.#objects.delete(key);
    const gone = structuredClone(obj);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit('DELETED', plural, gone);
  }

  get(plural: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.#objects.get(this.#key(plural, namespace, name));
  }

  list(plural: string, namespace?: string): StoredObject[] {
    return [...this.#objects.entries()]
      .filter(([k]) => k.startsWith(`${plural}/${namespace ?? ''}`))
      .map(([, v]) => v);
  }

  #emit(type: string, plural: string, object: StoredObject): void {
    this.#log.push({ type, plural, object });
    for (const w of this.#watchers) {
      if (w.plural === plural && (w.namespace === undefined || w.namespace === object.metadata.namespace)) {
        w.res.write(`${JSON.stringify({ type, object })}\n`);
      }
    }
  }

  #status(res: ServerResponse, code: number, message: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code, message }));
  }

  #json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async #body(req: IncomingMessage): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as StoredObject;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}${url.searchParams.has('watch') ? '?watch' : ''}`);
    const p = parse(url.pathname);
    if (p === undefined) return this.#status(res, 404, `no route ${url.pathname}`);
    // /api/v1/namespaces/<name> is a Namespace, not a namespaced collection.
    if (
      p.gv === 'v1' &&
      p.plural !== 'namespaces' &&
      p.namespace === undefined &&
      url.pathname.startsWith('/api/v1/namespaces/')
    ) {
      return this.#status(res, 404, 'bad path');
    }
    const namespacedObj = p.plural === 'namespaces' ? undefined : p.namespace;
    if (req.method === 'GET' && p.name === undefined) {
      if (url.searchParams.get('watch') === 'true') {
        const since = Number(url.searchParams.get('resourceVersion') ?? '0');
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        for (const e of this.#log) {
          if (e.plural === p.plural && Number(e.object.metadata.resourceVersion) > since) {
            if (p.namespace === undefined || e.object.metadata.namespace === p.namespace) {
              res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
            }
          }
        }
        const w: Watcher = { plural: p.plural, namespace: p.namespace, res };
        this.#watchers.add(w);
        req.on('close', () => this.#watchers.delete(w));
        return;
      }
      const items = this.list(p.plural, p.namespace);
      return this.#json(res, 200, {
        apiVersion: p.gv,
        kind: `${KINDS[p.plural] ?? 'Object'}List`,
        metadata: { resourceVersion: String(this.#rv) },
        items,
      });
    }
    if (req.method === 'GET') {
      const obj = this.get(p.plural, namespacedObj, p.name!);
      return obj ? this.#json(res, 200, obj) : this.#status(res, 404, `${p.plural} "${p.name}" not found`);
    }
    if (req.method === 'POST' && p.name === undefined) {
      const body = await this.#body(req);
      body.metadata.namespace = namespacedObj ?? body.metadata.namespace;
      if (!body.metadata.name && body.metadata.generateName) {
        body.metadata.name = `${body.metadata.generateName}${(++this.#rv).toString(36)}`;
      }
      if (this.get(p.plural, body.metadata.namespace, body.metadata.name)) {
        return this.#status(res, 409, `${p.plural} "${body.metadata.name}" already exists`);
      }
      return this.#json(res, 201, this.put(p.plural, body));
    }
    if (req.method === 'PUT' && p.name !== undefined) {
      const body = await this.#body(req);
      const current = this.get(p.plural, namespacedObj, p.name);
      if (current === undefined) return this.#status(res, 404, `${p.plural} "${p.name}" not found`);
      if (body.metadata.resourceVersion !== current.metadata.resourceVersion) {
        return this.#status(
          res,
          409,
          'the object has been modified; please apply your changes to the latest version',
        );
      }
      return this.#json(res, 200, this.put(p.plural, body));
    }
    return this.#status(res, 405, `${req.method} not supported`);
  }
}
