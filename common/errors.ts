// Every error agentgate raises comes from this one table, with a stable code
// (AG_ERR_<AREA>_<PROBLEM>) and what each protocol shows the agent for it.
// docs/errors.md documents each code; a test keeps the two in step.

/** What an agent sees for an error, per protocol. */
export interface WireError {
  /** PostgreSQL SQLSTATE. */
  readonly sqlstate: string;
  /** MySQL error number and SQLSTATE. */
  readonly mysqlErrno: number;
  readonly mysqlState: string;
  /** Redis error prefix (the word after '-'). */
  readonly resp: string;
  /** HTTP status. */
  readonly http: number;
}

interface ErrorDef extends WireError {
  readonly message: string;
}

const PERMISSION: WireError = {
  sqlstate: '42501',
  mysqlErrno: 1227,
  mysqlState: '42000',
  resp: 'NOPERM',
  http: 403,
};
const AUTH: WireError = {
  sqlstate: '28000',
  mysqlErrno: 1045,
  mysqlState: '28000',
  resp: 'WRONGPASS',
  http: 401,
};
const PROTOCOL: WireError = {
  sqlstate: '08P01',
  mysqlErrno: 1047,
  mysqlState: '08S01',
  resp: 'ERR',
  http: 400,
};
const CONFIG: WireError = {
  sqlstate: '58000',
  mysqlErrno: 1105,
  mysqlState: 'HY000',
  resp: 'ERR',
  http: 500,
};
const UNAVAILABLE: WireError = {
  sqlstate: '08006',
  mysqlErrno: 2013,
  mysqlState: 'HY000',
  resp: 'ERR',
  http: 503,
};
const USAGE: WireError = { sqlstate: '22023', mysqlErrno: 1210, mysqlState: 'HY000', resp: 'ERR', http: 400 };

/**
 * The table. Messages are printf-like: each `%s` takes one argument in order.
 * Agent-facing messages start with `agentgate:` so a human reading a client log
 * knows who said no.
 */
export const ERRORS = {
  // policy: what the agent sees when a command is refused
  AG_ERR_POLICY_DENIED: { ...PERMISSION, message: 'agentgate: denied by policy %s rule %s: %s' },
  AG_ERR_POLICY_DEFAULT_DENY: {
    ...PERMISSION,
    message: 'agentgate: denied: no rule of any policy allows %s',
  },
  AG_ERR_POLICY_REVIEW_REQUIRED: {
    ...PERMISSION,
    message: 'agentgate: approval required by policy %s rule %s: %s',
  },
  AG_ERR_POLICY_UNAVAILABLE: {
    ...PERMISSION,
    message: 'agentgate: denied: no policy could be evaluated (%s)',
  },
  AG_ERR_POLICY_UNKNOWN_TARGET: { ...PERMISSION, message: 'agentgate: denied: %s is not a declared target' },
  // policy loading: what an operator sees for a bad AgentPolicy
  AG_ERR_POLICY_INVALID: { ...CONFIG, message: '%s' },
  AG_ERR_POLICY_LOAD: { ...CONFIG, message: 'cannot load policies from %s: %s' },
  // classification
  AG_ERR_CLASSIFY_TOO_LARGE: {
    ...USAGE,
    message: 'agentgate: statement of %s bytes exceeds the limit of %s',
  },
  // identity
  AG_ERR_AUTH_TOKEN_MISSING: { ...AUTH, message: 'agentgate: authentication failed: %s' },
  AG_ERR_AUTH_TOKEN_INVALID: { ...AUTH, message: 'agentgate: authentication failed: %s' },
  AG_ERR_AUTH_TOKEN_EXPIRED: {
    ...AUTH,
    message: 'agentgate: authentication failed: token expired; reconnect with a fresh token',
  },
  AG_ERR_AUTH_ISSUER_UNAVAILABLE: {
    ...AUTH,
    message: 'agentgate: authentication failed: issuer %s unavailable: %s',
  },
  // protocols
  AG_ERR_PROTOCOL_MALFORMED: { ...PROTOCOL, message: 'agentgate: protocol error: %s' },
  AG_ERR_PROTOCOL_TOO_LARGE: {
    ...PROTOCOL,
    message: 'agentgate: protocol error: %s of %s bytes exceeds the limit of %s',
  },
  AG_ERR_PROTOCOL_UNSUPPORTED: { ...PROTOCOL, message: 'agentgate: unsupported: %s' },
  AG_ERR_UPSTREAM_UNAVAILABLE: { ...UNAVAILABLE, message: 'agentgate: upstream %s unavailable: %s' },
  AG_ERR_UPSTREAM_AUTH: { ...UNAVAILABLE, message: 'agentgate: upstream %s refused the sidecar credentials' },
  AG_ERR_SIDECAR_SHUTDOWN: {
    sqlstate: '57P01',
    mysqlErrno: 1053,
    mysqlState: '08S01',
    resp: 'ERR',
    http: 503,
    message: 'agentgate: the sidecar is shutting down; reconnect',
  },
  // masking
  AG_ERR_MASKING_FAILED: { ...CONFIG, message: 'agentgate: result withheld: masking failed (%s)' },
  // intercept: the transparent listener and the pod's redirect rules
  AG_ERR_INTERCEPT_ADDON_MISSING: {
    ...CONFIG,
    message: 'the SO_ORIGINAL_DST addon is not built (%s); run make build',
  },
  AG_ERR_INTERCEPT_NOT_REDIRECTED: {
    ...PERMISSION,
    message:
      'agentgate: connection to %s was not redirected by the pod rules; it has no original destination',
  },
  AG_ERR_INTERCEPT_ORIGINAL_DST: { ...CONFIG, message: 'cannot read the original destination: %s' },
  AG_ERR_IPTABLES_FAILED: { ...CONFIG, message: 'iptables: %s' },
  // audit
  AG_ERR_AUDIT_UNAVAILABLE: { ...UNAVAILABLE, message: 'agentgate: audit trail unavailable: %s' },
  AG_ERR_AUDIT_CORRUPT: { ...CONFIG, message: 'audit data unreadable: %s' },
  // webhook: what the API server (and kubectl) sees for a bad request or setup
  AG_ERR_WEBHOOK_BAD_REVIEW: { ...USAGE, message: 'agentgate webhook: %s' },
  AG_ERR_WEBHOOK_TLS: { ...CONFIG, message: 'agentgate webhook: TLS: %s' },
  // cli and configuration
  AG_ERR_CLI_USAGE: { ...USAGE, message: '%s' },
  AG_ERR_CONFIG_INVALID: { ...CONFIG, message: 'invalid configuration: %s' },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export class AgentgateError extends Error {
  readonly code: ErrorCode;
  readonly wire: WireError;
  override readonly name = 'AgentgateError';

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.wire = ERRORS[code];
  }
}

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++] ?? ''));
}

/** The one way to make an agentgate error: `agError('AG_ERR_POLICY_DENIED', policy, rule, why)`. */
export function agError(code: ErrorCode, ...args: unknown[]): AgentgateError {
  return new AgentgateError(code, format(ERRORS[code].message, args));
}

export function isAgentgateError(e: unknown): e is AgentgateError {
  return e instanceof AgentgateError;
}
