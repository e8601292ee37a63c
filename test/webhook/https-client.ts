// A keep-alive HTTPS client that trusts one CA bundle, as the API server does
// with the webhook's caBundle. Shared by the webhook tests and the benchmark.

import { Agent, request } from 'node:https';

export interface Reply {
  readonly status: number;
  readonly body: string;
  json<T = unknown>(): T;
}

export class WebhookClient {
  readonly agent: Agent;
  constructor(
    readonly baseUrl: string,
    ca: string,
    servername?: string,
  ) {
    this.agent = new Agent({ ca, keepAlive: true, maxSockets: 4, ...(servername ? { servername } : {}) });
  }

  send(
    method: string,
    path: string,
    body?: string | Buffer,
    contentType = 'application/json',
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers:
            body === undefined
              ? {}
              : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text, json: <T>() => JSON.parse(text) as T });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  post(path: string, value: unknown): Promise<Reply> {
    return this.send('POST', path, JSON.stringify(value));
  }

  close(): void {
    this.agent.destroy();
  }
}

/** An AdmissionReview for creating `pod` in `namespace`. */
export function podReview(uid: string, namespace: string, pod: unknown, operation = 'CREATE'): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace,
      operation,
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        groups: ['system:serviceaccounts'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}
