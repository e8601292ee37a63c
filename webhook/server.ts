// The webhook over HTTPS: Fastify with a body limit, AdmissionReviews on
// /mutate-pods (and /mutate-pods/namespace-enabled for the webhook entry whose
// namespaceSelector already required the namespace label), /healthz and
// /metrics. Bad input gets a JSON error with a stable code and the server
// carries on; certificates reload from disk for new connections.

import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { type AdmissionDeps, admit } from './admission.js';
import { WebhookMetrics } from './metrics.js';
import { type Reloader, readPair, startReloader } from './tls-reloader.js';

export const MUTATE_PATH = '/mutate-pods';
export const MUTATE_NAMESPACE_ENABLED_PATH = '/mutate-pods/namespace-enabled';
/** Pods are at most ~1.5 MiB in etcd; an AdmissionReview carries one, plus envelope. */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly deps: AdmissionDeps;
  readonly bodyLimit?: number;
  readonly logger?: Logger;
  readonly metrics?: WebhookMetrics;
  /** How often to re-read the certificate files even without a watch event. */
  readonly certPollMs?: number;
}

export interface WebhookServer {
  readonly port: number;
  readonly url: string;
  readonly metrics: WebhookMetrics;
  readonly reloader: Reloader;
  /** Fails /healthz from now on, so the Service stops sending new requests before close(). */
  drain(): void;
  close(): Promise<void>;
}

const BAD = 'AG_ERR_WEBHOOK_BAD_REVIEW';

function errorReply(err: FastifyError): { status: number; body: { error: string; message: string } } {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: BAD, message: 'agentgate webhook: request body too large' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { error: BAD, message: 'agentgate webhook: expected application/json' } };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: { error: BAD, message: `agentgate webhook: body is not JSON (${err.message})` },
      };
    default:
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        return { status: err.statusCode, body: { error: BAD, message: `agentgate webhook: ${err.message}` } };
      }
      return {
        status: 500,
        body: { error: 'AG_ERR_CONFIG_INVALID', message: 'agentgate webhook: internal error' },
      };
  }
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const pair = await readPair(opts.certFile, opts.keyFile);
  const metrics = opts.metrics ?? new WebhookMetrics();
  const app = Fastify({
    https: { cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' },
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // The API server calls us for every pod in the cluster: one log line per
    // request would drown the ones that matter.
    disableRequestLogging: true,
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    return503OnClosing: true,
  });
  const log = opts.logger;
  // AdmissionReviews are JSON; anything else is refused before parsing.
  app.removeContentTypeParser(['text/plain']);

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const { status, body } = errorReply(err);
    if (status >= 500) log?.error({ err }, 'webhook request failed');
    metrics.badRequests.inc();
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply
      .code(404)
      .send({ error: BAD, message: `agentgate webhook: no such path; POST ${MUTATE_PATH}` });
  });

  const handler =
    (namespaceEnabled: boolean) =>
    async (req: { body: unknown }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
      const started = process.hrtime.bigint();
      const answer = admit(req.body, { namespaceEnabled }, opts.deps);
      metrics.observe(answer.outcome, Number(process.hrtime.bigint() - started) / 1e9);
      if (log && answer.outcome.kind !== 'skipped') {
        log.info({ outcome: answer.outcome.kind }, 'admission');
      }
      return reply.code(answer.statusCode).send(answer.body);
    };
  app.post(MUTATE_PATH, handler(false));
  app.post(MUTATE_NAMESPACE_ENABLED_PATH, handler(true));
  let draining = false;
  app.get('/healthz', async (_req, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining' });
    return { status: 'ok' };
  });
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await app.listen({ host: opts.host, port: opts.port });
  const server = app.server as HttpsServer;
  const reloader = startReloader(pair, {
    certFile: opts.certFile,
    keyFile: opts.keyFile,
    apply: (next) => server.setSecureContext({ cert: next.cert, key: next.key, minVersion: 'TLSv1.2' }),
    onReload: (err) => {
      if (err) log?.warn({ err: err.message }, 'certificate reload skipped; keeping the current pair');
      else log?.info('serving certificate reloaded');
    },
    ...(opts.certPollMs !== undefined ? { pollMs: opts.certPollMs } : {}),
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    port,
    url: `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    metrics,
    reloader,
    drain: () => {
      draining = true;
    },
    close: async () => {
      reloader.close();
      await app.close();
    },
  };
}
