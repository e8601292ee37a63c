// Precision and recall of every recognizer over the labelled corpus, with
// floors for the checksum-validated entities. The figures printed here are the
// ones docs/masking.md reports.

import { readFileSync, writeFileSync } from 'node:fs';
import { ENTITIES, type Entity } from '../../api/types.js';
import { findEntities } from '../../sidecar/masking/find.js';
import { type CorpusRow, corpusJsonl } from './corpus/generate.js';

const FILE = new URL('./corpus/corpus.jsonl', import.meta.url);
const FLOORS: Partial<Record<Entity, number>> = {
  CREDIT_CARD: 0.95,
  IBAN_CODE: 0.95,
  US_SSN: 0.95,
  UK_NHS: 0.95,
  CRYPTO: 0.95,
};

interface Score {
  /** findings that overlap a labelled value of their entity, and those that do not */
  tp: number;
  fp: number;
  /** labelled values covered whole by one finding, and those that are not */
  hit: number;
  miss: number;
}

function loadCorpus(): CorpusRow[] {
  return readFileSync(FILE, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CorpusRow);
}

function evaluate(rows: readonly CorpusRow[]): Map<Entity, Score> {
  const scores = new Map<Entity, Score>(ENTITIES.map((e) => [e, { tp: 0, fp: 0, hit: 0, miss: 0 }]));
  for (const row of rows) {
    const predicted = findEntities(row.text, ENTITIES, row.column);
    const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) =>
      a.start < b.end && b.start < a.end;
    for (const p of predicted) {
      const s = scores.get(p.entity)!;
      if (row.spans.some((g) => g.entity === p.entity && overlaps(g, p))) s.tp++;
      else s.fp++;
    }
    // recall counts a labelled value only when one finding covers all of it: a partial mask leaks
    for (const g of row.spans) {
      const s = scores.get(g.entity)!;
      if (predicted.some((p) => p.entity === g.entity && p.start <= g.start && p.end >= g.end)) s.hit++;
      else s.miss++;
    }
  }
  return scores;
}

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

describe('labelled corpus', () => {
  test('corpus.jsonl is what the generator makes', () => {
    const fresh = corpusJsonl();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(FILE, fresh);
    expect(readFileSync(FILE, 'utf8') === fresh).toBe(true);
  });

  test('precision and recall meet the floors for checksum-validated entities', () => {
    const scores = evaluate(loadCorpus());
    const lines = ['| entity | labelled | found | precision | recall |', '|---|---:|---:|---:|---:|'];
    const misses: string[] = [];
    for (const [entity, s] of scores) {
      const labelled = s.hit + s.miss;
      if (labelled === 0 && s.fp === 0) continue;
      const precision = ratio(s.tp, s.tp + s.fp);
      const recall = ratio(s.hit, labelled);
      lines.push(
        `| ${entity} | ${labelled} | ${s.tp + s.fp} | ${precision.toFixed(3)} | ${recall.toFixed(3)} |`,
      );
      const floor = FLOORS[entity];
      if (floor !== undefined && (precision < floor || recall < floor || labelled < 50)) {
        misses.push(
          `${entity}: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}, ${labelled} labelled`,
        );
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    expect(misses).toEqual([]);
  });
});
