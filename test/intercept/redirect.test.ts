// The pod's redirect rules in real network namespaces, installed by the real
// `agentgate iptables` (run from source inside the pod namespace), with real
// listeners and the real SO_ORIGINAL_DST addon. Needs root; CI runs as root.

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  createTopology,
  destroyTopology,
  dial,
  FROM_SOURCE,
  inNs,
  NODE,
  ourSavedRules,
  ROOT,
  startIn,
  stop,
  type Topology,
  unsupportedReason,
} from './netns.js';

const PROXY_PORT = 15001;
const PROXY = { uid: 1337, gid: 1337 };
const AGENT = { uid: 2000, gid: 2000 };
/** A process that kept the sidecar's group under another user: exempt by --proxy-gid. */
const PROXY_GROUP = { uid: 2000, gid: 1337 };
const DB_PORT = 5432;
const EXCLUDED_PORT = 6379;
const POD_LOCAL_PORT = 7000;
const ADMIN_PORT = 15020;

const reason = await unsupportedReason();
if (reason !== null) process.stderr.write(`test/intercept/redirect.test.ts skipped: ${reason}\n`);
const describeNs = reason === null ? describe : describe.skip;

/** `'-t nat -A X'` -> `['-t', 'nat', '-A', 'X']`, for iptables commands written as one line. */
const words = (line: string): string[] => line.split(' ');

function agentgate(t: Topology, ...args: string[]): Promise<string> {
  return inNs(t.pod, NODE, [...FROM_SOURCE, `${ROOT}cli/main.ts`, 'iptables', ...args]);
}

function installArgs(t: Topology): string[] {
  return [
    `--proxy-port=${PROXY_PORT}`,
    `--proxy-uid=${PROXY.uid}`,
    `--proxy-gid=${PROXY.gid}`,
    `--admin-port=${ADMIN_PORT}`,
    `--exclude-ports=${EXCLUDED_PORT}`,
    `--exclude-cidrs=${t.excludedV4Cidr},${t.excludedV6Cidr}`,
  ];
}

function proxySaw(address: string, port: number, family: 'IPv4' | 'IPv6'): string {
  return `proxy ${JSON.stringify({ address, port, family })}`;
}

