// Masking DataRow values in flight. Only the columns the row masker claims are
// decoded; a row comes back re-encoded (lengths rebuilt) only when a value
// changed, else the original bytes are forwarded untouched.

import { agError } from '../../../common/errors.js';
import { pgTextual } from '../../masking/wire-types.js';
import type { ResultColumn, RowMasker } from '../gateway-context.js';
import { binaryContainer, maskBinaryValue } from './binary-values.js';
import { columnKey, type PgCatalog } from './catalog.js';
import { JSONB_OID, TEXT_TYPE_OIDS } from './codes.js';
import type { Column } from './messages.js';
import { Reader } from './reader.js';
import { dataRow } from './serializer.js';

/**
 * The columns as masking sees them. A column the catalog knows goes by its
 * real name, whatever the query renamed it to (`SELECT ssn AS x`).
 */
export function resultColumns(cols: readonly Column[], catalog: PgCatalog | null = null): ResultColumn[] {
  return cols.map((c) => ({
    name:
      c.tableOid === 0 || catalog === null
        ? c.name
        : (catalog.columns.get(columnKey(c.tableOid, c.columnIndex)) ?? c.name),
    table: c.tableOid === 0 ? undefined : catalog?.tables.get(c.tableOid),
    typeOid: c.typeOid,
    tableOid: c.tableOid,
    columnIndex: c.columnIndex,
    textual: pgTextual(c.typeOid, c.format),
  }));
}

const reader = new Reader();

/**
 * Masks one DataRow. Returns the bytes to send instead, or null when nothing
 * changed. Throws AG_ERR_MASKING_FAILED (via the masker, or when a column to
 * mask arrives in a binary form we cannot read): the caller withholds the row.
 */
export function maskDataRow(
  buf: Buffer,
  start: number,
  end: number,
  masker: RowMasker,
  cols: readonly Column[],
): Buffer | null {
  const r = reader.reset(buf, start + 5, end, 'DataRow');
  const n = r.int16();
  let out: (Buffer | null)[] | null = null;
  for (let i = 0; i < n; i++) {
    const len = r.int32();
    const valueStart = r.offset;
    if (len > 0) r.skip(len);
    else if (len < -1) throw agError('AG_ERR_PROTOCOL_MALFORMED', `DataRow field length ${len}`);
    if (len < 0 || !masker.masks(i)) continue;
    const col = cols[i];
    if (col === undefined) throw agError('AG_ERR_MASKING_FAILED', 'row has more fields than its description');
    let from = valueStart;
    let prefix: Buffer | null = null;
    if (col.format !== 0) {
      if (binaryContainer(col.typeOid)) {
        const masked = maskBinaryValue(col.typeOid, buf, valueStart, valueStart + len, {
          text: (v) => masker.mask(i, v),
          whole: masker.whole(i),
        });
        if (masked === null) continue;
        if (out === null) out = readAll(buf, start, end);
        out[i] = masked;
        continue;
      }
      if (!TEXT_TYPE_OIDS.has(col.typeOid)) {
        throw agError('AG_ERR_MASKING_FAILED', `column ${col.name} arrives in binary as type ${col.typeOid}`);
      }
      if (col.typeOid === JSONB_OID && len > 0) {
        prefix = buf.subarray(from, from + 1); // jsonb's binary version byte
        from += 1;
      }
    }
    const value = buf.toString('utf8', from, valueStart + len);
    const masked = masker.mask(i, value);
    if (masked === value) continue;
    if (out === null) out = readAll(buf, start, end);
    out[i] =
      masked === null ? null : prefix ? Buffer.concat([prefix, Buffer.from(masked)]) : Buffer.from(masked);
  }
  return out === null ? null : dataRow(out);
}

function readAll(buf: Buffer, start: number, end: number): (Buffer | null)[] {
  const r = new Reader().reset(buf, start + 5, end, 'DataRow');
  const n = r.int16();
  const values: (Buffer | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const len = r.int32();
    values[i] = len < 0 ? null : r.bytes(len);
  }
  return values;
}
