// Which result columns hold text the content recognizers must read, from what
// each protocol says about a column. A column that is not text (integers,
// timestamps, bytea) is never scanned: a 16-digit bigint that passes Luhn is
// an id, not a card, and binary data decoded as text would be corrupted on the
// way back out. A type that carries text inside a structure (records, arrays,
// text-search vectors) is scanned in text format; in binary format the
// PostgreSQL gateway cannot read it, so it claims the column and withholds the
// value (fail closed) rather than pass it unread.

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

/**
 * Built-in types whose text format carries text, addresses or values of other
 * types: `ROW(email)`, `ARRAY[email::name]` and `to_tsvector(note)` must not be
 * a way around masking. (pg_stats shows sampled values as anyarray.)
 */
const PG_TEXT_FORMAT_ONLY = new Set([
  199, // json[]
  143, // xml[]
  650, // cidr
  651, // cidr[]
  774, // macaddr8
  775, // macaddr8[]
  829, // macaddr
  869, // inet
  1002, // "char"[]
  1003, // name[]
  1009, // text[]
  1014, // bpchar[]
  1015, // varchar[]
  1040, // macaddr[]
  1041, // inet[]
  1263, // cstring[]
  2249, // record (ROW(...), anonymous composites)
  2275, // cstring
  2277, // anyarray
  2287, // record[]
  3614, // tsvector
  3615, // tsquery
  3643, // tsvector[]
  3645, // tsquery[]
  3807, // jsonb[]
  4072, // jsonpath
  4073, // jsonpath[]
]);

/** OIDs below this are built in; above are user types (citext, enums, domains), whose text we read. */
const PG_FIRST_USER_OID = 16384;

/**
 * Must a PostgreSQL column (RowDescription type OID and format code) be
 * scanned? User-defined types are, so `citext`, enums, domains over text and
 * table row types are not missed. In binary format only the plain text types
 * can be read; the others answer true all the same, and the gateway withholds
 * their values (AG_ERR_MASKING_FAILED) instead of sending them unscanned.
 */
export function pgTextual(typeOid: number, _format: number): boolean {
  return PG_TEXT.has(typeOid) || PG_TEXT_FORMAT_ONLY.has(typeOid) || typeOid >= PG_FIRST_USER_OID;
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
