// The catalog query a session sends for masking by name (catalog.ts) runs on
// the real server whatever characters the policy's column patterns hold, and
// finds the columns those patterns name: quotes, backslashes and regular
// expression characters in a pattern are data, never SQL or regex syntax.

import { sourceColumnRegex } from '../../sidecar/masking/columns.js';
import { catalogQuery } from '../../sidecar/protocols/postgres/catalog.js';
import { admin } from '../postgres/pg-fixture.js';

const TABLE = 'ag_catalog_query_names';

/** The SQL text inside a Query message: 'Q', int32 length, the text, NUL. */
function sqlOf(message: Buffer): string {
  return message.toString('utf8', 5, message.length - 1);
}

beforeAll(async () => {
  await admin(`DROP TABLE IF EXISTS ${TABLE}`);
  await admin(
    `CREATE TABLE ${TABLE} (id int, "o'brien" text, "back\\slash" text, "a.b" text, "aXb" text, "we(ird)" text, email text)`,
  );
});

afterAll(() => admin(`DROP TABLE IF EXISTS ${TABLE}`));

async function matched(patterns: string[]): Promise<string[]> {
  const regex = sourceColumnRegex(patterns, false)!;
  const rows = await admin<{ attname: string }>(
    `SELECT attname FROM (${sqlOf(catalogQuery({ tables: false, columnRegex: regex }))}) x ` +
      `WHERE attrelid = '${TABLE}'::regclass ORDER BY attnum`,
  );
  return rows.map((r) => r.attname);
}

test('a quote, a backslash and regex characters in a pattern are matched literally', async () => {
  expect(await matched(["o'brien"])).toEqual(["o'brien"]);
  expect(await matched(['back\\slash'])).toEqual(['back\\slash']);
  expect(await matched(['a.b'].map((p) => `${TABLE}.${p}`))).toEqual([]); // the table part is not the column
  expect(await matched(['*.a.b'])).toEqual([]); // `a.b` as a column cannot be written as a pattern: the last dot splits
  expect(await matched(['we(ird)'])).toEqual(['we(ird)']);
  expect(await matched(['EMAIL', 'a*b'])).toEqual(['a.b', 'aXb', 'email']); // case-insensitive; * is any run
});

test('both parts of the query run in one round trip and the server accepts them', async () => {
  const sql = sqlOf(catalogQuery({ tables: true, columnRegex: sourceColumnRegex(['email'], true) }));
  expect(sql.split('; ')).toHaveLength(2);
  for (const part of sql.split('; ')) await admin(part);
});
