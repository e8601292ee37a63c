// The upstream half of a session's startup, from the sidecar's StartupMessage
// to the server's first ReadyForQuery: authentication with the sidecar's own
// credentials (upstream.ts), BackendKeyData swapped for a key of ours
// (cancel.ts), ParameterStatus passed on, and, when masking needs them, the
// table names read before the agent's first command (catalog.ts).

import type { Target } from '../../../api/types.js';
import { agError } from '../../../common/errors.js';
import type { GatewayContext } from '../gateway-context.js';
import type { CancelRegistry } from './cancel.js';
import { CatalogReader, catalogQuery, type PgCatalog } from './catalog.js';
import { ErrorField } from './codes.js';
import type { BackendMessage, Frame, ReadyForQuery } from './messages.js';
import type { Outbox } from './outbox.js';
import * as ser from './serializer.js';
import type { UpstreamAuth } from './upstream.js';

const enum Step {
  Authenticating,
  Starting,
  ReadingCatalog,
  Done,
}

/** What the handshake asks of its session. */
export interface HandshakeHost {
  /** The upstream refused the session with an error the agent has been sent: close. */
  refused(why: string): void;
  /** The handshake failed: end the session with this error. */
  fail(e: unknown): void;
  /** The upstream is ready for the agent's first command; `frame` is its ReadyForQuery. */
  ready(status: number, frame: Frame): void;
}

export class UpstreamHandshake {
  private step = Step.Authenticating;
  private auth: UpstreamAuth | null;
  private reading: CatalogReader | null = null;
  /** The key the agent was given for cancel requests, once the server sent its own. */
  cancelKey: { processId: number; secretKey: number } | null = null;
  /** standard_conforming_strings as the server reports it at startup. */
  standardConformingStrings = true;
  /** Table and column names, when masking asked for them (catalog.ts). */
  catalog: PgCatalog | null = null;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly target: Target,
    private readonly cancels: CancelRegistry,
    auth: UpstreamAuth,
    private readonly toAgent: Outbox,
    private readonly toUpstream: Outbox,
    private readonly host: HandshakeHost,
  ) {
    this.auth = auth;
  }

  message(msg: BackendMessage, frame: Frame): void {
    switch (this.step) {
      case Step.Authenticating:
        this.authenticating(msg, frame);
        return;
      case Step.Starting:
        this.starting(msg, frame);
        return;
      case Step.ReadingCatalog:
        if (!this.reading!.message(msg, frame)) return;
        this.catalog = this.reading;
        this.reading = null;
        this.done((msg as ReadyForQuery).status, frame);
        return;
      case Step.Done:
        return;
    }
  }

  private authenticating(msg: BackendMessage, frame: Frame): void {
    switch (msg.name) {
      case 'authentication': {
        const done = this.auth!.handle(msg);
        if (done === true) {
          this.auth = null;
          this.step = Step.Starting;
          this.toAgent.send(ser.AUTH_OK);
        } else if (done !== false) {
          done.catch((e: unknown) => this.host.fail(e));
        }
        return;
      }
      case 'error': {
        const state = msg.fields.get(ErrorField.Code) ?? '';
        // Refusals of our credentials would name our role: the agent learns only that we were refused.
        if (state.startsWith('28')) throw agError('AG_ERR_UPSTREAM_AUTH', this.target.name);
        this.toAgent.forward(frame);
        this.host.refused(`upstream refused the session: ${msg.fields.get(ErrorField.Message) ?? state}`);
        return;
      }
      case 'notice':
        this.toAgent.forward(frame);
        return;
    }
    throw agError('AG_ERR_PROTOCOL_MALFORMED', `upstream sent ${msg.name} before authenticating`);
  }

  private starting(msg: BackendMessage, frame: Frame): void {
    switch (msg.name) {
      case 'backendKeyData':
        this.cancelKey = this.cancels.register({
          target: this.target,
          processId: msg.processId,
          secretKey: msg.secretKey,
        });
        this.toAgent.send(ser.backendKeyData(this.cancelKey.processId, this.cancelKey.secretKey));
        return;
      case 'readyForQuery':
        {
          const req = this.ctx.catalogRequest?.(this.target) ?? null;
          if (req !== null) {
            this.reading = new CatalogReader(req);
            this.step = Step.ReadingCatalog;
            this.toUpstream.send(catalogQuery(req));
            return;
          }
        }
        this.done(msg.status, frame);
        return;
      case 'error':
        this.toAgent.forward(frame);
        this.host.refused(`upstream refused the session: ${msg.fields.get(ErrorField.Message) ?? ''}`);
        return;
      default:
        if (msg.name === 'parameterStatus' && msg.parameter === 'standard_conforming_strings') {
          this.standardConformingStrings = msg.value === 'on';
        }
        // ParameterStatus, NoticeResponse: the agent sees the server as it is.
        this.toAgent.forward(frame);
    }
  }

  private done(status: number, frame: Frame): void {
    this.step = Step.Done;
    this.host.ready(status, frame);
  }
}
