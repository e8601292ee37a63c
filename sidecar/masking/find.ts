// Findings as objects, for tests, the corpus evaluation and `policy check`
// style tooling. The data path never calls this: it masks in place.

import { ENTITIES, type Entity } from '../../api/types.js';
import { columnContext } from './columns.js';
import { CONTENT_ENTITIES_MASK, entityIndex, entityName } from './entities.js';
import { Matches } from './matches.js';
import { scan } from './scanner.js';

export interface Finding {
  readonly entity: Entity;
  readonly start: number;
  readonly end: number;
}

/** Every finding of the given entities (default: all) in `text`; `column` lends its name as context. */
export function findEntities(text: string, entities: readonly Entity[] = ENTITIES, column = ''): Finding[] {
  let enabled = 0;
  for (const e of entities) enabled |= 1 << entityIndex(e);
  const m = new Matches();
  scan(text, enabled & CONTENT_ENTITIES_MASK, column === '' ? 0 : columnContext(column), m);
  const out: Finding[] = [];
  for (let k = 0; k < m.count; k++)
    out.push({ entity: entityName(m.entity[k]!), start: m.start[k]!, end: m.end[k]! });
  return out;
}
