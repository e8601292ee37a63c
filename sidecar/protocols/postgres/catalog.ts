// Table names for table-qualified masking rules (`users.email`). PostgreSQL's
// RowDescription names a column's table only by OID, so when a policy has such
// rules the session reads the OIDs of ordinary and partitioned tables once,
// on the upstream connection, before the agent's first command.
//
// Only what is known for certain is named: a view, a table created after the
// snapshot, an expression (OID 0) stay unnamed, and an unnamed column is
// matched on its name alone (masking.md: more is masked, never less). After
// any command that could rename or recreate a table the names are dropped.

import { agError } from '../../../common/errors.js';
import { BackendCode } from './codes.js';
import type { BackendMessage, Frame } from './messages.js';
import { Reader } from './reader.js';
import * as ser from './serializer.js';

/**
 * Past this many tables the rest stay unnamed (and are masked by name alone):
 * each session holds its own map, about 100 bytes a table.
 */
export const MAX_CATALOG_TABLES = 20_000;

export const CATALOG_QUERY = ser.query(
  'SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c ' +
    'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
    `WHERE c.relkind IN ('r', 'p') LIMIT ${MAX_CATALOG_TABLES}`,
);

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

/** Collects the answer to CATALOG_QUERY; done once its ReadyForQuery arrives. */
export class CatalogReader {
  readonly tables = new Map<number, string>();
  /** The upstream refused the query: no table is named, every qualified rule masks by name. */
  error: string | undefined = undefined;
  private readonly reader = new Reader();

  /** True when the answer is complete. */
  message(msg: BackendMessage, frame: Frame): boolean {
    switch (msg.code) {
      case BackendCode.DataRow:
        if (this.error === undefined) this.row(frame);
        return false;
      case BackendCode.ErrorResponse:
        this.error = msg.name === 'error' ? (msg.fields.get(0x4d) ?? 'error') : 'error';
        this.tables.clear();
        return false;
      case BackendCode.ReadyForQuery:
        return true;
      default:
        // RowDescription, CommandComplete, notices: ours, not the agent's.
        return false;
    }
  }

  private row(f: Frame): void {
    const r = this.reader.reset(f.buf, f.start + 5, f.end, 'catalog DataRow');
    if (r.int16() !== 3) throw agError('AG_ERR_PROTOCOL_MALFORMED', 'catalog row has the wrong width');
    const oid = Number(this.text(r));
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
