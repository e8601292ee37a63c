// Parses what the upstream PostgreSQL sends. Only the messages the session acts
// on are decoded; DataRow, CommandComplete, CopyData and the rest come out as a
// shared opaque object per code plus the frame, so forwarding costs no decode.
// DataRow fields are read on demand by the masking path (data-row.ts).

import { agError } from '../../../common/errors.js';
import { BackendCode } from './codes.js';
import { Framer } from './framer.js';
import { DEFAULT_PG_LIMITS, type PgLimits } from './limits.js';
import type {
  BackendMessage,
  Column,
  ErrorOrNotice,
  Frame,
  OpaqueBackend,
  ReadyForQuery,
  RowDescription,
} from './messages.js';
import { Reader } from './reader.js';

const OPAQUE: readonly OpaqueBackend[] = Array.from({ length: 256 }, (_, code) =>
  Object.freeze({ name: 'opaque', code }),
);

const KNOWN = new Set<number>([
  BackendCode.ParseComplete,
  BackendCode.BindComplete,
  BackendCode.CloseComplete,
  BackendCode.NotificationResponse,
  BackendCode.CommandComplete,
  BackendCode.DataRow,
  BackendCode.ErrorResponse,
  BackendCode.CopyInResponse,
  BackendCode.CopyOutResponse,
  BackendCode.EmptyQueryResponse,
  BackendCode.BackendKeyData,
  BackendCode.NoticeResponse,
  BackendCode.Authentication,
  BackendCode.ParameterStatus,
  BackendCode.RowDescription,
  BackendCode.FunctionCallResponse,
  BackendCode.CopyBothResponse,
  BackendCode.ReadyForQuery,
  BackendCode.CopyDone,
  BackendCode.CopyData,
  BackendCode.NoData,
  BackendCode.PortalSuspended,
  BackendCode.ParameterDescription,
  BackendCode.NegotiateProtocolVersion,
]);

const RFQ_IDLE = readyForQuery(0x49);
const RFQ_IN_TRANSACTION = readyForQuery(0x54);
const RFQ_FAILED = readyForQuery(0x45);

function readyForQuery(status: number): ReadyForQuery {
  return Object.freeze({ name: 'readyForQuery', code: BackendCode.ReadyForQuery, status });
}

export type BackendCallback = (msg: BackendMessage, frame: Frame) => void;

export class BackendParser {
  private readonly framer: Framer;
  private readonly reader = new Reader();
  private readonly onFrame: (frame: Frame) => void;
  private onMessage: BackendCallback = () => {};

  constructor(limits: PgLimits = DEFAULT_PG_LIMITS) {
    this.framer = new Framer(limits.maxBackendMessage, limits.maxStartupLength, 'server message');
    this.onFrame = (frame) => this.onMessage(this.decode(frame), frame);
  }

  get idle(): boolean {
    return this.framer.idle;
  }

  parse(chunk: Buffer, onMessage: BackendCallback): void {
    this.onMessage = onMessage;
    this.framer.feed(chunk, this.onFrame);
  }

