// Which result columns hold text the content recognizers can read, from what
// each protocol says about a column. A column that is not text (integers,
// timestamps, bytea) is never scanned: a 16-digit bigint that passes Luhn is
// an id, not a card, and binary data decoded as text would be corrupted on the
// way back out.

/** PostgreSQL built-in types whose value is UTF-8 text in both text and binary format. */
const PG_TEXT = new Set([
  18, // char
  19, // name
  25, // text
  114, // json
  142, // xml
  705, // unknown (untyped literals)
  1042, // bpchar
  1043, // varchar
  3802, // jsonb (binary: one version byte, then the text)
]);

/** Built-in types that are text only in text format (arrays, network addresses). */
const PG_TEXT_FORMAT_ONLY = new Set([
  199, // json[]
  143, // xml[]
  650, // cidr
  774, // macaddr8
  829, // macaddr
  869, // inet
  1009, // text[]
  1014, // bpchar[]
  1015, // varchar[]
  3807, // jsonb[]
]);

/** OIDs below this are built in; above are user types (citext, enums, domains), whose text we read. */
const PG_FIRST_USER_OID = 16384;

/**
 * Should a PostgreSQL column (RowDescription type OID and format code) be
 * scanned? User-defined types in text format are, so `citext` and domains over
 * text are not missed.
 */
export function pgTextual(typeOid: number, format: number): boolean {
  if (PG_TEXT.has(typeOid)) return true;
  if (format !== 0) return false;
  return PG_TEXT_FORMAT_ONLY.has(typeOid) || typeOid >= PG_FIRST_USER_OID;
}

const MYSQL_BINARY_CHARSET = 63;

/**
 * Should a MySQL column (column definition type and character set) be
 * scanned? TEXT columns arrive as BLOB types with a text character set; real
 * BLOBs (charset 63, binary) are not text.
 */
export function mysqlTextual(type: number, charset: number): boolean {
  switch (type) {
    case 15: // VARCHAR
    case 253: // VAR_STRING
    case 254: // STRING (CHAR, ENUM, SET as sent)
    case 247: // ENUM
    case 248: // SET
      return charset !== MYSQL_BINARY_CHARSET;
    case 245: // JSON
      return true;
    case 249: // TINY_BLOB / TINYTEXT
    case 250: // MEDIUM_BLOB / MEDIUMTEXT
    case 251: // LONG_BLOB / LONGTEXT
    case 252: // BLOB / TEXT
      return charset !== MYSQL_BINARY_CHARSET;
    default:
      return false;
  }
}
