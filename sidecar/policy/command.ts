// The normalized command: what every protocol hands the policy engine.

import type { Protocol } from '../../api/types.js';
import type { Identity } from '../identity/identity.js';

/** One statement of a command, as its classifier saw it. */
export interface StatementClass {
  /** Upper-case operation names: SELECT, DROP, GET, FLUSHALL, POST, UNKNOWN... */
  readonly operations: readonly string[];
  /** Tables (`schema.table` when qualified, else `table`), Redis keys, HTTP path. Lower-case for SQL. */
  readonly tables: readonly string[];
  /** DELETE or UPDATE without WHERE, FLUSHALL and the like. */
  readonly unbounded?: boolean;
  /** Why the statement is UNKNOWN, when it is. */
  readonly reason?: string;
}

export interface Classification {
  readonly statements: readonly StatementClass[];
  /** Union over the statements, in first-seen order. */
  readonly operations: readonly string[];
  readonly tables: readonly string[];
}

export interface Command {
  readonly target: string;
  readonly protocol: Protocol;
  readonly identity: Identity;
  readonly classification: Classification;
  /** The command text, for messages and audit (masked before audit). */
  readonly text: string;
  /** HTTP only: the request host, for host matching. */
  readonly host?: string;
}

export const UNKNOWN = 'UNKNOWN';

export function unknownStatement(reason: string): StatementClass {
  return { operations: [UNKNOWN], tables: [], reason };
}

/** Builds a Classification from statements, computing the unions once. */
export function classification(statements: readonly StatementClass[]): Classification {
  const ops = new Set<string>();
  const tables = new Set<string>();
  for (const s of statements) {
    for (const o of s.operations) ops.add(o);
    for (const t of s.tables) tables.add(t);
  }
  return { statements, operations: [...ops], tables: [...tables] };
}
