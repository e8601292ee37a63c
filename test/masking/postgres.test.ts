// The engine against what a real PostgreSQL server describes: column names,
// table OIDs and type OIDs from RowDescription, values in text and binary
// format as node-postgres receives them. The gateway does the same per DataRow.

import pg from 'pg';
import { type ColumnInfo, compileMasking, MaskCounts, pgTextual } from '../../sidecar/masking/index.js';

const TABLE = `agentgate_masking_${process.pid}`;
const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });

beforeAll(async () => {
  await client.connect();
  await client.query(`CREATE TABLE ${TABLE} (
    id bigint PRIMARY KEY, email text, ssn varchar(11), note text, card_number text,
    date_of_birth date, balance numeric, profile jsonb, ip inet)`);
  await client.query(
    `INSERT INTO ${TABLE} VALUES
      (4111111111111111, 'ana.garcia@example.com', '536-90-4399', 'call +44 20 7946 0958 after 5pm', '4111 1111 1111 1111',
       '1984-02-29', 12.5, '{"iban": "DE89 3704 0044 0532 0130 00"}', '10.2.3.4'),
      (2, 'wei.zhang@example.cn', '078-05-1120', 'nothing personal here', '5500 0000 0000 0004',
       '1990-07-01', 0, '{}', '::1')`,
  );
});

afterAll(async () => {
  await client.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await client.end();
});

async function columnsOf(fields: pg.FieldDef[]): Promise<ColumnInfo[]> {
  const tables = new Map<number, string>();
  for (const f of fields) {
    if (f.tableID !== 0 && !tables.has(f.tableID)) {
      const r = await client.query('SELECT relname FROM pg_class WHERE oid = $1', [f.tableID]);
      tables.set(f.tableID, r.rows[0].relname);
    }
  }
  return fields.map((f) => ({
    name: f.name,
    table: tables.get(f.tableID),
    textual: pgTextual(f.dataTypeID, f.format === 'binary' ? 1 : 0),
  }));
}

const masker = compileMasking(
  [
    { columns: [`${TABLE}.card_number`], strategy: 'partial' },
    { entities: ['EMAIL_ADDRESS'], strategy: 'hash' },
    { entities: ['US_SSN', 'PHONE_NUMBER', 'IBAN_CODE', 'IP_ADDRESS', 'CREDIT_CARD', 'DATE_OF_BIRTH'] },
  ],
  { hashKey: new Uint8Array(32).fill(3) },
)!;

describe('masking rows from a real PostgreSQL', () => {
  test('text format: entities in text columns, column rules by table, numbers left alone', async () => {
    const r = await client.query({ text: `SELECT * FROM ${TABLE} ORDER BY id DESC`, rowMode: 'array' });
    const counts = new MaskCounts();
    const rm = masker.forColumns(await columnsOf(r.fields), counts);
    // node-postgres parses some types; the wire carries their text, which is what the gateway masks
    const raw = r.rows.map((row: unknown[]) =>
      row.map((v) =>
        v === null
          ? null
          : v instanceof Date
            ? '1984-02-29'
            : typeof v === 'object'
              ? JSON.stringify(v)
              : String(v),
      ),
    );
    const masked = raw.map((row: (string | null)[]) =>
      row.map((v, i) => (v === null ? null : rm.mask(i, v))),
    );
    const first = masked[0]!;
    expect(first[0]).toBe('4111111111111111'); // a bigint id is never scanned, Luhn or not
    expect(first[1]).toMatch(/^<EMAIL_ADDRESS:[0-9a-f]{16}>$/);
    expect(first[2]).toBe('<US_SSN>');
    expect(first[3]).toBe('call <PHONE_NUMBER> after 5pm');
    expect(first[4]).toBe('**** **** **** 1111');
    expect(first[5]).toBe('<DATE_OF_BIRTH>');
    expect(first[6]).toBe('12.5');
    expect(first[7]).toBe('{"iban":"<IBAN_CODE>"}');
    expect(first[8]).toBe('<IP_ADDRESS>');
    const second = masked[1]!;
    expect(second[2]).toBe('078-05-1120'); // the Woolworth specimen SSN is refused, as Presidio does
    expect(second[3]).toBe('nothing personal here');
    expect(counts.toRecord()).toEqual({
      EMAIL_ADDRESS: 2,
      US_SSN: 1,
      PHONE_NUMBER: 1,
      IBAN_CODE: 1,
      IP_ADDRESS: 2,
      DATE_OF_BIRTH: 2,
      'column:card_number': 2,
    });
  });

  test('binary format: text columns are still scanned, and inet is still claimed (the gateway withholds it)', async () => {
    // `binary` is a node-postgres option its type definitions leave out
    const config = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', binary: true };
    const binary = new pg.Client(config as pg.ClientConfig);
    await binary.connect();
    try {
      // binary results need the extended protocol: a parameter makes node-postgres use it
      const r = await binary.query<string[]>({
        text: `SELECT email, note, ip FROM ${TABLE} WHERE id = $1`,
        values: [2],
        rowMode: 'array',
      });
      expect(r.fields.map((f) => f.format)).toEqual(['binary', 'binary', 'binary']);
      const cols = await columnsOf(r.fields);
      expect(cols.map((c) => c.textual)).toEqual([true, true, true]);
      const rm = masker.forColumns(cols);
      expect(rm.mask(0, r.rows[0]![0]!)).toMatch(/^<EMAIL_ADDRESS:/);
    } finally {
      await binary.end();
    }
  });
});
