// Walks one statement of libpg-query's JSON parse tree and collects what it
// does: operations, tables, whether a DELETE/UPDATE is unbounded, and a reason
// when it cannot be trusted. The tree is walked generically (every field of
// every node), so a table or a writing statement nested anywhere (a CTE, a
// subquery, a function argument, a rule action) is found without listing every
// place one may hide; statement nodes add their operation as they are met.
//
// libpg-query prints a node as `{"TypeName": {...fields}}` when the field holds
// any node, but prints typed fields (a RangeVar `relation`, a SelectStmt `larg`,
// a `withClause`) as the bare struct. Both shapes are handled: a bare struct is
// recognised by its fields (`relname` for RangeVar).

import { isDangerousFunction } from './postgres-functions.js';

export type Json = null | boolean | number | string | readonly Json[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: Json;
}

/** Statement nodes whose operation is a fixed name. */
const SIMPLE_OPS: Readonly<Record<string, string>> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  TruncateStmt: 'TRUNCATE',
  CopyStmt: 'COPY',
  CallStmt: 'CALL',
  TransactionStmt: 'TRANSACTION',
  ConstraintsSetStmt: 'SET',
  VariableShowStmt: 'SHOW',
  ExplainStmt: 'EXPLAIN',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  NotifyStmt: 'NOTIFY',
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  DeallocateStmt: 'DEALLOCATE',
  LockStmt: 'LOCK',
  DeclareCursorStmt: 'DECLARE',
  ClosePortalStmt: 'CLOSE',
  DiscardStmt: 'DISCARD',
  CheckPointStmt: 'CHECKPOINT',
  ReindexStmt: 'REINDEX',
  ClusterStmt: 'CLUSTER',
  LoadStmt: 'LOAD',
  RefreshMatViewStmt: 'REFRESH',
  CommentStmt: 'COMMENT',
  SecLabelStmt: 'SECURITY_LABEL',
  ReassignOwnedStmt: 'REASSIGN',
  IndexStmt: 'CREATE',
  ViewStmt: 'CREATE',
  RuleStmt: 'CREATE',
  DefineStmt: 'CREATE',
  CompositeTypeStmt: 'CREATE',
  CreatedbStmt: 'CREATE',
  ImportForeignSchemaStmt: 'CREATE',
  RenameStmt: 'ALTER',
  DropdbStmt: 'DROP',
  DropOwnedStmt: 'DROP',
  ReturnStmt: 'SELECT', // RETURN expr in a SQL-standard function body
};

/** DROP object kinds whose names are tables for policy purposes. */
const TABLE_LIKE = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);

const MERGE_OPS: Readonly<Record<string, string>> = {
  CMD_UPDATE: 'UPDATE',
  CMD_DELETE: 'DELETE',
  CMD_INSERT: 'INSERT',
};

