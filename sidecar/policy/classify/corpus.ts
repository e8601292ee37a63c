// Table-driven golden corpora for the classifier tests: testdata/*.yaml lists
// inputs with the statements expected. `UPDATE_GOLDEN=1` rewrites each file's
// expectations from what the classifier now says (review the diff before
// committing: the corpus is the specification).

import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument, type YAMLMap, YAMLSeq } from 'yaml';
import type { Classification } from '../command.js';

export interface ExpectedStatement {
  ops: string[];
  tables: string[];
  unbounded?: boolean;
  reason?: string;
}

export interface CorpusCase<I> {
  name: string;
  input: I;
  expect: ExpectedStatement[];
}

export function loadCorpus<I>(path: string): CorpusCase<I>[] {
  return parseDocument(readFileSync(path, 'utf8')).toJS() as CorpusCase<I>[];
}

export function expectedFrom(c: Classification): ExpectedStatement[] {
  return c.statements.map((s) => {
    const e: ExpectedStatement = { ops: [...s.operations], tables: [...s.tables] };
    if (s.unbounded === true) e.unbounded = true;
    if (s.reason !== undefined) e.reason = s.reason;
    return e;
  });
}

export const updating = process.env['UPDATE_GOLDEN'] === '1';

/** Writes the corpus back with fresh expectations, keeping names and inputs. */
export function rewriteCorpus<I>(
  path: string,
  cases: readonly CorpusCase<I>[],
  classify: (input: I) => Classification,
): void {
  const doc = parseDocument(readFileSync(path, 'utf8'));
  cases.forEach((c, i) => {
    const node = doc.createNode(expectedFrom(classify(c.input)));
    // ops and tables on one line each: the corpus reads as a table.
    for (const st of node.items) {
      for (const key of ['ops', 'tables']) {
        const list = (st as YAMLMap).get(key, true);
        if (list instanceof YAMLSeq) list.flow = true;
      }
    }
    doc.setIn([i, 'expect'], node);
  });
  writeFileSync(path, doc.toString({ lineWidth: 0, doubleQuotedAsJSON: true, flowCollectionPadding: false }));
}
