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

  test('without a masker, comments still lose personal data to every recognizer (how the sidecar audits)', () => {
    expect(maskSqlLiterals("SELECT 1 -- for jane@corp.example, card 4111111111111111\nWHERE a = 'b'")).toBe(
      'SELECT ? -- for <EMAIL_ADDRESS>, card <CREDIT_CARD>\nWHERE a = ?',
    );
    expect(maskSqlLiterals('SELECT 1 /* a /* ssn 536-90-4399 */ +44 20 7946 0958 */')).toBe(
      'SELECT ? /* a /* ssn <US_SSN> */ <PHONE_NUMBER> */',
    );
    expect(maskMysqlLiterals('SELECT 1 # asked by jane@corp.example\n')).toBe(
      'SELECT ? # asked by <EMAIL_ADDRESS>\n',
    );
  });

  test('a sqlcommenter traceparent comment survives comment masking, so audit can still link the trace', () => {
    const comment =
      "/*action='run',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',tracestate='congo%3Dt61rcWkgMzE'*/";
    expect(maskSqlLiterals(`SELECT 1 ${comment}`)).toBe(`SELECT ? ${comment}`);
    expect(maskSqlLiterals(`SELECT $$x$$ ${comment}`)).toBe(`SELECT ? ${comment}`);
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

describe('maskSqlLiterals fast path', () => {
  beforeAll(async () => {
    await loadSqlScanner();
  });

  const STATEMENTS = [
    "SELECT * FROM users WHERE email = 'a@b.c' AND id = 42",
    "select a, b from t where x in (1, 2.5, -3, 4e10, .5, 0x1f, 1_000) and y = 'it''s' -- note 'q'",
    'SELECT "weird""name", t1.c2 FROM "T" t1 WHERE $1 = t1.id AND t1.n > 10::bigint',
    "INSERT INTO orders (id, email, total) VALUES (7, 'ana@example.com', 12.50), (8, E'x', 0)",
    "UPDATE t SET note = 'Zoë Müller, 東京' WHERE id = 3 RETURNING id",
    // (N'x' differs only in form: the lexer keeps the N, the scanner masks it with the string)
    "SELECT 'a' 'b', B'0101', X'ff' FROM generate_series(1, 10)",
  ];

  test('agrees with the PostgreSQL lexer on statements without lexer-only syntax', () => {
    for (const sql of STATEMENTS) {
      // a trailing block comment sends the same text through the lexer
      const viaLexer = maskSqlLiterals(`${sql} /* */`).slice(0, -' /* */'.length);
      expect([sql, maskSqlLiterals(sql)]).toEqual([sql, viaLexer]);
    }
  });

  test('PostgreSQL block comments nest, so a value inside an inner comment stays masked', () => {
    // the lexer refuses an unterminated nested comment, which the fallback must still read as one comment
    expect(maskSqlLiterals('SELECT 1 /* a /* b */ jane@corp.example', masker)).toBe(
      'SELECT ? /* a /* b */ <EMAIL_ADDRESS>',
    );
  });
});
