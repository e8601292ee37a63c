// The masking engine (sidecar/masking) seen through the protocol-neutral
// ResultMasker interface. Compiled once per masking-rules array: the policy
// engine hands out the same array for as long as a policy set lives, so a
// WeakMap keyed on it compiles once per policy generation.

import type { MaskingRule, Target } from '../../api/types.js';
import { ColumnPlan, compileMasking, type Masker } from '../masking/masker.js';
import type { ResultColumn, ResultMasker, RowMasker } from '../protocols/gateway-context.js';

class ProtocolRowMasker implements RowMasker {
  readonly active: boolean;
  private readonly plans: Uint8Array;

  constructor(private readonly inner: ReturnType<Masker['forColumns']>) {
    this.active = inner.active;
    this.plans = inner.plans;
  }

  masks(i: number): boolean {
    return this.plans[i] !== ColumnPlan.Pass;
  }

  whole(i: number): boolean {
    return this.plans[i] === ColumnPlan.Whole;
  }

  mask(i: number, value: string): string | null {
    return this.inner.mask(i, value);
  }

  counts(): Readonly<Record<string, number>> {
    return this.inner.counts.toRecord();
  }
}

export class MaskerCache {
  private readonly byRules = new WeakMap<readonly MaskingRule[], Map<string, ResultMasker | null>>();

  constructor(private readonly hashKey: Uint8Array) {}

  get(target: Target, rules: readonly MaskingRule[]): ResultMasker | null {
    let perTarget = this.byRules.get(rules);
    if (perTarget === undefined) {
      perTarget = new Map();
      this.byRules.set(rules, perTarget);
    }
    const hit = perTarget.get(target.name);
    if (hit !== undefined) return hit;
    const masker = compileMasking(rules, { hashKey: this.hashKey, target: target.name });
    const result: ResultMasker | null =
      masker === null
        ? null
        : {
            forColumns: (cols: readonly ResultColumn[]) =>
              new ProtocolRowMasker(
                masker.forColumns(
                  cols.map((c) =>
                    c.table === undefined
                      ? { name: c.name, textual: c.textual }
                      : { name: c.name, table: c.table, textual: c.textual },
                  ),
                ),
              ),
            maskText: (text: string) => masker.maskText(text),
            hasColumnRules: masker.hasColumnRules,
          };
    perTarget.set(target.name, result);
    return result;
  }
}
