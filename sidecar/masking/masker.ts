// The masking engine every protocol uses. compileMasking turns a target's
// MaskingRules into a Masker once, when policy changes; forColumns plans a
// result's columns once per row description; RowMasker.mask is the per-value
// hot path. Anything that goes wrong on a value becomes AG_ERR_MASKING_FAILED:
// the protocol withholds the result rather than send it unmasked.

import { ENTITIES, type Entity, type MaskingRule, type MaskingStrategy } from '../../api/types.js';
import { type AgentgateError, agError, isAgentgateError } from '../../common/errors.js';
import {
  type ColumnPattern,
  columnContext,
  columnMatches,
  compileColumnPattern,
  isBirthDateColumn,
  isSecretColumn,
} from './columns.js';
import { MaskCounts } from './counts.js';
import { CONTENT_ENTITIES_MASK, E, ENTITY_COUNT, entityIndex } from './entities.js';
import { Matches } from './matches.js';
import { scan } from './scanner.js';
import { Treatment } from './strategies.js';

export interface MaskingOptions {
  /** Key for the `hash` strategy; the same key gives the same hashes, so keep it per policy. */
  readonly hashKey: Uint8Array;
  /** Only rules for this target (and rules that name no target) apply. */
  readonly target?: string;
}

/** A result column as a protocol describes it. */
export interface ColumnInfo {
  readonly name: string;
  /** Table name when the protocol knows it (`users` or `public.users`). */
  readonly table?: string;
  /** True for text-like types (text, varchar, json, ...); content recognizers read only these. */
  readonly textual: boolean;
}

/** What a RowMasker does with a column. */
export const enum ColumnPlan {
  /** Sent as is. */
  Pass = 0,
  /** Scanned by the content recognizers. */
  Scan = 1,
  /** Replaced whole by a column rule, without reading it. */
  Whole = 2,
}

interface ColumnRule {
  readonly patterns: readonly ColumnPattern[];
  readonly treatment: Treatment;
  /** Entity index to count under, or -1 to count as `column:<name>`. */
  readonly entity: number;
}

export function compileMasking(rules: readonly MaskingRule[], opts: MaskingOptions): Masker | null {
  const byEntity: (Treatment | undefined)[] = new Array(ENTITY_COUNT).fill(undefined);
  const columnRules: ColumnRule[] = [];
  for (const rule of rules) {
    if (rule.target !== undefined && opts.target !== undefined && rule.target !== opts.target) continue;
    const strategy: MaskingStrategy = rule.strategy ?? 'redact';
    if (rule.columns !== undefined && rule.columns.length > 0) {
      const only = rule.entities?.length === 1 ? rule.entities[0]! : undefined;
      columnRules.push({
        patterns: rule.columns.map(compileColumnPattern),
        treatment: new Treatment(strategy, only ?? 'MASKED', rule.keep, opts.hashKey),
        entity: only === undefined ? -1 : entityIndex(only),
      });
      continue;
    }
    // a content rule naming no entity covers them all
    const names: readonly Entity[] = rule.entities ?? ENTITY_NAMES;
    for (const name of names) {
      const e = entityIndex(name);
      if (e >= 0 && byEntity[e] === undefined)
        byEntity[e] = new Treatment(strategy, name, rule.keep, opts.hashKey);
    }
  }
  let enabled = 0;
  for (let e = 0; e < ENTITY_COUNT; e++) if (byEntity[e] !== undefined) enabled |= 1 << e;
  if (enabled === 0 && columnRules.length === 0) return null;
  return new Masker(byEntity, enabled, columnRules);
}

const ENTITY_NAMES: readonly Entity[] = ENTITIES;

export class Masker {
  /** Content entities to look for, as a bit mask over entity indexes. */
  readonly enabled: number;
  private readonly byEntity: readonly (Treatment | undefined)[];
  private readonly columnRules: readonly ColumnRule[];

  /** Whether some column is masked by name (a value no recognizer would know). */
  get hasColumnRules(): boolean {
    return this.columnRules.length > 0;
  }
  private readonly matches = new Matches();

  constructor(
    byEntity: readonly (Treatment | undefined)[],
    enabled: number,
    columnRules: readonly ColumnRule[],
  ) {
    this.byEntity = byEntity;
    this.enabled = enabled;
    this.columnRules = columnRules;
  }

