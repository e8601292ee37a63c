import type { Classification } from '../command.js';

/** Cached results are shared between callers: freeze them so none can alter another's. */
export function freeze(c: Classification): Classification {
  for (const s of c.statements) {
    Object.freeze(s.operations);
    Object.freeze(s.tables);
    Object.freeze(s);
  }
  Object.freeze(c.statements);
  Object.freeze(c.operations);
  Object.freeze(c.tables);
  return Object.freeze(c);
}
