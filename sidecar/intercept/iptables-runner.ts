// Running the plan: find the backend and address families, read what the nat
// table holds, restore the planned text in one transaction per family, then
// read it back and check every rule of ours is there exactly once.

import { agError } from '../../common/errors.js';
import {
  BACKENDS,
  type Backend,
  type BackendProbe,
  binaries,
  chooseBackend,
  restoreArgs,
} from './iptables-backend.js';
import type { IptablesHost } from './iptables-host.js';
import { type Family, type FamilyPlan, planCleanup, planInstall, purposeCounts } from './iptables-plan.js';
import { countRules, EMPTY_NAT, type NatState, ownedRules, parseNatSave } from './iptables-save.js';
import type { RedirectConfig } from './redirect-config.js';

export type Ipv6Mode = 'auto' | 'on' | 'off';
export type BackendChoice = 'auto' | Backend;

export interface RunOptions {
  readonly ipv6: Ipv6Mode;
  readonly backend: BackendChoice;
}

export interface Prepared {
  readonly backend: Backend;
  readonly plans: readonly FamilyPlan[];
  /** Why this backend and these families, and anything that could not be read: printed as comments. */
  readonly notes: readonly string[];
}

/** Any non-loopback interface with an IPv6 address (link-local included: it reaches neighbours too). */
export function hasIPv6(ifInet6: string | null): boolean {
  if (ifInet6 === null) return false;
  return ifInet6
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .some((f) => f.length >= 6 && f[5] !== 'lo');
}

async function save(host: IptablesHost, backend: Backend, family: Family) {
  const bin = binaries(backend, family).save;
  const r = await host.run(bin, ['-t', 'nat']);
  return { bin, ...r };
}

async function families(options: RunOptions, host: IptablesHost, notes: string[]): Promise<Family[]> {
  if (options.ipv6 === 'on') return [4, 6];
  if (options.ipv6 === 'off') return [4];
  const v6 = hasIPv6(await host.readFile('/proc/net/if_inet6'));
  notes.push(`IPv6 ${v6 ? 'on' : 'off'} (auto: the pod ${v6 ? 'has' : 'has no'} non-loopback IPv6 address)`);
  return v6 ? [4, 6] : [4];
}

/** Counts every backend's rules (all tables, both families), as the node's own tools left them. */
async function probe(host: IptablesHost): Promise<BackendProbe> {
  const counts: Record<Backend, number | null> = { nft: null, legacy: null };
  for (const backend of BACKENDS) {
    for (const family of [4, 6] as const) {
      const r = await host.run(binaries(backend, family).save, []);
      if (r.notFound) continue;
      counts[backend] = (counts[backend] ?? 0) + (r.code === 0 ? countRules(r.stdout) : 0);
    }
  }
  return counts;
}

async function pickBackend(options: RunOptions, host: IptablesHost, notes: string[]): Promise<Backend> {
  if (options.backend !== 'auto') {
    notes.push(`backend ${options.backend} (--backend)`);
    return options.backend;
  }
  const counts = await probe(host);
  const chosen = chooseBackend(counts);
  const seen = BACKENDS.map(
    (b) => `${b} ${counts[b] === null ? 'not installed' : `${counts[b]} rules`}`,
  ).join(', ');
  notes.push(`backend ${chosen ?? 'nft'} (auto: ${seen})`);
  return chosen ?? 'nft';
}

/**
 * Decides backend and families and plans each family against the nat table as
 * it is. `lenient` (dry run) plans against an empty table when the table cannot
 * be read (no root, no iptables here), and says so; otherwise that is an error.
 */
export async function prepareInstall(
  config: RedirectConfig,
  options: RunOptions,
  host: IptablesHost,
  lenient = false,
): Promise<Prepared> {
  const notes: string[] = [];
  const backend = await pickBackend(options, host, notes);
  const plans: FamilyPlan[] = [];
  for (const family of await families(options, host, notes)) {
    const r = await save(host, backend, family);
    let current: NatState;
    if (r.code === 0) current = parseNatSave(r.stdout);
    else if (lenient) {
      notes.push(
        `IPv${family}: current rules unreadable (${r.bin}: ${firstLine(r.stderr)}); planned for an empty table`,
      );
      current = EMPTY_NAT;
    } else throw agError('AG_ERR_IPTABLES_FAILED', failure(r.bin, r));
    plans.push(planInstall(config, family, current));
  }
  return { backend, plans, notes };
}

