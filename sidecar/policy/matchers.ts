// Compiled matchers for the parts of an AgentPolicy that the per-command path
// consults: label selectors, subjects, table and key patterns. Built when the
// policy set changes; the hot path only calls the closures.

import type { LabelSelector, Protocol, Subject } from '../../api/types.js';
import type { Identity } from '../identity/identity.js';

export type Predicate<T> = (value: T) => boolean;

export function compileSelector(sel: LabelSelector | undefined): Predicate<Readonly<Record<string, string>>> {
  const labels = Object.entries(sel?.matchLabels ?? {});
  const exprs = sel?.matchExpressions ?? [];
  if (labels.length === 0 && exprs.length === 0) return () => true;
  return (podLabels) => {
    for (const [k, v] of labels) if (podLabels[k] !== v) return false;
    for (const e of exprs) {
      const has = Object.hasOwn(podLabels, e.key);
      const value = podLabels[e.key];
      switch (e.operator) {
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        case 'In':
          if (!has || !(e.values ?? []).includes(value!)) return false;
          break;
        case 'NotIn':
          if (has && (e.values ?? []).includes(value!)) return false;
          break;
      }
    }
    return true;
  };
}

/**
 * Subjects: absent means every identity the sidecar accepted. A serviceAccount
 * subject matches only workload identities, `name` in the policy's namespace
 * (or in any namespace for a file policy that names none) or `namespace/name`.
 */
export function compileSubjects(
  subjects: readonly Subject[] | undefined,
  policyNamespace: string | undefined,
): Predicate<Identity> {
  if (subjects === undefined) return () => true;
  const groups = new Set<string>();
  const users = new Set<string>();
  const accounts: { namespace: string | undefined; name: string }[] = [];
  for (const s of subjects) {
    if (s.group !== undefined) groups.add(s.group);
    else if (s.user !== undefined) users.add(s.user);
    else if (s.serviceAccount !== undefined) {
      const slash = s.serviceAccount.indexOf('/');
      accounts.push(
        slash < 0
          ? { namespace: policyNamespace, name: s.serviceAccount }
          : { namespace: s.serviceAccount.slice(0, slash), name: s.serviceAccount.slice(slash + 1) },
      );
    }
  }
  return (id) => {
    if (id.kind === 'workload') {
      const w = id.workload;
      if (w === undefined) return false;
      return accounts.some(
        (a) => a.name === w.serviceAccount && (a.namespace === undefined || a.namespace === w.namespace),
      );
    }
    if (id.kind !== 'token') return false;
    if (users.has(id.subject)) return true;
    for (const g of id.groups) if (groups.has(g)) return true;
    return false;
  };
}

/** Whether any subject is a service account: a tokenless connection may then run as the pod. */
export function namesWorkloads(subjects: readonly Subject[] | undefined): boolean {
  return subjects?.some((s) => s.serviceAccount !== undefined) ?? false;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${body}$`, 's');
}

/**
 * Table patterns for SQL: `users` matches the table users in any schema
 * (`public.users` too), so schema-qualifying a name never slips past a rule.
 * An unqualified name in a query may resolve to any schema on the search path,
 * which the sidecar cannot see: for a restrictive rule (deny, review) it may be
 * `app.users`, so `app.users` and `app.*` match it; for an allow rule it is
 * not known to be, so they do not. `*` is a wildcard. Names compare lower-case,
 * as PostgreSQL and MySQL fold unquoted identifiers.
 */
function compileSqlTables(patterns: readonly string[], restrictive: boolean): Predicate<string> {
  // Unqualified names are compared with `bare`; qualified names with
  // `qualified` (patterns with a schema) or by their table part with the
  // schema-less patterns (`anySchema`).
  const bare: string[] = [];
  const qualified: string[] = [];
  const anySchema: string[] = [];
  for (const raw of patterns) {
    const p = raw.toLowerCase();
    const dot = p.lastIndexOf('.');
    if (dot < 0) {
      bare.push(p);
      anySchema.push(p);
    } else {
      qualified.push(p);
      if (restrictive) bare.push(p.slice(dot + 1));
    }
  }
  const matchBare = compilePlain(bare);
  const matchQualified = compilePlain(qualified);
  const matchAnySchema = compilePlain(anySchema);
  return (table) => {
    const t = table.toLowerCase();
    const dot = t.lastIndexOf('.');
    if (dot < 0) return matchBare(t);
    return matchQualified(t) || matchAnySchema(t.slice(dot + 1));
  };
}

/** Redis keys and anything else: plain globs over the whole name, case-sensitive. */
function compilePlain(patterns: readonly string[]): Predicate<string> {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const regexps = patterns.filter((p) => p.includes('*')).map(globToRegExp);
  return (name) => exact.has(name) || regexps.some((r) => r.test(name));
}

/** `restrictive`: the rule denies or pauses, so a name that may match does match. */
export function compileTables(
  patterns: readonly string[],
  restrictive: boolean,
): (protocol: Protocol) => Predicate<string> {
  const sql = compileSqlTables(patterns, restrictive);
  const plain = compilePlain(patterns);
  return (protocol) => (protocol === 'postgres' || protocol === 'mysql' ? sql : plain);
}
