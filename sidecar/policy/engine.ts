// The policy engine: compiled when the policy set changes, consulted per
// command. Pure: no I/O, no clock. Fails closed: anything it cannot match is
// decided by defaults that are deny unless a policy says otherwise.
//
// Semantics (README "How policies decide"):
// - A policy applies to a command when it selects the pod (namespace and
//   podSelector), names the identity among its subjects, and declares the target.
// - A command is cut into units: each statement's operations crossed with its
//   tables (a statement without tables is one unit per operation). Redis
//   statements are one unit whose operations are aliases (GET and READ).
// - Each applicable policy decides each unit by its first matching rule. Explicit
//   rule matches from all policies combine strictest-first: deny > review > allow.
//   A unit no rule matches falls to the applicable policies' defaultAction, again
//   strictest first (deny unless every applicable policy defaults to allow).
// - The command's decision is its strictest unit's; no applicable policy: deny.

import type { Action, AgentPolicy, MaskingRule, Protocol, Review, Target } from '../../api/types.js';
import type { Identity } from '../identity/identity.js';
import { sourceColumnRegex } from '../masking/columns.js';
import { compilePathTemplate } from './classify/path-template.js';
import { type Classification, type Command, type StatementClass, UNKNOWN } from './command.js';
import { DEFAULT_RULE, type Decision } from './decision.js';
import {
  compileSelector,
  compileSubjects,
  compileTables,
  namesWorkloads,
  type Predicate,
} from './matchers.js';

export interface PodInfo {
  namespace: string;
  name?: string;
  labels: Readonly<Record<string, string>>;
}

export interface PodPolicy {
  readonly targets: readonly Target[];
  target(name: string): Target | undefined;
  decide(command: Command): Decision;
  allowsWorkload(identity: Identity): boolean;
  /** Whether a masking rule for this target names columns of particular tables (`users.email`). */
  masksQualifiedColumns(target: string): boolean;
  /**
   * The column names masking for this target cares about (rules' column
   * patterns, and the recognizers' name checks when entities are scanned), as
   * a PostgreSQL regular expression; null when nothing is masked by name.
   */
  sourceColumns(target: string): string | null;
  /** Targets declared differently by two policies (the first, by namespace/name, is kept). */
  readonly conflicts: readonly string[];
}

const enum Strictness {
  Allow = 0,
  Review = 1,
  Deny = 2,
}

const STRICTNESS: Record<Action, Strictness> = {
  allow: Strictness.Allow,
  review: Strictness.Review,
  deny: Strictness.Deny,
};

interface CompiledRule {
  readonly name: string;
  readonly action: Action;
  readonly strictness: Strictness;
  readonly review: Review | undefined;
  readonly message: string | undefined;
  readonly target: string | undefined;
  readonly ops: ReadonlySet<string> | undefined;
  readonly tables: ((p: Protocol) => Predicate<string>) | undefined;
  readonly paths: readonly Predicate<string>[] | undefined;
}

interface CompiledPolicy {
  readonly key: string;
  readonly namespace: string | undefined;
  readonly selects: Predicate<Readonly<Record<string, string>>>;
  readonly admits: Predicate<Identity>;
  readonly workloads: boolean;
  readonly targets: ReadonlyMap<string, Target>;
  readonly rules: readonly CompiledRule[];
  readonly masking: readonly MaskingRule[];
  readonly defaultAction: 'allow' | 'deny';
}

function compileRule(
  r: AgentPolicy['spec']['rules'] extends (infer R)[] | undefined ? R : never,
): CompiledRule {
  const m = r.match ?? {};
  return {
    name: r.name,
    action: r.action,
    strictness: STRICTNESS[r.action],
    review: r.review,
    message: r.message,
    target: m.target,
    ops: m.operations ? new Set(m.operations.map((o) => o.toUpperCase())) : undefined,
    tables: m.tables ? compileTables(m.tables, r.action !== 'allow') : undefined,
    paths: m.paths ? m.paths.map(compilePathTemplate) : undefined,
  };
}

function compilePolicy(p: AgentPolicy): CompiledPolicy {
  const ns = p.metadata.namespace;
  return {
    key: `${ns ?? ''}/${p.metadata.name}`,
    namespace: ns,
    selects: compileSelector(p.spec.podSelector),
    admits: compileSubjects(p.spec.subjects, ns),
    workloads: namesWorkloads(p.spec.subjects),
    targets: new Map(p.spec.targets.map((t) => [t.name, t])),
    rules: (p.spec.rules ?? []).map(compileRule),
    masking: p.spec.masking ?? [],
    defaultAction: p.spec.defaultAction ?? 'deny',
  };
}

/** Policy name as users read it: `namespace/name`, or `name` for a file policy without namespace. */
function displayName(p: CompiledPolicy): string {
  return p.namespace === undefined ? p.key.slice(1) : p.key;
}

