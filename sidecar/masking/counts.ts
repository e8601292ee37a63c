// How many values a command had masked, per entity (and per column for column
// rules that name no entity). Audit reads it as `agentgate.masked.*`; it never
// holds a value.

import { ENTITY_COUNT, entityName } from './entities.js';

export class MaskCounts {
  readonly entities = new Uint32Array(ENTITY_COUNT);
  /** `column:<name>` -> count, for column rules that name no entity. */
  readonly columns = new Map<string, number>();
  total = 0;

  addEntity(index: number): void {
    this.entities[index]!++;
    this.total++;
  }

  addColumn(key: string): void {
    this.columns.set(key, (this.columns.get(key) ?? 0) + 1);
    this.total++;
  }

  reset(): void {
    this.entities.fill(0);
    this.columns.clear();
    this.total = 0;
  }

  /** Only what was found: `{ EMAIL_ADDRESS: 3, 'column:ssn': 10 }`. */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < ENTITY_COUNT; i++) if (this.entities[i]! > 0) out[entityName(i)] = this.entities[i]!;
    for (const [k, v] of this.columns) out[k] = v;
    return out;
  }
}