  private decode(f: Frame): BackendMessage {
    const code = f.buf[f.start]!;
    const r = this.reader;
    switch (code) {
      case BackendCode.DataRow:
      case BackendCode.CommandComplete:
      case BackendCode.CopyData:
        return OPAQUE[code]!;
      case BackendCode.ReadyForQuery: {
        r.reset(f.buf, f.start + 5, f.end, 'ReadyForQuery');
        const status = r.byte();
        if (status !== 0x49 && status !== 0x54 && status !== 0x45) {
          throw agError('AG_ERR_PROTOCOL_MALFORMED', `ReadyForQuery status ${status}`);
        }
        return status === 0x49 ? RFQ_IDLE : status === 0x54 ? RFQ_IN_TRANSACTION : RFQ_FAILED;
      }
      case BackendCode.RowDescription:
        return this.decodeRowDescription(f);
      case BackendCode.ErrorResponse:
      case BackendCode.NoticeResponse:
        return decodeErrorFields(r.reset(f.buf, f.start + 5, f.end, 'ErrorResponse'), code);
      case BackendCode.Authentication: {
        r.reset(f.buf, f.start + 5, f.end, 'Authentication');
        const type = r.int32();
        return { name: 'authentication', code, type, data: r.rest() };
      }
      case BackendCode.ParameterStatus: {
        r.reset(f.buf, f.start + 5, f.end, 'ParameterStatus');
        const parameter = r.cstring();
        const value = r.cstring();
        return { name: 'parameterStatus', code, parameter, value };
      }
      case BackendCode.BackendKeyData: {
        r.reset(f.buf, f.start + 5, f.end, 'BackendKeyData');
        const processId = r.int32();
        const secretKey = r.int32();
        return { name: 'backendKeyData', code, processId, secretKey };
      }
    }
    if (!KNOWN.has(code)) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', `unknown server message type 0x${code.toString(16)}`);
    }
    return OPAQUE[code]!;
  }

  /**
   * Checked now (a malformed description ends the session), decoded when first
   * read: most descriptions are only forwarded, and decoding makes an object
   * and a string per column on every execution of a prepared statement.
   */
  private decodeRowDescription(f: Frame): BackendMessage {
    const r = this.reader.reset(f.buf, f.start + 5, f.end, 'RowDescription');
    const n = r.int16();
    if (n < 0) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'RowDescription column count');
    for (let i = 0; i < n; i++) {
      r.skipCString();
      r.skip(18);
    }
    return new LazyRowDescription(f.buf, f.start, f.end);
  }
}

/**
 * A RowDescription kept beyond the chunk it arrived in (a prepared statement's
 * or a portal's description): a copy of its own bytes, so that it does not keep
 * the whole chunk, and whatever arrived with it, alive as long as the statement.
 */
export function ownRowDescription(msg: RowDescription): RowDescription {
  return msg instanceof LazyRowDescription ? msg.own() : msg;
}

/** A RowDescription whose columns are decoded on first use; the frame's buffer is never rewritten (framer.ts). */
class LazyRowDescription implements RowDescription {
  readonly name = 'rowDescription';
  readonly code = BackendCode.RowDescription;
  readonly #buf: Buffer;
  readonly #start: number;
  readonly #end: number;
  #columns: readonly Column[] | null = null;

  constructor(buf: Buffer, start: number, end: number) {
    this.#buf = buf;
    this.#start = start;
    this.#end = end;
  }

  own(): LazyRowDescription {
    if (this.#columns !== null) return this;
    return new LazyRowDescription(
      Buffer.from(this.#buf.subarray(this.#start, this.#end)),
      0,
      this.#end - this.#start,
    );
  }

  get columns(): readonly Column[] {
    if (this.#columns === null) {
      const r = new Reader().reset(this.#buf, this.#start + 5, this.#end, 'RowDescription');
      const n = r.int16();
      const columns: Column[] = new Array(n);
      for (let i = 0; i < n; i++) {
        columns[i] = {
          name: r.cstring(),
          tableOid: r.int32(),
          columnIndex: r.int16(),
          typeOid: r.int32(),
          typeSize: r.int16(),
          typeModifier: r.int32(),
          format: r.int16(),
        };
      }
      this.#columns = columns;
    }
    return this.#columns;
  }
}

export function decodeErrorFields(r: Reader, code: number): ErrorOrNotice {
  const fields = new Map<number, string>();
  for (;;) {
    const type = r.byte();
    if (type === 0) break;
    fields.set(type, r.cstring());
  }
  return {
    name: code === BackendCode.ErrorResponse ? 'error' : 'notice',
    code: code as BackendCode.ErrorResponse | BackendCode.NoticeResponse,
    fields,
  };
}