describeNs('redirect rules in a real network namespace', () => {
  let t: Topology;
  let db: ChildProcess | undefined;
  let podLocal: ChildProcess | undefined;
  let proxy: ChildProcess | undefined;

  const startProxy = async (mode: 'split' | 'dual') => {
    await stop(proxy);
    proxy = await startIn(t.pod, PROXY, [
      NODE,
      ...FROM_SOURCE,
      'test/intercept/proxy-fixture.ts',
      String(PROXY_PORT),
      mode,
    ]);
  };

  beforeAll(async () => {
    t = await createTopology(`ic${process.pid}`);
    db = await startIn(t.db, undefined, [
      NODE,
      'test/intercept/echo-fixture.mjs',
      'db',
      String(DB_PORT),
      String(EXCLUDED_PORT),
    ]);
    // A server inside the pod, reachable on 127.0.0.1 and on the pod's own address.
    podLocal = await startIn(t.pod, undefined, [
      NODE,
      'test/intercept/echo-fixture.mjs',
      'pod-local',
      String(POD_LOCAL_PORT),
      String(ADMIN_PORT),
    ]);
    await startProxy('split');
    await agentgate(t, ...installArgs(t));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([stop(proxy), stop(db), stop(podLocal)]);
    if (t) await destroyTopology(t);
  });

  test('the topology works before anything is asserted through it', async () => {
    // The proxy UID is exempt, so this is the plain network path.
    expect(await dial(t.pod, PROXY, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
  });

  test("an agent's IPv4 connection to the database host reaches the proxy, which sees the original destination", async () => {
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
  });

  test("an agent's IPv6 connection is redirected too, and the proxy sees the IPv6 destination", async () => {
    expect(await dial(t.pod, AGENT, t.dbV6, DB_PORT)).toBe(proxySaw(t.dbV6, DB_PORT, 'IPv6'));
  });

  test('root in the pod is redirected like any other agent process', async () => {
    expect(await dial(t.pod, { uid: 0, gid: 0 }, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
  });

  test("the proxy's own UID reaches the database host directly, IPv4 and IPv6", async () => {
    expect(await dial(t.pod, PROXY, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
    expect(await dial(t.pod, PROXY, t.dbV6, DB_PORT)).toBe(`db ${t.dbV6} ${DB_PORT}`);
  });

  test("a process in the proxy's group is not redirected either", async () => {
    expect(await dial(t.pod, PROXY_GROUP, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
  });

  test('an excluded port goes straight to the database host', async () => {
    expect(await dial(t.pod, AGENT, t.dbV4, EXCLUDED_PORT)).toBe(`db ${t.dbV4} ${EXCLUDED_PORT}`);
    expect(await dial(t.pod, AGENT, t.dbV6, EXCLUDED_PORT)).toBe(`db ${t.dbV6} ${EXCLUDED_PORT}`);
  });

  test('an excluded CIDR goes straight to the database host; its neighbours do not', async () => {
    expect(await dial(t.pod, AGENT, t.dbV4Excluded, DB_PORT)).toBe(`db ${t.dbV4Excluded} ${DB_PORT}`);
    expect(await dial(t.pod, AGENT, t.dbV6Excluded, DB_PORT)).toBe(`db ${t.dbV6Excluded} ${DB_PORT}`);
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
  });

  test('loopback destinations stay in the pod, IPv4 and IPv6', async () => {
    expect(await dial(t.pod, AGENT, '127.0.0.1', POD_LOCAL_PORT)).toBe(
      `pod-local 127.0.0.1 ${POD_LOCAL_PORT}`,
    );
    expect(await dial(t.pod, AGENT, '::1', POD_LOCAL_PORT)).toBe(`pod-local ::1 ${POD_LOCAL_PORT}`);
  });

  test("the pod's own non-loopback address travels over lo but is still redirected", async () => {
    expect(await dial(t.pod, AGENT, t.podV4, POD_LOCAL_PORT)).toBe(proxySaw(t.podV4, POD_LOCAL_PORT, 'IPv4'));
    expect(await dial(t.pod, AGENT, t.podV6, POD_LOCAL_PORT)).toBe(proxySaw(t.podV6, POD_LOCAL_PORT, 'IPv6'));
  });

  test("the sidecar's admin port is reached over the pod's own address unredirected; a remote one is not", async () => {
    expect(await dial(t.pod, AGENT, t.podV4, ADMIN_PORT)).toBe(`pod-local ${t.podV4} ${ADMIN_PORT}`);
    expect(await dial(t.pod, AGENT, t.podV6, ADMIN_PORT)).toBe(`pod-local ${t.podV6} ${ADMIN_PORT}`);
    expect(await dial(t.pod, AGENT, t.dbV4, ADMIN_PORT)).toBe(proxySaw(t.dbV4, ADMIN_PORT, 'IPv4'));
  });

  test('a connection straight to the proxy port is refused as not redirected', async () => {
    expect(await dial(t.pod, PROXY, '127.0.0.1', PROXY_PORT)).toBe(
      'proxy-error AG_ERR_INTERCEPT_NOT_REDIRECTED',
    );
  });

  test('a dual-stack listener gets IPv4 connections IPv4-mapped and still reads their IPv4 destination', async () => {
    await startProxy('dual');
    try {
      expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
      expect(await dial(t.pod, AGENT, t.dbV6, DB_PORT)).toBe(proxySaw(t.dbV6, DB_PORT, 'IPv6'));
    } finally {
      await startProxy('split');
    }
  });

  test('rerunning the rules replaces them: iptables-save shows each rule once', async () => {
    const before4 = await ourSavedRules(t.pod, 'iptables-nft-save');
    const before6 = await ourSavedRules(t.pod, 'ip6tables-nft-save');
    await agentgate(t, ...installArgs(t));
    await agentgate(t, ...installArgs(t));
    const after4 = await ourSavedRules(t.pod, 'iptables-nft-save');
    const after6 = await ourSavedRules(t.pod, 'ip6tables-nft-save');
    expect(after4).toEqual(before4);
    expect(after6).toEqual(before6);
    const rules = after4.filter((l) => l.startsWith('-A '));
    expect(new Set(rules).size).toBe(rules.length);
    expect(rules.filter((l) => l.startsWith('-A OUTPUT '))).toHaveLength(1);
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
  });

  test('a rerun with other exclusions replaces the old ones', async () => {
    await agentgate(t, ...installArgs(t), `--exclude-ports=${DB_PORT}`);
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
    await agentgate(t, ...installArgs(t));
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
    const ports = (await ourSavedRules(t.pod, 'iptables-nft-save')).filter((l) => l.includes('exclude-port'));
    expect(ports).toEqual([
      `-A AGENTGATE_OUTPUT -p tcp -m tcp --dport ${EXCLUDED_PORT} -m comment --comment "agentgate/exclude-port" -j RETURN`,
    ]);
  });

  test('--dry-run prints the rules and changes nothing', async () => {
    const before = await inNs(t.pod, 'iptables-nft-save', ['-t', 'nat']);
    const out = await agentgate(t, ...installArgs(t), '--dry-run', '--exclude-ports=9999');
    expect(out).toContain(
      '-A AGENTGATE_OUTPUT -p tcp -m tcp --dport 9999 -m comment --comment "agentgate/exclude-port" -j RETURN',
    );
    expect(out).toContain('# IPv6: ip6tables-nft-restore --noflush');
    const strip = (s: string) =>
      s
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
    expect(strip(await inNs(t.pod, 'iptables-nft-save', ['-t', 'nat']))).toBe(strip(before));
  });

  test("cleanup removes only our chains and rules, and the agent's traffic flows directly again", async () => {
    await inNs(t.pod, 'iptables-nft', ['-t', 'nat', '-N', 'OTHER_TOOL']);
    await inNs(t.pod, 'iptables-nft', words('-t nat -A OTHER_TOOL -p tcp --dport 9 -j RETURN'));
    await inNs(t.pod, 'iptables-nft', words('-t nat -A OUTPUT -p udp -j OTHER_TOOL'));
    await agentgate(t, '--cleanup');
    for (const save of ['iptables-nft-save', 'ip6tables-nft-save']) {
      expect(await ourSavedRules(t.pod, save)).toEqual([]);
    }
    const left = await inNs(t.pod, 'iptables-nft-save', ['-t', 'nat']);
    expect(left).toContain(':OTHER_TOOL - [0:0]');
    expect(left).toContain('-A OUTPUT -p udp -j OTHER_TOOL');
    expect(left).toContain('-A OTHER_TOOL -p tcp -m tcp --dport 9 -j RETURN');
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
    // A second cleanup finds nothing of ours and succeeds.
    await agentgate(t, '--cleanup');
    await inNs(t.pod, 'iptables-nft', words('-t nat -D OUTPUT -p udp -j OTHER_TOOL'));
    await inNs(t.pod, 'iptables-nft', ['-t', 'nat', '-F', 'OTHER_TOOL']);
    await inNs(t.pod, 'iptables-nft', ['-t', 'nat', '-X', 'OTHER_TOOL']);
  });

  test('a rerun over a stale chain and a duplicated jump leaves exactly the planned rules', async () => {
    // What an older, crashed or hand-edited install may leave behind (see the .save file's comment).
    const stale = readFileSync(`${ROOT}sidecar/intercept/testdata/stale-and-duplicated.save`, 'utf8');
    await inNs(t.pod, 'iptables-nft-restore', ['--noflush'], stale);
    await agentgate(t, ...installArgs(t), '--ipv6=off');
    const rules = await ourSavedRules(t.pod, 'iptables-nft-save');
    expect(rules.some((l) => l.includes('AGENTGATE_INBOUND'))).toBe(false);
    expect(rules.filter((l) => l.startsWith('-A OUTPUT '))).toEqual([
      '-A OUTPUT -p tcp -m comment --comment "agentgate/output" -j AGENTGATE_OUTPUT',
    ]);
    expect(rules.filter((l) => l.startsWith('-A ') && !/--comment "agentgate\//.test(l))).toEqual([]);
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
    await agentgate(t, '--cleanup');
  });

  test('auto-detection follows the legacy backend when that is where the rules are', async () => {
    // A node whose tools use iptables-legacy leaves legacy rules in the pod; ours must join them.
    await inNs(t.pod, 'iptables-legacy', words('-t nat -A POSTROUTING -p tcp --dport 9 -j RETURN'));
    try {
      await agentgate(t, ...installArgs(t));
      expect((await ourSavedRules(t.pod, 'iptables-legacy-save')).length).toBeGreaterThan(0);
      expect(await ourSavedRules(t.pod, 'iptables-nft-save')).toEqual([]);
      expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(proxySaw(t.dbV4, DB_PORT, 'IPv4'));
      expect(await dial(t.pod, AGENT, t.dbV6, DB_PORT)).toBe(proxySaw(t.dbV6, DB_PORT, 'IPv6'));
      expect(await dial(t.pod, PROXY, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
      await agentgate(t, ...installArgs(t));
      const rules = (await ourSavedRules(t.pod, 'iptables-legacy-save')).filter((l) => l.startsWith('-A '));
      expect(new Set(rules).size).toBe(rules.length);
    } finally {
      await agentgate(t, '--cleanup');
      await inNs(t.pod, 'iptables-legacy', words('-t nat -D POSTROUTING -p tcp --dport 9 -j RETURN'));
    }
    expect(await ourSavedRules(t.pod, 'iptables-legacy-save')).toEqual([]);
    expect(await dial(t.pod, AGENT, t.dbV4, DB_PORT)).toBe(`db ${t.dbV4} ${DB_PORT}`);
  });
});