function ruleMatches(
  r: CompiledRule,
  cmd: Command,
  ops: readonly string[],
  table: string | undefined,
): boolean {
  if (r.target !== undefined && r.target !== cmd.target) return false;
  if (r.ops !== undefined) {
    let any = false;
    for (const o of ops) {
      if (r.ops.has(o)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (table === undefined && (r.tables !== undefined || r.paths !== undefined)) {
    // A statement the classifier could not read has no known tables: it may touch
    // any. A table-scoped deny or review must still catch it; an allow must not.
    return r.strictness !== Strictness.Allow && ops.includes(UNKNOWN);
  }
  if (r.tables !== undefined && !r.tables(cmd.protocol)(table!)) return false;
  if (r.paths !== undefined && (cmd.protocol !== 'http' || !r.paths.some((m) => m(table!)))) return false;
  return true;
}

interface Verdict {
  strictness: Strictness;
  policy: CompiledPolicy | undefined;
  rule: CompiledRule | undefined;
  unit: string;
}

/** The applicable policies for one identity on one target, with their masking. */
interface Applicable {
  readonly policies: readonly CompiledPolicy[];
  readonly masking: readonly MaskingRule[];
  readonly fallback: Strictness;
  readonly fallbackPolicy: CompiledPolicy | undefined;
  /**
   * Decisions already made for this identity on this target, by classification
   * object: the classifiers hand out one object per statement shape, so an
   * agent repeating a statement is decided once. A reload compiles a new
   * PodPolicy, which starts empty.
   */
  readonly decided: Map<Classification, Decision>;
}

/** Bound on remembered decisions per identity and target; past it the cache starts over. */
const MAX_DECIDED = 1024;

const NO_MASKING: readonly MaskingRule[] = Object.freeze([]);

class CompiledPodPolicy implements PodPolicy {
  readonly targets: readonly Target[];
  readonly conflicts: readonly string[];
  readonly #policies: readonly CompiledPolicy[];
  readonly #targets: ReadonlyMap<string, Target>;
  // Identity objects live as long as their session: cache what applies to them.
  readonly #applicable = new WeakMap<Identity, Map<string, Applicable>>();

  constructor(policies: readonly CompiledPolicy[]) {
    this.#policies = policies;
    const targets = new Map<string, Target>();
    const conflicts: string[] = [];
    for (const p of policies) {
      for (const t of p.targets.values()) {
        const seen = targets.get(t.name);
        if (seen === undefined) targets.set(t.name, t);
        else if (seen.address !== t.address || seen.protocol !== t.protocol) {
          conflicts.push(
            `target ${t.name} in ${displayName(p)} differs from an earlier declaration; the earlier one is used`,
          );
        }
      }
    }
    this.#targets = targets;
    this.targets = [...targets.values()];
    this.conflicts = conflicts;
  }

  target(name: string): Target | undefined {
    return this.#targets.get(name);
  }

  allowsWorkload(identity: Identity): boolean {
    return this.#policies.some((p) => p.workloads && p.admits(identity));
  }

  masksQualifiedColumns(target: string): boolean {
    return this.#policies.some((p) =>
      p.masking.some(
        (m) =>
          (m.target === undefined || m.target === target) &&
          (m.columns ?? []).some((c) => {
            // `*.ssn` names every table: only a real table part needs names.
            const dot = c.lastIndexOf('.');
            return dot > 0 && !/^[*.]+$/.test(c.slice(0, dot));
          }),
      ),
    );
  }

  sourceColumns(target: string): string | null {
    const rules = this.#policies.flatMap((p) =>
      p.masking.filter((m) => m.target === undefined || m.target === target),
    );
    if (rules.length === 0) return null;
    const patterns = rules.flatMap((m) => m.columns ?? []);
    // A rule without columns scans content, where the recognizers read column names too.
    const scans = rules.some((m) => m.columns === undefined || m.entities !== undefined);
    return sourceColumnRegex(patterns, scans);
  }

  #applicableFor(identity: Identity, target: string): Applicable {
    let perTarget = this.#applicable.get(identity);
    if (perTarget === undefined) {
      perTarget = new Map();
      this.#applicable.set(identity, perTarget);
    }
    let a = perTarget.get(target);
    if (a === undefined) {
      const policies = this.#policies.filter((p) => p.targets.has(target) && p.admits(identity));
      const masking = policies.flatMap((p) =>
        p.masking.filter((m) => m.target === undefined || m.target === target),
      );
      const denier = policies.find((p) => p.defaultAction === 'deny');
      a = {
        policies,
        masking: masking.length === 0 ? NO_MASKING : masking,
        fallback: policies.length > 0 && denier === undefined ? Strictness.Allow : Strictness.Deny,
        fallbackPolicy: denier ?? policies[0],
        decided: new Map(),
      };
      perTarget.set(target, a);
    }
    return a;
  }

  decide(cmd: Command): Decision {
    const app = this.#applicableFor(cmd.identity, cmd.target);
    // The classification is all a decision reads of the command, but for an HTTP host.
    if (cmd.host !== undefined) return this.#decide(cmd, app);
    let d = app.decided.get(cmd.classification);
    if (d === undefined) {
      d = this.#decide(cmd, app);
      if (app.decided.size >= MAX_DECIDED) app.decided.clear();
      app.decided.set(cmd.classification, d);
    }
    return d;
  }

  #decide(cmd: Command, app: Applicable): Decision {
    if (app.policies.length === 0) {
      return {
        action: 'deny',
        policy: '',
        rule: DEFAULT_RULE,
        reason: this.#targets.has(cmd.target)
          ? `no policy for target ${cmd.target} applies to ${cmd.identity.subject}`
          : `${cmd.target} is not a declared target`,
        masking: NO_MASKING,
      };
    }
    let worst: Verdict | undefined;
    const statements = cmd.classification.statements;
    for (const st of statements) {
      const v = this.#decideStatement(cmd, st, app);
      if (worst === undefined || v.strictness > worst.strictness) worst = v;
      if (worst.strictness === Strictness.Deny) break;
    }
    if (worst === undefined)
      worst = {
        strictness: Strictness.Allow,
        policy: app.policies[0],
        rule: undefined,
        unit: 'empty command',
      };
    return this.#toDecision(worst, app);
  }

  #decideStatement(cmd: Command, st: StatementClass, app: Applicable): Verdict {
    // Redis reports a command with its categories (GET, READ): aliases of one unit.
    const aliased = cmd.protocol === 'redis' || cmd.protocol === 'http';
    const opGroups: (readonly string[])[] = aliased ? [st.operations] : st.operations.map((o) => [o]);
    const tables: (string | undefined)[] = st.tables.length > 0 ? [...st.tables] : [undefined];
    let worst: Verdict | undefined;
    for (const ops of opGroups) {
      for (const table of tables) {
        const v = this.#decideUnit(cmd, ops, table, app);
        if (worst === undefined || v.strictness > worst.strictness) worst = v;
        if (worst.strictness === Strictness.Deny) return worst;
      }
    }
    return worst ?? this.#decideUnit(cmd, st.operations, undefined, app);
  }

  #decideUnit(cmd: Command, ops: readonly string[], table: string | undefined, app: Applicable): Verdict {
    let worst: Verdict | undefined;
    for (const p of app.policies) {
      for (const r of p.rules) {
        if (!ruleMatches(r, cmd, ops, table)) continue;
        if (worst === undefined || r.strictness > worst.strictness) {
          worst = { strictness: r.strictness, policy: p, rule: r, unit: unitName(ops, table) };
        }
        break; // first match wins within a policy
      }
      if (worst?.strictness === Strictness.Deny) break;
    }
    return (
      worst ?? {
        strictness: app.fallback,
        policy: app.fallbackPolicy,
        rule: undefined,
        unit: unitName(ops, table),
      }
    );
  }

  #toDecision(v: Verdict, app: Applicable): Decision {
    const action: Action =
      v.strictness === Strictness.Deny ? 'deny' : v.strictness === Strictness.Review ? 'review' : 'allow';
    const policy = v.policy === undefined ? '' : displayName(v.policy);
    const rule = v.rule?.name ?? DEFAULT_RULE;
    const reason =
      v.rule === undefined
        ? `no rule matches ${v.unit}; default ${action}`
        : (v.rule.message ?? `${v.unit} matches rule ${rule}`);
    const d: Decision = { action, policy, rule, reason, masking: app.masking };
    return v.rule?.review !== undefined ? { ...d, review: v.rule.review } : d;
  }
}

function unitName(ops: readonly string[], table: string | undefined): string {
  return table === undefined ? (ops[0] ?? 'command') : `${ops[0] ?? 'command'} on ${table}`;
}

export class PolicyEngine {
  readonly #policies: readonly CompiledPolicy[];
  readonly size: number;

  private constructor(policies: readonly CompiledPolicy[]) {
    this.#policies = policies;
    this.size = policies.length;
  }

  /** Compiles a validated policy set. Order does not matter: policies are sorted by namespace/name. */
  static compile(policies: readonly AgentPolicy[]): PolicyEngine {
    const compiled = policies.map(compilePolicy).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new PolicyEngine(compiled);
  }

  /** Every policy, whatever pods it selects: for `policy check` without pod details. */
  forAnyPod(): PodPolicy {
    return new CompiledPodPolicy(this.#policies);
  }

  /** A policy without a namespace (from a file) selects pods in every namespace. */
  forPod(pod: PodInfo): PodPolicy {
    return new CompiledPodPolicy(
      this.#policies.filter(
        (p) => (p.namespace === undefined || p.namespace === pod.namespace) && p.selects(pod.labels),
      ),
    );
  }
}
