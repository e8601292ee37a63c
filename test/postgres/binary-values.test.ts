// Masking text inside binary arrays and records (binary-values.ts), checked
// against PostgreSQL itself: the bytes the masker writes must be exactly what
// array_send / record_send give for the masked value, so any driver that reads
// the server's binary format reads ours.

import { maskBinaryValue } from '../../sidecar/protocols/postgres/binary-values.js';
import { admin } from './pg-fixture.js';

/** What PostgreSQL sends in binary for `expr` (its *_send function's output). */
async function sent(expr: string): Promise<Buffer> {
  const [row] = await admin<{ b: Buffer }>(`SELECT ${expr} AS b`);
  return row!.b;
}

/** Content scanning: `f` for each text inside. */
const scan = (f: (v: string) => string | null) => ({ text: f, whole: false });
const emailsTo = (to: string | null) => scan((v: string) => (v.includes('@') ? to : v));

test.each([
  ["array_send(ARRAY['ana@example.com', 'plain', NULL])", 1009, "array_send(ARRAY['<E>', 'plain', NULL])"],
  ["array_send(ARRAY['ana@example.com'::varchar, 'x'])", 1015, "array_send(ARRAY['<E>'::varchar, 'x'])"],
  [
    "array_send(ARRAY[['a@b.io', 'y'], ['z', 'c@d.io']])",
    1009,
    "array_send(ARRAY[['<E>', 'y'], ['z', '<E>']])",
  ],
  ["array_send('[0:1]={a@b.io,q}'::text[])", 1009, "array_send('[0:1]={<E>,q}'::text[])"],
  [
    "record_send(ROW('ana@example.com', 42, NULL::text, '2026-01-02'::date))",
    2249,
    "record_send(ROW('<E>', 42, NULL::text, '2026-01-02'::date))",
  ],
  ["array_send(ARRAY[ROW('a@b.io', 1), ROW('p', 2)])", 2287, "array_send(ARRAY[ROW('<E>', 1), ROW('p', 2)])"],
  ['array_send(ARRAY[\'{"mail": "a@b.io"}\'::jsonb])', 3807, 'array_send(ARRAY[\'{"mail": "<E>"}\'::jsonb])'],
])('%s (type %i) is masked to exactly %s', async (input, oid, expected) => {
  const b = await sent(input);
  const masked = maskBinaryValue(
    oid as number,
    b,
    0,
    b.length,
    scan((v) => v.replace(/[\w.]+@[\w.]+/g, '<E>')),
  );
  expect(masked?.toString('hex')).toBe((await sent(expected as string)).toString('hex'));
});

test('nothing to mask: no copy, null', async () => {
  const b = await sent("array_send(ARRAY['plain', 'text'])");
  expect(
    maskBinaryValue(
      1009,
      b,
      0,
      b.length,
      scan((v) => v),
    ),
  ).toBeNull();
});

test('an element masked to NULL makes an array with nulls, as PostgreSQL would write it', async () => {
  const b = await sent("array_send(ARRAY['ana@example.com', 'x'])");
  const masked = maskBinaryValue(1009, b, 0, b.length, emailsTo(null));
  expect(masked!.toString('hex')).toBe((await sent("array_send(ARRAY[NULL, 'x'])")).toString('hex'));
});

test('text it cannot read in binary, a layout that does not add up, or deep nesting: withheld', async () => {
  const inet = await sent("array_send(ARRAY['10.0.0.1'::inet])");
  expect(() =>
    maskBinaryValue(
      1041,
      inet,
      0,
      inet.length,
      scan((v) => v),
    ),
  ).toThrow(/AG_ERR_MASKING_FAILED|binary value/);
  const rec = await sent("record_send(ROW('10.0.0.1'::inet))");
  expect(() =>
    maskBinaryValue(
      2249,
      rec,
      0,
      rec.length,
      scan((v) => v),
    ),
  ).toThrow(/element of type 869/);
  const arr = await sent("array_send(ARRAY['ana@example.com', 'x'])");
  for (let cut = 1; cut < arr.length; cut++) {
    expect(() => maskBinaryValue(1009, arr, 0, cut, emailsTo('<E>'))).toThrow(/binary value/);
  }
  const bad = Buffer.from(arr);
  bad.writeInt32BE(1 << 30, 20); // an element length past the end
  expect(() =>
    maskBinaryValue(
      1009,
      bad,
      0,
      bad.length,
      scan((v) => v),
    ),
  ).toThrow(/element length/);
  const deep = await sent(`record_send(${'ROW('.repeat(9)}1${')'.repeat(9)})`);
  expect(() =>
    maskBinaryValue(
      2249,
      deep,
      0,
      deep.length,
      scan((v) => v),
    ),
  ).toThrow(/nested too deep/);
});

test('under a column rule, a number or date inside a record cannot be rewritten: withheld, never passed', async () => {
  const rec = await sent("record_send(ROW('x', 123456789))");
  const whole = { text: () => '<MASKED>', whole: true };
  expect(() => maskBinaryValue(2249, rec, 0, rec.length, whole)).toThrow(/element of type 23/);
  const texts = await sent("record_send(ROW('x', 'y'))");
  const masked = maskBinaryValue(2249, texts, 0, texts.length, whole);
  expect(masked!.toString('hex')).toBe(
    (await sent("record_send(ROW('<MASKED>', '<MASKED>'))")).toString('hex'),
  );
});
