// Parses what the agent sends: the untyped startup phase (StartupMessage,
// SSLRequest, GSSENCRequest, CancelRequest), then typed messages. Synchronous:
// parse(chunk, onMessage) emits every complete message at once.

import { agError } from '../../../common/errors.js';
import { FrontendCode, StartupCode } from './codes.js';
import { Framer } from './framer.js';
import { DEFAULT_PG_LIMITS, type PgLimits } from './limits.js';
import type { Frame, FrontendMessage, OpaqueFrontend, StartupPacket } from './messages.js';
import { Reader } from './reader.js';

const SYNC: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.Sync });
const FLUSH: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.Flush });
const TERMINATE: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.Terminate });
const COPY_DATA: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.CopyData });
const COPY_DONE: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.CopyDone });
const COPY_FAIL: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.CopyFail });
const FUNCTION_CALL: OpaqueFrontend = Object.freeze({ name: 'opaque', code: FrontendCode.FunctionCall });
const NO_FORMATS: readonly number[] = Object.freeze([]);
const ALL_TEXT: readonly number[] = Object.freeze([0]);
const ALL_BINARY: readonly number[] = Object.freeze([1]);
const SSL_REQUEST: StartupPacket = Object.freeze({ name: 'sslRequest' });
const GSSENC_REQUEST: StartupPacket = Object.freeze({ name: 'gssEncRequest' });

export type FrontendCallback = (msg: FrontendMessage, frame: Frame) => void;

export class FrontendParser {
  private readonly framer: Framer;
  private readonly reader = new Reader();
  private readonly onFrame: (frame: Frame) => void;
  private onMessage: FrontendCallback = () => {};

  constructor(limits: PgLimits = DEFAULT_PG_LIMITS) {
    this.framer = new Framer(limits.maxFrontendMessage, limits.maxStartupLength, 'client message');
    this.framer.untyped = true;
    this.onFrame = (frame) => this.onMessage(this.decode(frame), frame);
  }

  /** True until a StartupMessage has been parsed. */
  get inStartup(): boolean {
    return this.framer.untyped;
  }

  get idle(): boolean {
    return this.framer.idle;
  }

  parse(chunk: Buffer, onMessage: FrontendCallback): void {
    this.onMessage = onMessage;
    this.framer.feed(chunk, this.onFrame);
  }

  private decode(f: Frame): FrontendMessage {
    return this.framer.untyped ? this.decodeStartup(f) : this.decodeTyped(f);
  }

  private decodeStartup(f: Frame): FrontendMessage {
    const r = this.reader.reset(f.buf, f.start + 4, f.end, 'startup packet');
    const code = r.int32();
    switch (code) {
      case StartupCode.SSLRequest:
        return SSL_REQUEST;
      case StartupCode.GSSENCRequest:
        return GSSENC_REQUEST;
      case StartupCode.CancelRequest: {
        r.what = 'CancelRequest';
        const processId = r.int32();
        const secretKey = r.int32();
        return { name: 'cancelRequest', processId, secretKey };
      }
    }
    const major = code >>> 16;
    if (major !== 3) {
      throw agError('AG_ERR_PROTOCOL_UNSUPPORTED', `frontend protocol ${major}.${code & 0xffff}`);
    }
    r.what = 'StartupMessage';
    const params = new Map<string, string>();
    for (;;) {
      const key = r.cstring();
      if (key === '') break;
      params.set(key, r.cstring());
    }
    if (r.remaining() !== 0) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'StartupMessage has trailing bytes');
    this.framer.untyped = false;
    return { name: 'startup', major, minor: code & 0xffff, params };
  }

  private decodeTyped(f: Frame): FrontendMessage {
    const code = f.buf[f.start]!;
    const r = this.reader;
    switch (code) {
      case FrontendCode.Query: {
        r.reset(f.buf, f.start + 5, f.end, 'Query');
        const text = r.cstring();
        return { name: 'query', code, text };
      }
      case FrontendCode.Parse: {
        r.reset(f.buf, f.start + 5, f.end, 'Parse');
        const statement = r.cstring();
        const text = r.cstring();
        const n = r.int16();
        r.skip(n * 4);
        return { name: 'parse', code, statement, text };
      }
      case FrontendCode.Bind:
        return this.decodeBind(f);
      case FrontendCode.Describe:
      case FrontendCode.Close: {
        r.reset(f.buf, f.start + 5, f.end, code === FrontendCode.Describe ? 'Describe' : 'Close');
        const k = r.byte();
        if (k !== 0x53 && k !== 0x50) throw agError('AG_ERR_PROTOCOL_MALFORMED', `${r.what} of kind ${k}`);
        const kind = k === 0x53 ? 'S' : 'P';
        const target = r.cstring();
        return code === FrontendCode.Describe
          ? { name: 'describe', code, kind, target }
          : { name: 'close', code, kind, target };
      }
      case FrontendCode.Execute: {
        r.reset(f.buf, f.start + 5, f.end, 'Execute');
        const portal = r.cstring();
        const maxRows = r.int32();
        return { name: 'execute', code, portal, maxRows };
      }
      case FrontendCode.Sync:
        return SYNC;
      case FrontendCode.Flush:
        return FLUSH;
      case FrontendCode.Terminate:
        return TERMINATE;
      case FrontendCode.CopyData:
        return COPY_DATA;
      case FrontendCode.CopyDone:
        return COPY_DONE;
      case FrontendCode.CopyFail:
        return COPY_FAIL;
      case FrontendCode.FunctionCall:
        return FUNCTION_CALL;
      case FrontendCode.Password:
        return { name: 'password', code, data: f.buf.subarray(f.start + 5, f.end) };
      default:
        throw agError('AG_ERR_PROTOCOL_MALFORMED', `unknown client message type 0x${code.toString(16)}`);
    }
  }

  private decodeBind(f: Frame): FrontendMessage {
    const r = this.reader.reset(f.buf, f.start + 5, f.end, 'Bind');
    const portal = r.cstring();
    const statement = r.cstring();
    const nParamFormats = r.int16();
    r.skip(nParamFormats * 2);
    const nParams = r.int16();
    for (let i = 0; i < nParams; i++) {
      const len = r.int32();
      if (len > 0) r.skip(len);
      else if (len < -1) throw agError('AG_ERR_PROTOCOL_MALFORMED', `Bind parameter length ${len}`);
    }
    const nResult = r.int16();
    if (nResult < 0) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'Bind result format count');
    let resultFormats: readonly number[];
    if (nResult === 0) resultFormats = NO_FORMATS;
    else if (nResult === 1) {
      // What libpq sends on every execution: one format for all columns.
      const f0 = r.int16();
      resultFormats = f0 === 0 ? ALL_TEXT : f0 === 1 ? ALL_BINARY : [f0];
    } else {
      const formats: number[] = new Array(nResult);
      for (let i = 0; i < nResult; i++) formats[i] = r.int16();
      resultFormats = formats;
    }
    return { name: 'bind', code: FrontendCode.Bind, portal, statement, resultFormats };
  }
}