  /** Plans the columns of one result; call once per row description. */
  forColumns(cols: readonly ColumnInfo[], counts: MaskCounts = new MaskCounts()): RowMasker {
    const n = cols.length;
    const plans = new Uint8Array(n);
    const ctx = new Uint8Array(n);
    const whole: (Treatment | undefined)[] = new Array(n).fill(undefined);
    const countAs: (number | string)[] = new Array(n).fill(-1);
    const contentScan = (this.enabled & CONTENT_ENTITIES_MASK) !== 0;
    for (let i = 0; i < n; i++) {
      const col = cols[i]!;
      const rule = this.columnRules.find((r) =>
        r.patterns.some((p) => columnMatches(p, col.name, col.table)),
      );
      if (rule !== undefined) {
        plans[i] = ColumnPlan.Whole;
        whole[i] = rule.treatment;
        countAs[i] = rule.entity >= 0 ? rule.entity : `column:${col.name}`;
        continue;
      }
      const dob = this.byEntity[E.DATE_OF_BIRTH];
      if (dob !== undefined && isBirthDateColumn(col.name)) {
        plans[i] = ColumnPlan.Whole;
        whole[i] = dob;
        countAs[i] = E.DATE_OF_BIRTH;
        continue;
      }
      const pwd = this.byEntity[E.PASSWORD];
      if (pwd !== undefined && isSecretColumn(col.name)) {
        plans[i] = ColumnPlan.Whole;
        whole[i] = pwd;
        countAs[i] = E.PASSWORD;
        continue;
      }
      if (col.textual && contentScan) {
        plans[i] = ColumnPlan.Scan;
        ctx[i] = columnContext(col.name);
      }
    }
    return new RowMasker(this, cols, plans, ctx, whole, countAs, counts);
  }

  /** Masks free text (query text, log lines, HTTP bodies); the null strategy redacts here. */
  maskText(text: string, counts?: MaskCounts): string {
    try {
      if (typeof text !== 'string') throw new TypeError('text is not a string');
      const r = this.maskContent(text, 0, counts, false);
      return r ?? text;
    } catch (e) {
      throw failure('text', e);
    }
  }

  /** @internal The content path shared by rows and text. */
  maskContent(value: string, ctx: number, counts: MaskCounts | undefined, nullable: boolean): string | null {
    const m = this.matches;
    scan(value, this.enabled, ctx, m);
    const count = m.count;
    if (count === 0) return value;
    const byEntity = this.byEntity;
    if (counts !== undefined) for (let k = 0; k < count; k++) counts.addEntity(m.entity[k]!);
    let out = '';
    let pos = 0;
    for (let k = 0; k < count; k++) {
      const t = byEntity[m.entity[k]!]!;
      const start = m.start[k]!;
      const end = m.end[k]!;
      if (t.strategy === 'null' && nullable) return null;
      out += value.slice(pos, start);
      out += t.strategy === 'null' ? t.token : t.apply(value, start, end);
      pos = end;
    }
    return pos < value.length ? out + value.slice(pos) : out;
  }
}

export class RowMasker {
  readonly columns: readonly ColumnInfo[];
  /** ColumnPlan per column: a protocol can leave Pass columns undecoded. */
  readonly plans: Uint8Array;
  /** False when no column needs anything: the protocol forwards rows untouched. */
  readonly active: boolean;
  readonly counts: MaskCounts;
  private readonly masker: Masker;
  private readonly ctx: Uint8Array;
  private readonly whole: readonly (Treatment | undefined)[];
  private readonly countAs: readonly (number | string)[];

  constructor(
    masker: Masker,
    columns: readonly ColumnInfo[],
    plans: Uint8Array,
    ctx: Uint8Array,
    whole: readonly (Treatment | undefined)[],
    countAs: readonly (number | string)[],
    counts: MaskCounts,
  ) {
    this.masker = masker;
    this.columns = columns;
    this.plans = plans;
    this.ctx = ctx;
    this.whole = whole;
    this.countAs = countAs;
    this.counts = counts;
    this.active = plans.some((p) => p !== ColumnPlan.Pass);
  }

  /**
   * The value to send for column `index`: the same string when nothing was
   * found, the masked string, or null (SQL NULL) for the null strategy. A SQL
   * NULL coming in is not passed here. Throws AG_ERR_MASKING_FAILED.
   */
  mask(index: number, value: string): string | null {
    try {
      const plan = this.plans[index];
      if (plan === ColumnPlan.Pass) return value;
      // a protocol bug must not slip an undecoded value past the scanner
      if (typeof value !== 'string') throw new TypeError('value is not a string');
      if (plan === ColumnPlan.Scan)
        return this.masker.maskContent(value, this.ctx[index]!, this.counts, true);
      if (plan === ColumnPlan.Whole) return this.maskWhole(index, value);
      throw new RangeError(`column ${index} of ${this.plans.length}`);
    } catch (e) {
      throw failure(this.columns[index]?.name ?? `#${index}`, e);
    }
  }

  private maskWhole(index: number, value: string): string | null {
    const t = this.whole[index]!;
    const as = this.countAs[index]!;
    if (typeof as === 'number') this.counts.addEntity(as);
    else this.counts.addColumn(as);
    if (t.strategy === 'null') return null;
    return t.apply(value, 0, value.length);
  }
}

/** Never the value in the message: only where it failed and what kind of failure. */
function failure(where: string, e: unknown): AgentgateError {
  if (isAgentgateError(e)) return e;
  const kind = e instanceof Error ? e.name : typeof e;
  return agError('AG_ERR_MASKING_FAILED', `${where}: ${kind}`);
}