/** EXPLAIN option values that turn ANALYZE off; anything else leaves it on. */
const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUpper(c: string): boolean {
  return c >= 'A' && c <= 'Z';
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The `sval` of a `{String: {sval}}` node. */
function stringNode(v: Json | undefined): string | undefined {
  if (!isObject(v)) return undefined;
  const s = v['String'];
  return isObject(s) ? str(s['sval']) : undefined;
}

export class StatementWalker {
  readonly ops = new Set<string>();
  readonly tables = new Set<string>();
  unbounded = false;
  /** Why the statement cannot be trusted, when it cannot. */
  unknown: string | undefined = undefined;
  /** CTE names in scope: an unqualified reference to one is no table. */
  readonly #ctes: string[] = [];
  /** Off inside plain EXPLAIN and view definitions: what is not run adds tables only. */
  #runs = true;

  walk(v: Json | undefined): void {
    if (Array.isArray(v)) {
      for (const item of v as readonly Json[]) this.walk(item);
      return;
    }
    if (!isObject(v)) return;
    let only: string | undefined;
    let count = 0;
    for (const k in v) {
      only = k;
      if (++count > 1) break;
    }
    if (count === 1 && only !== undefined && isUpper(only)) this.#node(only, v[only] ?? null);
    else this.#struct(v);
  }

  #op(name: string): void {
    if (this.#runs) this.ops.add(name);
  }

  #markUnknown(reason: string): void {
    if (this.#runs && this.unknown === undefined) this.unknown = reason;
  }

  #table(schema: string | undefined, name: string): void {
    const rel = name.toLowerCase();
    if (schema === undefined && this.#ctes.includes(rel)) return;
    this.tables.add(schema === undefined ? rel : `${schema.toLowerCase()}.${rel}`);
  }

  #quiet(v: Json | undefined): void {
    const was = this.#runs;
    this.#runs = false;
    this.walk(v);
    this.#runs = was;
  }

  #node(type: string, b: Json): void {
    if (!isObject(b)) return;
    switch (type) {
      case 'RangeVar':
        this.#struct(b);
        return;
      case 'FuncCall': {
        const parts = b['funcname'];
        const last = Array.isArray(parts) ? stringNode(parts[parts.length - 1]) : undefined;
        if (last !== undefined && isDangerousFunction(last.toLowerCase())) {
          this.#markUnknown(`calls ${last.toLowerCase()}(), whose side effects the classifier cannot see`);
        }
        break;
      }
      case 'DoStmt':
        this.#markUnknown('DO runs procedural code the classifier cannot see');
        this.#op('DO');
        return;
      case 'SelectStmt':
        // A VALUES list feeding another statement (INSERT ... VALUES) reads
        // nothing; on its own, `VALUES (1)` is a query like SELECT.
        if (b['valuesLists'] === undefined || this.ops.size === 0) this.#op('SELECT');
        // SELECT ... INTO creates a table; FOR UPDATE/SHARE takes row locks.
        if (b['intoClause'] !== undefined) this.#op('CREATE');
        if (b['lockingClause'] !== undefined) this.#op('LOCK');
        break;
      case 'InsertStmt': {
        this.#op('INSERT');
        const conflict = b['onConflictClause'];
        if (isObject(conflict) && conflict['action'] === 'ONCONFLICT_UPDATE') this.#op('UPDATE');
        break;
      }
      case 'UpdateStmt':
      case 'DeleteStmt':
        this.#op(type === 'UpdateStmt' ? 'UPDATE' : 'DELETE');
        if (b['whereClause'] === undefined && this.#runs) this.unbounded = true;
        break;
      case 'MergeStmt': {
        this.#op('MERGE');
        const whens = b['mergeWhenClauses'];
        if (Array.isArray(whens)) {
          for (const w of whens as readonly Json[]) {
            const clause = isObject(w) ? w['MergeWhenClause'] : undefined;
            const op = isObject(clause) ? MERGE_OPS[str(clause['commandType']) ?? ''] : undefined;
            if (op !== undefined) this.#op(op);
          }
        }
        break;
      }
      case 'TruncateStmt':
        this.#op('TRUNCATE');
        if (this.#runs) this.unbounded = true;
        break;
      case 'CopyStmt':
        this.#copy(b);
        break;
      case 'ExplainStmt':
        this.#explain(b);
        return;
      case 'ViewStmt':
        // A view's query runs when the view is read, not when it is created.
        this.#op('CREATE');
        this.walk(b['view']);
        this.#quiet(b['query']);
        return;
      case 'DropStmt':
        this.#op('DROP');
        if (TABLE_LIKE.has(str(b['removeType']) ?? '')) this.#droppedTables(b['objects']);
        break;
      case 'GrantStmt':
      case 'GrantRoleStmt':
        this.#op(b['is_grant'] === true ? 'GRANT' : 'REVOKE');
        break;
      case 'VacuumStmt':
        this.#op(b['is_vacuumcmd'] === true ? 'VACUUM' : 'ANALYZE');
        break;
      case 'VariableSetStmt': {
        this.#op('SET');
        // Changing the role changes every privilege after it: its own operation,
        // so a rule allowing SET (search_path, timezone) does not allow it.
        const name = str(b['name'])?.toLowerCase();
        if (name === 'role' || name === 'session_authorization') this.#op('ROLE');
        break;
      }
      case 'FetchStmt':
        this.#op(b['ismove'] === true ? 'MOVE' : 'FETCH');
        break;
      case 'CreateTableAsStmt':
        this.#op('CREATE');
        break;
      default: {
        const op = SIMPLE_OPS[type] ?? familyOp(type);
        if (op !== undefined) this.#op(op);
        else if (type.endsWith('Stmt')) this.#markUnknown(`unclassified statement kind ${type}`);
      }
    }
    this.#struct(b);
  }

  #struct(b: JsonObject): void {
    const relname = b['relname'];
    if (typeof relname === 'string') {
      this.#table(str(b['schemaname']), relname);
      return;
    }
    const withClause = b['withClause'];
    if (isObject(withClause)) {
      this.#withScope(withClause, b);
      return;
    }
    for (const k in b) this.walk(b[k]);
  }

  /**
   * A WITH list: each CTE body sees the names before it (and its own when
   * RECURSIVE); the main statement sees them all. A CTE body that writes is
   * walked like any statement, so `WITH d AS (DELETE ...) SELECT` yields DELETE.
   */
  #withScope(w: JsonObject, stmt: JsonObject): void {
    const recursive = w['recursive'] === true;
    const ctes = Array.isArray(w['ctes']) ? (w['ctes'] as readonly Json[]) : [];
    const depth = this.#ctes.length;
    for (const c of ctes) {
      const cte = isObject(c) ? c['CommonTableExpr'] : undefined;
      if (!isObject(cte)) continue;
      const name = (str(cte['ctename']) ?? '').toLowerCase();
      if (recursive) this.#ctes.push(name);
      this.walk(cte['ctequery']);
      if (!recursive) this.#ctes.push(name);
    }
    for (const k in stmt) if (k !== 'withClause') this.walk(stmt[k]);
    this.#ctes.length = depth;
  }

  #copy(b: JsonObject): void {
    this.#op('COPY');
    // TO/FROM PROGRAM runs a shell command on the database server; a file name
    // reads or writes the server's file system. Both get their own operation.
    if (b['is_program'] === true) this.#op('PROGRAM');
    else if (typeof b['filename'] === 'string') this.#op('FILE');
    if (b['relation'] !== undefined) this.#op(b['is_from'] === true ? 'INSERT' : 'SELECT');
  }

  /** EXPLAIN ANALYZE runs its statement, so it is classified as run; plain EXPLAIN adds tables only. */
  #explain(b: JsonObject): void {
    this.#op('EXPLAIN');
    if (explainAnalyzes(b['options'])) this.walk(b['query']);
    else this.#quiet(b['query']);
  }

  #droppedTables(objects: Json | undefined): void {
    if (!Array.isArray(objects)) return;
    for (const o of objects as readonly Json[]) {
      const list = isObject(o) ? o['List'] : undefined;
      const items = isObject(list) ? list['items'] : undefined;
      if (!Array.isArray(items)) continue;
      const names = (items as readonly Json[]).map(stringNode);
      if (names.some((n) => n === undefined)) continue;
      const rel = names[names.length - 1]!;
      this.#table(names.length > 1 ? names[names.length - 2] : undefined, rel);
    }
  }
}

function familyOp(type: string): string | undefined {
  if (!type.endsWith('Stmt')) return undefined;
  if (type.startsWith('Create')) return 'CREATE';
  if (type.startsWith('Alter')) return 'ALTER';
  if (type.startsWith('Drop')) return 'DROP';
  return undefined;
}

function explainAnalyzes(options: Json | undefined): boolean {
  if (!Array.isArray(options)) return false;
  for (const o of options as readonly Json[]) {
    const d = isObject(o) ? o['DefElem'] : undefined;
    if (!isObject(d) || d['defname'] !== 'analyze') continue;
    const arg = d['arg'];
    if (arg === undefined) return true;
    return !FALSE_WORDS.has(optionWord(arg));
  }
  return false;
}

/** An EXPLAIN option's value as a lower-case word: `{Boolean}`, `{Integer}` or `{String}`. */
function optionWord(arg: Json): string {
  if (!isObject(arg)) return '';
  const b = arg['Boolean'];
  if (isObject(b)) return b['boolval'] === true ? 'true' : 'false';
  const i = arg['Integer'];
  if (isObject(i)) return String(i['ival'] ?? 0);
  return stringNode(arg)?.toLowerCase() ?? '';
}
