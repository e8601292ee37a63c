export { MaskCounts } from './counts.js';
export { type Finding, findEntities } from './find.js';
export {
  type ColumnInfo,
  ColumnPlan,
  compileMasking,
  Masker,
  type MaskingOptions,
  RowMasker,
} from './masker.js';
export { loadSqlScanner, maskMysqlLiterals, maskSqlLiterals } from './sql-literals.js';
export { mysqlTextual, pgTextual } from './wire-types.js';
