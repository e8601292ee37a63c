// Test hosts in network namespaces this test makes and removes itself: an
// "agent pod" and a "database host" joined by a veth pair, with IPv4 and IPv6
// addresses that exist only inside the two namespaces.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const pexec = promisify(execFile);

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE = process.execPath;
/** Runs a TypeScript file of the source tree on Node 24 (see run-from-source.mjs). */
export const FROM_SOURCE = ['--no-warnings', '--import', `${ROOT}test/run-from-source.mjs`];

export interface Topology {
  readonly pod: string;
  readonly db: string;
  readonly podV4: string;
  readonly dbV4: string;
  /** A second address of the database host, inside the excluded CIDR. */
  readonly dbV4Excluded: string;
  readonly excludedV4Cidr: string;
  readonly podV6: string;
  readonly dbV6: string;
  readonly dbV6Excluded: string;
  readonly excludedV6Cidr: string;
}

export async function sh(cmd: string, args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) {
    const { stdout } = await pexec(cmd, [...args], { encoding: 'utf8' });
    return stdout;
  }
  const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  child.stdin.end(input);
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

export function inNs(ns: string, cmd: string, args: readonly string[], input?: string): Promise<string> {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

/** Why this machine cannot run the namespace tests, or null when it can. */
export async function unsupportedReason(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (ip netns add, iptables)';
  const probe = `ag-probe-${process.pid}`;
  try {
    await sh('ip', ['netns', 'add', probe]);
  } catch (err) {
    return `ip netns add failed: ${(err as Error).message}`;
  }
  await sh('ip', ['netns', 'del', probe]);
  return null;
}

export async function createTopology(tag: string): Promise<Topology> {
  const t: Topology = {
    pod: `ag-${tag}-pod`,
    db: `ag-${tag}-db`,
    podV4: '10.200.1.1',
    dbV4: '10.200.1.2',
    dbV4Excluded: '10.200.1.130',
    excludedV4Cidr: '10.200.1.128/25',
    podV6: 'fd00:200::1',
    dbV6: 'fd00:200::2',
    dbV6Excluded: 'fd00:200::8:0:0:2',
    excludedV6Cidr: 'fd00:200:0:0:8::/80',
  };
  await sh('ip', ['netns', 'add', t.pod]);
  await sh('ip', ['netns', 'add', t.db]);
  // Both ends are created straight inside their namespaces: nothing appears in the host's.
  await sh('ip', [
    'link',
    'add',
    'eth0',
    'netns',
    t.pod,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    t.db,
  ]);
  const setup: [string, string[]][] = [
    [t.pod, ['ip', 'link', 'set', 'lo', 'up']],
    [t.db, ['ip', 'link', 'set', 'lo', 'up']],
    [t.pod, ['ip', 'addr', 'add', `${t.podV4}/24`, 'dev', 'eth0']],
    [t.db, ['ip', 'addr', 'add', `${t.dbV4}/24`, 'dev', 'eth0']],
    [t.db, ['ip', 'addr', 'add', `${t.dbV4Excluded}/24`, 'dev', 'eth0']],
    // nodad: usable at once, without waiting for duplicate address detection.
    [t.pod, ['ip', '-6', 'addr', 'add', `${t.podV6}/64`, 'dev', 'eth0', 'nodad']],
    [t.db, ['ip', '-6', 'addr', 'add', `${t.dbV6}/64`, 'dev', 'eth0', 'nodad']],
    [t.db, ['ip', '-6', 'addr', 'add', `${t.dbV6Excluded}/64`, 'dev', 'eth0', 'nodad']],
    [t.pod, ['ip', 'link', 'set', 'eth0', 'up']],
    [t.db, ['ip', 'link', 'set', 'eth0', 'up']],
  ];
  for (const [ns, [cmd, ...args]] of setup) await inNs(ns, cmd as string, args);
  return t;
}

export async function destroyTopology(t: Topology): Promise<void> {
  for (const ns of [t.pod, t.db]) {
    await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}

/** Starts a long-running process in a namespace (optionally as uid:gid) and waits for its `ready` line. */
export async function startIn(
  ns: string,
  as: { uid: number; gid: number } | undefined,
  argv: readonly string[],
): Promise<ChildProcess> {
  const prefix = as ? ['setpriv', `--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups'] : [];
  const child = spawn('ip', ['netns', 'exec', ns, ...prefix, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code} before ready: ${err}`)));
  });
  return child;
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Dials host:port from the pod as uid:gid; returns the first line the far side sent, or `error CODE`. */
export async function dial(
  ns: string,
  as: { uid: number; gid: number },
  host: string,
  port: number,
): Promise<string> {
  const out = await inNs(ns, 'setpriv', [
    `--reuid=${as.uid}`,
    `--regid=${as.gid}`,
    '--clear-groups',
    NODE,
    `${ROOT}test/intercept/dial-fixture.mjs`,
    host,
    String(port),
  ]);
  return out.trim();
}

/** The agentgate lines (ours) of a namespace's nat table, as iptables-save prints them. */
export async function ourSavedRules(ns: string, save: string): Promise<string[]> {
  const text = await inNs(ns, save, ['-t', 'nat']);
  return text.split('\n').filter((l) => /AGENTGATE_|agentgate\//.test(l));
}
