// Shared by the recognizer tests: findings as [entity, text] pairs, easy to read in a diff.

import type { Entity } from '../../api/types.js';
import { findEntities } from './find.js';

export function found(text: string, entities?: readonly Entity[], column?: string): [string, string][] {
  return findEntities(text, entities, column).map((f) => [f.entity, text.slice(f.start, f.end)]);
}
