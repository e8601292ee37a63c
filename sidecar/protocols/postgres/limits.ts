// Bounds on what either side may send. Every length read from the wire is
// checked against these before a byte of the message is buffered.

export interface PgLimits {
  /** StartupMessage, CancelRequest and the like; PostgreSQL itself allows 10,000 bytes. */
  readonly maxStartupLength: number;
  /** Any typed message from the agent (Query, Parse, Bind, CopyData...). */
  readonly maxFrontendMessage: number;
  /** Any typed message from the upstream (a DataRow with a large value, mostly). */
  readonly maxBackendMessage: number;
  /** Prepared statements one session may hold at once (named ones; PostgreSQL has no limit). */
  readonly maxStatements: number;
  /** Named portals one session may hold at once. */
  readonly maxPortals: number;
}

export const DEFAULT_PG_LIMITS: PgLimits = Object.freeze({
  maxStartupLength: 10_000,
  maxFrontendMessage: 64 * 1024 * 1024,
  maxBackendMessage: 256 * 1024 * 1024,
  maxStatements: 10_000,
  maxPortals: 10_000,
});
