// One OTLP/HTTP protobuf request: POST the body, tell the caller what the
// collector said. Retry policy lives with the caller (the spool decides what is
// kept); this only classifies the outcome as the OTLP specification does.

import type { Agent } from 'node:http';
import https from 'node:https';
import { http } from '../../common/node-http.js';

export type PostOutcome =
  | { readonly kind: 'ok' }
  /** The collector will never take these bytes (400): resending cannot help. */
  | { readonly kind: 'rejected'; readonly status: number; readonly detail: string }
  /** Too large for the collector (413): send fewer records at a time. */
  | { readonly kind: 'too-large' }
  /** Down, overloaded or unreachable: keep the data and try again later. */
  | { readonly kind: 'retry'; readonly detail: string; readonly retryAfterMs?: number };

/** `http://host:4318` means the standard path; a URL that names a path is used as is. */
export function tracesUrl(endpoint: string): URL {
  const u = new URL(endpoint);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/traces';
  return u;
}

export class OtlpHttpClient {
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly agent: Agent;
  private readonly request: typeof http.request;

  constructor(endpoint: string, timeoutMs: number, headers: Readonly<Record<string, string>> = {}) {
    this.url = tracesUrl(endpoint);
    this.timeoutMs = timeoutMs;
    this.headers = headers;
    const tls = this.url.protocol === 'https:';
    this.agent = tls ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.request = tls ? https.request : http.request;
  }

  post(body: Buffer): Promise<PostOutcome> {
    return new Promise((resolve) => {
      const req = this.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            ...this.headers,
            'content-type': 'application/x-protobuf',
            'content-length': String(body.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < 4096) chunks.push(c);
            size += c.length;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const detail = `HTTP ${status} ${Buffer.concat(chunks).toString('utf8', 0, 200)}`;
            if (status >= 200 && status < 300) resolve({ kind: 'ok' });
            else if (status === 413) resolve({ kind: 'too-large' });
            else if (status === 400) resolve({ kind: 'rejected', status, detail });
            else {
              const ra = Number(res.headers['retry-after']);
              resolve(
                Number.isFinite(ra) && ra > 0
                  ? { kind: 'retry', detail, retryAfterMs: ra * 1000 }
                  : { kind: 'retry', detail },
              );
            }
          });
          res.on('error', (err) => resolve({ kind: 'retry', detail: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => resolve({ kind: 'retry', detail: err.message }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
