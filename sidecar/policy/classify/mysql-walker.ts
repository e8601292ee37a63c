// Walks one statement of node-sql-parser's AST (MySQL/MariaDB dialects) and
// collects operations, tables, unboundedness and a reason when it cannot be
// trusted. The AST is loose (subqueries appear as `{ast}`, unions as `_next`,
// CTEs under `with`), so it is walked generically: every object is visited,
// statement objects add their operation, and `{db, table}` objects are tables.

export type Ast = null | undefined | boolean | number | string | readonly Ast[] | AstObject;
export interface AstObject {
  readonly [key: string]: Ast;
}

function isObject(v: Ast): v is AstObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Operations of statement types; REPLACE deletes the rows it replaces. */
const STATEMENT_OPS: Readonly<Record<string, readonly string[]>> = {
  select: ['SELECT'],
  insert: ['INSERT'],
  replace: ['INSERT', 'DELETE'],
  update: ['UPDATE'],
  delete: ['DELETE'],
  create: ['CREATE'],
  drop: ['DROP'],
  alter: ['ALTER'],
  rename: ['ALTER'],
  truncate: ['TRUNCATE'],
  use: ['USE'],
  show: ['SHOW'],
  desc: ['SHOW'],
  set: ['SET'],
  grant: ['GRANT'],
  revoke: ['REVOKE'],
  call: ['CALL'],
  lock: ['LOCK'],
  unlock: ['LOCK'],
  transaction: ['TRANSACTION'],
  explain: ['EXPLAIN'],
  load_data: ['LOAD', 'FILE', 'INSERT'],
};

/** Functions that reach outside the database: server files, shell (lib_mysqludf_sys). */
const DANGEROUS_FUNCTIONS = new Set(['load_file', 'sys_exec', 'sys_eval', 'sys_get', 'sys_set']);

function str(v: Ast): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export class MysqlStatementWalker {
  readonly ops = new Set<string>();
  readonly tables = new Set<string>();
  unbounded = false;
  unknown: string | undefined = undefined;
  readonly #ctes: string[] = [];
  /** Off inside EXPLAIN and view definitions: what is not run adds tables only. */
  #runs = true;

  /** The top-level statement: an unrecognised kind makes it UNKNOWN. */
  statement(ast: AstObject): void {
    const type = str(ast['type']);
    if (type === undefined || STATEMENT_OPS[type] === undefined) {
      this.unknown = `unclassified statement kind ${type ?? '(none)'}`;
    }
    this.walk(ast);
  }

  walk(v: Ast): void {
    if (Array.isArray(v)) {
      for (const item of v as readonly Ast[]) this.walk(item);
      return;
    }
    if (!isObject(v)) return;
    const type = str(v['type']);
    if (type !== undefined && STATEMENT_OPS[type] !== undefined && isStatementShaped(v))
      this.#statementOps(type, v);
    if (type === 'function') this.#function(v);
    this.#tableRef(v);
    // EXPLAIN (without ANALYZE, which the parser does not accept) and CREATE VIEW
    // do not run their query: its tables count, its operations do not.
    const quiet =
      type === 'explain' ? 'expr' : type === 'create' && v['keyword'] === 'view' ? 'select' : undefined;
    if (quiet !== undefined) {
      const was = this.#runs;
      this.#runs = false;
      this.walk(v[quiet]);
      this.#runs = was;
      for (const k in v) if (k !== quiet) this.walk(v[k]);
      return;
    }
    const w = v['with'];
    if (Array.isArray(w) && w.length > 0) {
      this.#withScope(w as readonly Ast[], v);
      return;
    }
    for (const k in v) this.walk(v[k]);
  }

  #statementOps(type: string, s: AstObject): void {
    if (!this.#runs) return;
    for (const op of STATEMENT_OPS[type]!) this.ops.add(op);
    switch (type) {
      case 'select': {
        const into = s['into'];
        const kw = isObject(into) ? str(into['keyword'])?.toLowerCase() : undefined;
        if (kw === 'outfile' || kw === 'dumpfile') this.ops.add('FILE');
        if (s['locking_read'] !== null && s['locking_read'] !== undefined) this.ops.add('LOCK');
        break;
      }
      case 'insert':
        if (s['on_duplicate_update'] !== null && s['on_duplicate_update'] !== undefined)
          this.ops.add('UPDATE');
        break;
      case 'update':
      case 'delete':
        if (s['where'] === null || s['where'] === undefined) this.unbounded = true;
        break;
      case 'truncate':
        this.unbounded = true;
        break;
      case 'desc':
        if (typeof s['table'] === 'string') this.#addTable(null, s['table'] as string);
        break;
      case 'grant':
      case 'revoke':
        this.#privLevel(s['on']);
        break;
    }
  }

  #function(f: AstObject): void {
    const name = f['name'];
    const parts = isObject(name) ? name['name'] : undefined;
    const last = Array.isArray(parts) ? parts[parts.length - 1] : undefined;
    const fn = isObject(last) ? str(last['value'])?.toLowerCase() : undefined;
    if (this.#runs && fn !== undefined && DANGEROUS_FUNCTIONS.has(fn) && this.unknown === undefined) {
      this.unknown = `calls ${fn}(), which reaches outside the database`;
    }
  }

  /** `{db, table}` (FROM items, DML targets, DROP/TRUNCATE names) and `{db, view}` (CREATE VIEW). */
  #tableRef(v: AstObject): void {
    if (!Object.hasOwn(v, 'db') || Object.hasOwn(v, 'column')) return;
    const db = v['db'];
    if (db !== null && typeof db !== 'string') return;
    const name = str(v['table']) ?? str(v['view']);
    if (name !== undefined) this.#addTable(db, name);
  }

  #addTable(db: string | null, name: string): void {
    const t = name.toLowerCase();
    if (db === null && this.#ctes.includes(t)) return;
    this.tables.add(db === null ? t : `${db.toLowerCase()}.${t}`);
  }

  #privLevel(on: Ast): void {
    const levels = isObject(on) ? on['priv_level'] : undefined;
    if (!Array.isArray(levels)) return;
    for (const l of levels as readonly Ast[]) {
      if (!isObject(l)) continue;
      const prefix = str(l['prefix']);
      const name = str(l['name']);
      if (name === undefined || (name === '*' && (prefix === undefined || prefix === '*' || prefix === '')))
        continue;
      this.#addTable(prefix === undefined || prefix === '' ? null : prefix, name);
    }
  }

  /** CTE bodies see earlier names (and their own when recursive); the statement sees all. */
  #withScope(ctes: readonly Ast[], stmt: AstObject): void {
    const depth = this.#ctes.length;
    for (const c of ctes) {
      if (!isObject(c)) continue;
      const nameNode = c['name'];
      const name = (isObject(nameNode) ? str(nameNode['value']) : str(nameNode))?.toLowerCase() ?? '';
      if (c['recursive'] === true) this.#ctes.push(name);
      this.walk(c['stmt']);
      if (c['recursive'] !== true) this.#ctes.push(name);
    }
    for (const k in stmt) if (k !== 'with') this.walk(stmt[k]);
    this.#ctes.length = depth;
  }
}

/**
 * Expression nodes also carry `type` (`set` in ALTER ... SET DEFAULT, `drop`
 * in ALTER ... DROP COLUMN); a statement is told apart by the fields every
 * statement of its kind has.
 */
function isStatementShaped(v: AstObject): boolean {
  return !Object.hasOwn(v, 'action') && !Object.hasOwn(v, 'resource');
}
