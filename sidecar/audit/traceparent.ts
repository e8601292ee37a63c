// The agent's W3C traceparent as SQL carries it: sqlcommenter appends a comment
// such as /*action='x',traceparent='00-4bf9...-00f0...-01'*/ with URL-encoded
// values. Protocol sessions call this on the raw statement text (before literal
// masking) and put the result in CommandEvent.traceparent; the audit worker
// validates it again before it becomes a span link.

const TRACEPARENT = /\btraceparent\s*=\s*'([^']{0,200})'/;
const SHAPE = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The traceparent of the last sqlcommenter comment in `sql`, or undefined. Looks at most at the last 4 KiB. */
export function traceparentFromSql(sql: string): string | undefined {
  const tail = sql.length > 4096 ? sql.slice(-4096) : sql;
  const close = tail.lastIndexOf('*/');
  if (close < 0) return undefined;
  const open = tail.lastIndexOf('/*', close);
  if (open < 0) return undefined;
  const m = TRACEPARENT.exec(tail.slice(open + 2, close));
  if (m === null) return undefined;
  let value: string;
  try {
    value = decodeURIComponent(m[1]!).toLowerCase();
  } catch {
    return undefined;
  }
  return SHAPE.test(value) ? value : undefined;
}
