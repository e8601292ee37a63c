// The slice of a pino logger identity writes to. Callers pass their pino
// instance; without one, a no-op chosen once (no `if` per call).

export interface IdentityLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const noop = (): void => {};

export const SILENT: IdentityLogger = Object.freeze({ debug: noop, info: noop, warn: noop });
