// What the server says in words, masked like result rows. PostgreSQL echoes
// values in its messages: `invalid input syntax for type integer:
// "ana@example.com"`, `Key (email)=(ana@example.com) already exists`, a
// `RAISE NOTICE` or `pg_notify()` with whatever the function read, a
// reported setting whatever `set_config('application_name', email, false)`
// put there. Without
// this, `SELECT email::int FROM users` would read a masked column through
// the error. The free-text fields of ErrorResponse and NoticeResponse and the
// payload of NotificationResponse and the value of ParameterStatus go through
// the command's content
// recognizers; identifiers (schema, table, column, constraint names) and
// SQLSTATE stay as they are. A value a column rule masks is not recognizable
// as text; where such rules apply, the places PostgreSQL puts a value it is
// quoting are blanked instead: the quoted input of a data exception (class
// 22, `invalid input syntax for type integer: "hunter2"`) and the key values
// of an integrity violation (class 23, `Key (password)=(hunter2)`).

import type { ResultMasker } from '../gateway-context.js';
import { ErrorField } from './codes.js';
import type { ErrorOrNotice, Frame } from './messages.js';
import { Reader } from './reader.js';
import * as ser from './serializer.js';

/** Fields that carry the server's words, where values show up. */
const FREE_TEXT: ReadonlySet<number> = new Set([
  ErrorField.Message,
  ErrorField.Detail,
  ErrorField.Hint,
  ErrorField.Context,
  ErrorField.InternalQuery,
]);

/** What replaces the words of a message the masker failed on: the SQLSTATE and severity stay. */
export const WITHHELD = 'agentgate: server message withheld: masking failed';

export interface MaskedMessage {
  /** The message to send instead of the original; null when nothing changed. */
  readonly replacement: Buffer | null;
  /** Its primary text as the agent gets it (for audit). */
  readonly message: string | undefined;
}

/** An ErrorResponse or NoticeResponse with its free text masked. Never throws: a failure withholds the words. */
export function maskErrorOrNotice(msg: ErrorOrNotice, masker: ResultMasker): MaskedMessage {
  let out: Map<number, string> | null = null;
  const echoes = masker.hasColumnRules ? echoedValues(msg.fields.get(ErrorField.Code)) : null;
  try {
    for (const [type, value] of msg.fields) {
      if (!FREE_TEXT.has(type)) continue;
      const masked = masker.maskText(echoes === null ? value : value.replace(echoes, blank));
      if (masked === value) continue;
      out ??= new Map(msg.fields);
      out.set(type, masked);
    }
  } catch {
    out = new Map();
    for (const type of [ErrorField.Severity, ErrorField.SeverityV, ErrorField.Code]) {
      const v = msg.fields.get(type);
      if (v !== undefined) out.set(type, v);
    }
    out.set(ErrorField.Message, WITHHELD);
  }
  if (out === null) return { replacement: null, message: msg.fields.get(ErrorField.Message) };
  return { replacement: ser.errorOrNotice(msg.code, out), message: out.get(ErrorField.Message) };
}

/** `"…"` after a colon (class 22's quoted input), or `)=(…)` (class 23's key values). */
const QUOTED_INPUT = /(: )"(?:[^"]|"")*"/g;
const KEY_VALUES = /(\)=)\((?:[^()]|\([^()]*\))*\)/g;

function echoedValues(sqlstate: string | undefined): RegExp | null {
  if (sqlstate?.startsWith('22')) return QUOTED_INPUT;
  if (sqlstate?.startsWith('23')) return KEY_VALUES;
  return null;
}

function blank(_m: string, lead: string): string {
  return lead === ')=' ? `${lead}(<MASKED>)` : `${lead}"<MASKED>"`;
}

const reader = new Reader();

/**
 * A NotificationResponse with its payload masked: null when nothing changed,
 * 'withhold' when the masker failed (the notification is dropped, never sent as it came).
 */
export function maskNotification(frame: Frame, masker: ResultMasker): Buffer | null | 'withhold' {
  const r = reader.reset(frame.buf, frame.start + 5, frame.end, 'NotificationResponse');
  const processId = r.int32();
  const channel = r.cstring();
  const payload = r.cstring();
  let masked: string;
  try {
    masked = masker.maskText(payload);
  } catch {
    return 'withhold';
  }
  return masked === payload ? null : ser.notificationResponse(processId, channel, masked);
}

/**
 * A ParameterStatus with its value masked: null when nothing changed,
 * 'withhold' when the masker failed (the report is dropped).
 */
export function maskParameterStatus(
  name: string,
  value: string,
  masker: ResultMasker,
): Buffer | null | 'withhold' {
  let masked: string;
  try {
    masked = masker.maskText(value);
  } catch {
    return 'withhold';
  }
  return masked === value ? null : ser.parameterStatus(name, masked);
}