function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0] || 'no output';
}

function failure(command: string, r: { code: number; stderr: string; notFound: boolean }): string {
  if (r.notFound) return `${command} not found; install iptables (nft and legacy variants)`;
  return `${command} exited ${r.code}: ${r.stderr.trim() || 'no output'}`;
}

/** The exact restore input per family, with the commands that would take it: what --dry-run prints. */
export function renderPlans(prepared: Prepared): string {
  const parts = prepared.notes.map((n) => `# ${n}\n`);
  for (const p of prepared.plans) {
    const b = binaries(prepared.backend, p.family);
    parts.push(`# IPv${p.family}: ${b.restore} ${restoreArgs(prepared.backend).join(' ')}\n`);
    parts.push(p.restore === '' ? '# (nothing to do)\n' : p.restore);
  }
  return parts.join('');
}

async function restore(host: IptablesHost, backend: Backend, plan: FamilyPlan): Promise<void> {
  if (plan.restore === '') return;
  const bin = binaries(backend, plan.family).restore;
  const r = await host.run(bin, restoreArgs(backend), plan.restore);
  if (r.code !== 0) throw agError('AG_ERR_IPTABLES_FAILED', failure(bin, r));
}

/** Reads our rules back and compares them, tag by tag, with the plan: each rule once, nothing extra. */
async function verify(host: IptablesHost, backend: Backend, plan: FamilyPlan): Promise<void> {
  const r = await save(host, backend, plan.family);
  if (r.code !== 0) throw agError('AG_ERR_IPTABLES_FAILED', failure(r.bin, r));
  const found = purposeCounts(ownedRules(parseNatSave(r.stdout)).map((x) => x.spec));
  const wanted = purposeCounts(plan.rules.map((x) => `--comment "agentgate/${x.purpose}"`));
  const diffs: string[] = [];
  for (const key of new Set([...found.keys(), ...wanted.keys()])) {
    const f = found.get(key) ?? 0;
    const w = wanted.get(key) ?? 0;
    if (f !== w) diffs.push(`agentgate/${key}: ${f} rules, expected ${w}`);
  }
  if (diffs.length > 0) {
    throw agError(
      'AG_ERR_IPTABLES_FAILED',
      `IPv${plan.family} rules differ from the plan after restore: ${diffs.join('; ')}`,
    );
  }
}

/** Installs (or reinstalls) the redirect and verifies it; returns what was applied. */
export async function installRedirect(
  config: RedirectConfig,
  options: RunOptions,
  host: IptablesHost,
): Promise<Prepared> {
  const prepared = await prepareInstall(config, options, host);
  for (const plan of prepared.plans) {
    await restore(host, prepared.backend, plan);
    await verify(host, prepared.backend, plan);
  }
  return prepared;
}

/**
 * Removes every rule and chain of ours, in each backend that has any (or the
 * one chosen), for IPv4 and, unless IPv6 is off, IPv6. Other rules stay.
 */
export async function removeRedirect(options: RunOptions, host: IptablesHost): Promise<Prepared[]> {
  const done: Prepared[] = [];
  const backends = options.backend === 'auto' ? BACKENDS : [options.backend];
  const fams: Family[] = options.ipv6 === 'off' ? [4] : [4, 6];
  for (const backend of backends) {
    const plans: FamilyPlan[] = [];
    const notes: string[] = [];
    for (const family of fams) {
      const r = await save(host, backend, family);
      if (r.notFound && options.backend === 'auto') continue;
      if (r.code !== 0) {
        // Without ip6tables nat support there can be no IPv6 rules of ours to remove.
        if (family === 6 && options.ipv6 === 'auto') {
          notes.push(`IPv6: ${r.bin} unusable (${firstLine(r.stderr)}); skipped`);
          continue;
        }
        throw agError('AG_ERR_IPTABLES_FAILED', failure(r.bin, r));
      }
      plans.push(planCleanup(family, parseNatSave(r.stdout)));
    }
    const prepared = { backend, plans, notes };
    for (const plan of plans) {
      await restore(host, backend, plan);
      await verify(host, backend, plan);
    }
    if (plans.some((p) => p.restore !== '') || options.backend !== 'auto') done.push(prepared);
  }
  return done;
}
