// The only network call identity makes: a bounded GET to an issuer, with the
// issuer's own trust roots. Node's global fetch cannot take a CA bundle without
// reaching into undici, so this uses node:https, which can.

import { readFileSync } from 'node:fs';
import https from 'node:https';
import { http } from '../../common/node-http.js';

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Side effect behind an interface (house rule 7): the verifier takes one of these. */
export type HttpGet = (url: string, headers?: Readonly<Record<string, string>>) => Promise<HttpResponse>;

export interface HttpGetOptions {
  /** PEM bundle to trust instead of the system CAs. */
  caFile?: string | undefined;
  timeoutMs: number;
  /** Discovery documents and key sets are small; a larger answer is refused before it is buffered. */
  maxBytes?: number;
}

const MAX_BYTES = 1 << 20;

export function createHttpGet(options: HttpGetOptions): HttpGet {
  // Read once: a CA file that is missing is a configuration error the caller reports at start.
  const ca = options.caFile === undefined ? undefined : readFileSync(options.caFile);
  const maxBytes = options.maxBytes ?? MAX_BYTES;

  return (url, headers = {}) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const u = new URL(url);
      const isHttps = u.protocol === 'https:';
      const request = (isHttps ? https : http).request(
        u,
        {
          method: 'GET',
          // No keep-alive: an issuer is asked every few minutes, and idle sockets would outlive close().
          agent: false,
          ...(isHttps && ca !== undefined ? { ca } : {}),
          headers: { accept: 'application/json', ...headers },
          timeout: options.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const declared = Number(res.headers['content-length'] ?? 0);
          if (declared > maxBytes) {
            res.destroy();
            reject(new Error(`response of ${declared} bytes exceeds ${maxBytes}`));
            return;
          }
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              res.destroy(new Error(`response exceeds ${maxBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      request.on('error', reject);
      request.end();
    });
}
