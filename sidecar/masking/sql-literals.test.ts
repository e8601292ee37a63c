import { compileMasking } from './masker.js';
import { loadSqlScanner, maskMysqlLiterals, maskSqlLiterals } from './sql-literals.js';

const masker = compileMasking([{}], { hashKey: new Uint8Array(32) });

describe('maskSqlLiterals (PostgreSQL lexer)', () => {
  beforeAll(async () => {
    await loadSqlScanner();
  });

  test('replaces string and numeric literals, keeps identifiers and parameters', () => {
    expect(maskSqlLiterals("SELECT * FROM users WHERE email = 'a@b.c' AND id = 42 AND p = $1")).toBe(
      'SELECT * FROM users WHERE email = ? AND id = ? AND p = $1',
    );
  });

  test('covers every PostgreSQL literal form', () => {
    const sql =
      "SELECT E'it\\'s', $$x$$, $t$y$t$, B'0101', X'ff', N'n', U&'d\\0061t', .5, 3.5e2, 0x1F, 1_000";
    // the lexer reads N'n' as the keyword NATIONAL's N and a plain string
    expect(maskSqlLiterals(sql)).toBe('SELECT ?, ?, ?, ?, ?, N?, ?, ?, ?, ?, ?');
  });

  test('keeps quoted identifiers', () => {
    expect(maskSqlLiterals('SELECT "Email" FROM "Users" WHERE "x" = \'y\'')).toBe(
      'SELECT "Email" FROM "Users" WHERE "x" = ?',
    );
  });

  test('cuts multi-byte text at the right characters', () => {
    expect(maskSqlLiterals("SELECT 'Zoë Müller', '東京' AS \"città\" -- é")).toBe(
      'SELECT ?, ? AS "città" -- é',
    );
  });

  test('masks what the masker finds in comments', () => {
    expect(maskSqlLiterals('SELECT 1 /* asked by jane@corp.example */', masker)).toBe(
      'SELECT ? /* asked by <EMAIL_ADDRESS> */',
    );
  });

  test('an unterminated literal is masked to the end', () => {
    expect(maskSqlLiterals("SELECT * FROM t WHERE ssn = '536-90-4399")).toBe('SELECT * FROM t WHERE ssn = ?');
  });
});

describe('maskMysqlLiterals', () => {
  test('treats double quotes as strings and backslashes as escapes', () => {
    expect(
      maskMysqlLiterals("SELECT * FROM `users` WHERE email = \"a@b.c\" AND n = 'it\\'s' AND id = 7"),
    ).toBe('SELECT * FROM `users` WHERE email = ? AND n = ? AND id = ?');
  });

  test('keeps digits inside identifiers and masks hex and negative exponents', () => {
    expect(maskMysqlLiterals("SELECT t1.c2 FROM t1 WHERE x = 0xFF AND y = 1e-5 AND z = X'0A'")).toBe(
      'SELECT t1.c2 FROM t1 WHERE x = ? AND y = ? AND z = ?',
    );
  });

  test('runs comments through the masker, # comments included', () => {
    expect(maskMysqlLiterals('SELECT 1 # card 4111111111111111\n', masker)).toBe(
      'SELECT ? # card <CREDIT_CARD>\n',
    );
  });

  test('an unterminated literal is masked to the end', () => {
    expect(maskMysqlLiterals("UPDATE t SET pw = 'hunter2")).toBe('UPDATE t SET pw = ?');
  });
});
