// Column rules: which result columns are masked whole, by name, before any
// value is read. Patterns are `column`, `table.column` or `schema.table.column`
// with `*` wildcards, case-insensitive. A column whose table the protocol does
// not know (PostgreSQL names only a table OID) is matched on its name alone,
// so a qualified rule masks more rather than less.

import { Ctx } from './entities.js';

export interface ColumnPattern {
  readonly table: RegExp | null;
  readonly column: RegExp;
}

function glob(p: string): RegExp {
  const body = p.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}$`, 'i');
}

export function compileColumnPattern(pattern: string): ColumnPattern {
  const parts = pattern.split('.');
  const column = glob(parts[parts.length - 1] ?? '');
  if (parts.length === 1) return { table: null, column };
  return { table: glob(parts.slice(0, -1).join('.')), column };
}

export function columnMatches(p: ColumnPattern, name: string, table: string | undefined): boolean {
  if (!p.column.test(name)) return false;
  if (p.table === null || table === undefined || table === '') return true;
  if (p.table.test(table)) return true;
  const dot = table.lastIndexOf('.');
  return dot >= 0 && p.table.test(table.slice(dot + 1));
}

/** Columns that hold a date of birth, whatever the language of the schema. */
const DOB_NAME =
  /(^|_)(dob|d_o_b)($|_)|birth|geburt|naissance|nacimiento|nascita|geboorte|urodzenia|fodelse|^bday$|^born(_on)?$/i;

/** Columns that hold secrets; their timestamps and counters do not. */
const PASSWORD_NAME =
  /pass(word|wd|phrase)?($|_)|(^|_)pwd($|_)|secret|api_?key|(access|auth|refresh|session|bearer)_?token|private_?key|credential/i;
const NOT_SECRET =
  /(_at|_on|_date|_time|_count|_len|_length|_expires?|_expiry|_policy|_hint|_id|_type|_algo)$/i;

/**
 * A regular expression (PostgreSQL ARE, for `attname ~* ...`) matching every
 * column name that column rules `patterns` or, with `heuristics`, the
 * recognizers' name checks care about: what a protocol must look up to learn
 * a result column's real name when the agent renamed it (`SELECT ssn AS x`).
 * A superset is fine: the masker decides on the real name.
 */
export function sourceColumnRegex(patterns: readonly string[], heuristics: boolean): string | null {
  const parts = patterns.map((p) => {
    const column = p.slice(p.lastIndexOf('.') + 1);
    return `^${column.replace(/[\\^$.|?+()[\]{}]/g, '\\$&').replace(/\*/g, '.*')}$`;
  });
  if (heuristics) {
    for (const re of [DOB_NAME, PASSWORD_NAME, SSN_NAME, NHS_NAME, PHONE_NAME]) parts.push(re.source);
  }
  return parts.length === 0 ? null : parts.map((p) => `(${p})`).join('|');
}

export function isBirthDateColumn(name: string): boolean {
  return DOB_NAME.test(name);
}

export function isSecretColumn(name: string): boolean {
  return PASSWORD_NAME.test(name) && !NOT_SECRET.test(name);
}

const SSN_NAME = /ssn|social_?sec/i;
const NHS_NAME = /nhs/i;
const PHONE_NAME = /phone|mobile|(^|_)(tel|cell|fax|msisdn)($|_)/i;

/** Context flags (Ctx) that a column's name lends to the weak patterns in its values. */
export function columnContext(name: string): number {
  let ctx = 0;
  if (SSN_NAME.test(name)) ctx |= Ctx.SSN;
  if (NHS_NAME.test(name)) ctx |= Ctx.NHS;
  if (PHONE_NAME.test(name)) ctx |= Ctx.PHONE;
  return ctx;
}
