// Names PostgreSQL's RowDescription leaves out, for masking. It names a
// column's table only by OID, and a column by what the query called it: an
// agent that writes `SELECT password AS p` gets a column named `p`. So when a
// policy masks by name, the session reads once, on the upstream connection,
// before the agent's first command:
// - the OIDs of ordinary and partitioned tables, for table-qualified rules
//   (`users.email`);
// - the (table OID, attribute number) of every column whose real name a
//   column rule or a recognizer's name check cares about, so a renamed column
//   is masked by its real name.
//
// Only what is known for certain is named: a view, a table created after the
// snapshot, an expression (OID 0) stay unnamed, and an unnamed column is
// matched on the name the result gives it. After any command that could
// rename or recreate a table both are dropped (masking.md says what that means).

import { agError } from '../../../common/errors.js';
import type { CatalogRequest } from '../gateway-context.js';
import { BackendCode } from './codes.js';
import type { BackendMessage, Frame } from './messages.js';
import { Reader } from './reader.js';
import * as ser from './serializer.js';

/**
 * Past this many tables the rest stay unnamed (and are masked by name alone):
 * each session holds its own map, about 100 bytes a table.
 */
export const MAX_CATALOG_TABLES = 20_000;

/** Past this many columns of interest the rest are matched by the names results give them. */
export const MAX_CATALOG_COLUMNS = 100_000;

const TABLES_SQL =
  'SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c ' +
  'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
  `WHERE c.relkind IN ('r', 'p') LIMIT ${MAX_CATALOG_TABLES}`;

/** An escape-string literal: safe whatever standard_conforming_strings says. */
function literal(s: string): string {
  // A NUL would end the Query message's string early: no column name holds one.
  return `E'${s.replace(/\0/g, '').replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function columnsSql(regex: string): string {
  return (
    'SELECT a.attrelid, a.attnum, a.attname FROM pg_catalog.pg_attribute a ' +
    'JOIN pg_catalog.pg_class c ON c.oid = a.attrelid ' +
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped " +
    `AND a.attname ~* ${literal(regex)} LIMIT ${MAX_CATALOG_COLUMNS}`
  );
}

/** The query for `req`: one simple Query, one result per part, tables first. */
export function catalogQuery(req: CatalogRequest): Buffer {
  const parts: string[] = [];
  if (req.tables) parts.push(TABLES_SQL);
  if (req.columnRegex !== null) parts.push(columnsSql(req.columnRegex));
  return ser.query(parts.join('; '));
}

/** The key of a column in PgCatalog.columns: attribute numbers stay below 1664 (MaxHeapAttributeNumber 1600). */
export function columnKey(tableOid: number, attnum: number): number {
  return tableOid * 2048 + attnum;
}

/** What a session knows of the upstream's tables and columns (see the header). */
export interface PgCatalog {
  /** Table OID -> `schema.table`. */
  readonly tables: ReadonlyMap<number, string>;
  /** columnKey(table OID, attnum) -> the column's real name, for the columns masking cares about. */
  readonly columns: ReadonlyMap<number, string>;
}

/** Operations after which a snapshot of table names can still be trusted. */
const KEEPS_NAMES = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'COPY',
  'TRANSACTION',
  'SET',
  'SHOW',
  'EXPLAIN',
  'LISTEN',
  'UNLISTEN',
  'NOTIFY',
  'LOCK',
  'DECLARE',
  'CLOSE',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'DISCARD',
]);

export function keepsTableNames(operations: readonly string[]): boolean {
  for (let i = 0; i < operations.length; i++) if (!KEEPS_NAMES.has(operations[i]!)) return false;
  return true;
}

/** Collects the answer to catalogQuery(req); done once its ReadyForQuery arrives. */
export class CatalogReader implements PgCatalog {
  readonly tables = new Map<number, string>();
  readonly columns = new Map<number, string>();
  /** The upstream refused the query: nothing is named, every rule matches the names results give. */
  error: string | undefined = undefined;
  private readonly reader = new Reader();
  /** Which result is arriving: the parts of the query, in order. */
  private readonly parts: ('tables' | 'columns')[] = [];

  constructor(req: CatalogRequest) {
    if (req.tables) this.parts.push('tables');
    if (req.columnRegex !== null) this.parts.push('columns');
  }

  /** True when the answer is complete. */
  message(msg: BackendMessage, frame: Frame): boolean {
    switch (msg.code) {
      case BackendCode.DataRow:
        if (this.error === undefined) this.row(frame);
        return false;
      case BackendCode.CommandComplete:
        this.parts.shift();
        return false;
      case BackendCode.ErrorResponse:
        this.error = msg.name === 'error' ? (msg.fields.get(0x4d) ?? 'error') : 'error';
        this.tables.clear();
        this.columns.clear();
        return false;
      case BackendCode.ReadyForQuery:
        return true;
      default:
        // RowDescription, notices: ours, not the agent's.
        return false;
    }
  }

  private row(f: Frame): void {
    const r = this.reader.reset(f.buf, f.start + 5, f.end, 'catalog DataRow');
    if (r.int16() !== 3) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'catalog row has the wrong width');
    const oid = Number(this.text(r));
    if (this.parts[0] === 'columns') {
      const attnum = Number(this.text(r));
      const name = this.text(r);
      if (Number.isInteger(oid) && oid > 0 && Number.isInteger(attnum) && attnum > 0 && attnum < 2048)
        this.columns.set(columnKey(oid, attnum), name);
      return;
    }
    const schema = this.text(r);
    const table = this.text(r);
    if (Number.isInteger(oid) && oid > 0) this.tables.set(oid, `${schema}.${table}`);
  }

  private text(r: Reader): string {
    const n = r.int32();
    if (n < 0) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'catalog row has a NULL');
    return r.bytes(n).toString('utf8');
  }
}
