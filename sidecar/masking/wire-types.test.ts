import { mysqlTextual, pgTextual } from './wire-types.js';

test('PostgreSQL: text types are scanned in both formats, arrays and inet only as text, numbers never', () => {
  expect(pgTextual(25, 0)).toBe(true);
  expect(pgTextual(1043, 1)).toBe(true);
  expect(pgTextual(3802, 1)).toBe(true);
  expect(pgTextual(869, 0)).toBe(true);
  expect(pgTextual(869, 1)).toBe(false);
  expect(pgTextual(1009, 1)).toBe(false);
  expect(pgTextual(20, 0)).toBe(false); // bigint
  expect(pgTextual(1184, 0)).toBe(false); // timestamptz
  expect(pgTextual(17, 0)).toBe(false); // bytea
  expect(pgTextual(70000, 0)).toBe(true); // citext and other user types, in text format
  expect(pgTextual(70000, 1)).toBe(false);
});

test('MySQL: strings and TEXT with a text charset are scanned, BLOBs and numbers are not', () => {
  expect(mysqlTextual(253, 45)).toBe(true);
  expect(mysqlTextual(252, 45)).toBe(true);
  expect(mysqlTextual(252, 63)).toBe(false);
  expect(mysqlTextual(245, 63)).toBe(true);
  expect(mysqlTextual(8, 63)).toBe(false); // LONGLONG
});
