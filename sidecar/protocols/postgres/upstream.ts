// Opening the upstream hop: TCP, then TLS when the target asks for it
// (PostgreSQL's SSLRequest dance), then the startup packet with the sidecar's
// credentials. The agent never sees those credentials nor how they were used.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Target } from '../../../api/types.js';
import { agError } from '../../../common/errors.js';
import type { Credentials } from '../gateway-context.js';
import { AuthCode } from './codes.js';
import type { Authentication } from './messages.js';
import { md5Password, SCRAM_SHA_256, ScramClient } from './scram.js';
import { passwordMessage, SSL_REQUEST, saslInitialResponse, saslResponse } from './serializer.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port`; port defaults to 5432 for PostgreSQL. */
export function parseAddress(address: string, defaultPort = 5432): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (m === null) throw agError('AG_ERR_CONFIG_INVALID', `target address '${address}' is not host:port`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!(port > 0 && port < 65536)) throw agError('AG_ERR_CONFIG_INVALID', `target address '${address}' port`);
  return { host: m[1]!, port };
}

/** A connected socket to the target, TLS-wrapped when target.tls.mode is require or verify-full. */
export function connectUpstream(target: Target, ca: string | undefined, timeoutMs = 10_000): Promise<Socket> {
  const { host, port } = parseAddress(target.address);
  const mode = target.tls?.mode ?? 'disable';
  return new Promise<Socket>((resolve, reject) => {
    const raw = netConnect({ host, port, noDelay: true });
    const fail = (why: string) => {
      raw.destroy();
      reject(agError('AG_ERR_UPSTREAM_UNAVAILABLE', target.name, why));
    };
    raw.setTimeout(timeoutMs, () => fail('connect timed out'));
    raw.once('error', (e) => fail(e.message));
    raw.once('connect', () => {
      if (mode === 'disable') {
        raw.setTimeout(0);
        raw.removeAllListeners('error');
        resolve(raw);
        return;
      }
      raw.write(SSL_REQUEST);
      raw.once('data', (b: Buffer) => {
        // Exactly one byte may precede the handshake (CVE-2021-23214's lesson).
        if (b.length !== 1 || b[0] !== 0x53) {
          fail(b[0] === 0x4e ? 'the server does not offer TLS' : 'unexpected answer to SSLRequest');
          return;
        }
        const secure = tlsConnect({
          socket: raw,
          servername: /^[\d.:]+$/.test(host) ? undefined : host,
          rejectUnauthorized: mode === 'verify-full',
          ...(ca === undefined ? {} : { ca }),
        });
        secure.once('secureConnect', () => {
          raw.setTimeout(0);
          raw.removeAllListeners('error');
          secure.removeAllListeners('error');
          secure.setNoDelay(true);
          resolve(secure);
        });
        secure.once('error', (e) => fail(`TLS: ${e.message}`));
      });
    });
  });
}

/**
 * Answers the upstream's authentication requests with the sidecar's
 * credentials. `handle` returns true once AuthenticationOk arrived.
 */
export class UpstreamAuth {
  private scram: ScramClient | null = null;

  constructor(
    private readonly target: string,
    private readonly creds: Credentials,
    private readonly write: (b: Buffer) => void,
  ) {}

  handle(msg: Authentication): boolean | Promise<void> {
    switch (msg.type) {
      case AuthCode.Ok:
        return true;
      case AuthCode.CleartextPassword:
        this.write(passwordMessage(this.creds.password));
        return false;
      case AuthCode.MD5Password:
        if (msg.data.length !== 4) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'MD5 salt length');
        this.write(passwordMessage(md5Password(this.creds.username, this.creds.password, msg.data)));
        return false;
      case AuthCode.SASL: {
        const mechanisms = msg.data.toString('utf8').split('\0');
        if (!mechanisms.includes(SCRAM_SHA_256)) {
          throw agError(
            'AG_ERR_PROTOCOL_UNSUPPORTED',
            `upstream SASL mechanisms ${mechanisms.filter(Boolean).join(' ')}`,
          );
        }
        this.scram = new ScramClient(this.creds.password);
        this.write(saslInitialResponse(SCRAM_SHA_256, this.scram.clientFirst()));
        return false;
      }
      case AuthCode.SASLContinue:
        if (this.scram === null) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'SASLContinue before SASL');
        return this.scram.clientFinal(msg.data).then((b) => this.write(saslResponse(b)));
      case AuthCode.SASLFinal:
        if (this.scram === null) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'SASLFinal before SASL');
        this.scram.verifyServerFinal(msg.data);
        return false;
      default:
        throw agError(
          'AG_ERR_PROTOCOL_UNSUPPORTED',
          `upstream ${this.target} asks for authentication type ${msg.type}`,
        );
    }
  }
}
