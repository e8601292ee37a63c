import { mysqlTextual, pgTextual } from './wire-types.js';

test('PostgreSQL: text, and text inside records, arrays and tsvectors, is claimed in either format; numbers never', () => {
  expect(pgTextual(25, 0)).toBe(true);
  expect(pgTextual(1043, 1)).toBe(true);
  expect(pgTextual(3802, 1)).toBe(true);
  expect(pgTextual(869, 0)).toBe(true);
  for (const oid of [2249, 2287, 1003, 1041, 3614, 2277]) expect(pgTextual(oid, 0)).toBe(true);
  // binary arrays and addresses are claimed too: the gateway withholds what it cannot read
  expect(pgTextual(869, 1)).toBe(true);
  expect(pgTextual(1009, 1)).toBe(true);
  expect(pgTextual(2249, 1)).toBe(true);
  expect(pgTextual(20, 0)).toBe(false); // bigint
  expect(pgTextual(1016, 0)).toBe(false); // bigint[]: a Luhn-valid id is not a card
  expect(pgTextual(1184, 0)).toBe(false); // timestamptz
  expect(pgTextual(17, 0)).toBe(false); // bytea
  expect(pgTextual(70000, 0)).toBe(true); // citext and other user types
  expect(pgTextual(70000, 1)).toBe(true);
});

test('MySQL: strings and TEXT with a text charset are scanned, BLOBs and numbers are not', () => {
  expect(mysqlTextual(253, 45)).toBe(true);
  expect(mysqlTextual(252, 45)).toBe(true);
  expect(mysqlTextual(252, 63)).toBe(false);
  expect(mysqlTextual(245, 63)).toBe(true);
  expect(mysqlTextual(8, 63)).toBe(false); // LONGLONG
});
