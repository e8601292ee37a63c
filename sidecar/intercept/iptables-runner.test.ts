// The runner against a recording host: which commands run, in which order,
// with which input, and what happens when the system answers badly. The real
// commands run in test/intercept/redirect.test.ts.

import { AgentgateError } from '../../common/errors.js';
import { type Answer, type Call, RecordingHost } from '../../test/intercept/recording-host.js';
import { planInstall } from './iptables-plan.js';
import { hasIPv6, installRedirect, prepareInstall, removeRedirect, renderPlans } from './iptables-runner.js';
import { EMPTY_NAT } from './iptables-save.js';
import { redirectConfig } from './redirect-config.js';

const config = redirectConfig({ proxyUid: '1337', excludePorts: ['5432'] });
const IF_INET6_WITH_ETH0 = [
  '00000000000000000000000000000001 01 80 10 80       lo',
  'fd000200000000000000000000000001 02 40 00 80     eth0',
].join('\n');

/** A save that returns, after restore, exactly what the kernel would: the plan's rules. */
function kernelLike(): Record<string, Answer> {
  const tables: Record<string, string> = {};
  const saveAfter = (family: 4 | 6) => (call: Call) => {
    if (call.args.length === 0) return { stdout: '' }; // backend probe
    return { stdout: tables[family] ?? '*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' };
  };
  const restore = (family: 4 | 6) => (call: Call) => {
    const plan = planInstall(config, family, EMPTY_NAT);
    const lines = plan.rules.map(
      (r) => `-A ${r.chain} ${r.match} -m comment --comment "agentgate/${r.purpose}" -j ${r.target}`,
    );
    tables[family] = `*nat\n${lines.join('\n')}\nCOMMIT\n`;
    expect(call.input).toBe(plan.restore);
    return {};
  };
  return {
    'iptables-nft-save': saveAfter(4),
    'ip6tables-nft-save': saveAfter(6),
    'iptables-nft-restore': restore(4),
    'ip6tables-nft-restore': restore(6),
    'iptables-legacy-save': { stdout: '' },
    'ip6tables-legacy-save': { stdout: '' },
  };
}

describe('installRedirect', () => {
  test('probes both backends, then per family: read, restore the plan, read back', async () => {
    const host = new RecordingHost(kernelLike(), { '/proc/net/if_inet6': IF_INET6_WITH_ETH0 });
    const applied = await installRedirect(config, { ipv6: 'auto', backend: 'auto' }, host);
    expect(applied.backend).toBe('nft');
    expect(applied.plans.map((p) => p.family)).toEqual([4, 6]);
    expect(host.commands()).toEqual([
      'iptables-nft-save',
      'ip6tables-nft-save',
      'iptables-legacy-save',
      'ip6tables-legacy-save',
      'iptables-nft-save -t nat',
      'ip6tables-nft-save -t nat',
      'iptables-nft-restore --noflush',
      'iptables-nft-save -t nat',
      'ip6tables-nft-restore --noflush',
      'ip6tables-nft-save -t nat',
    ]);
  });

  test('IPv6 auto stays off when the pod has only loopback IPv6', async () => {
    const host = new RecordingHost(kernelLike(), {
      '/proc/net/if_inet6': '00000000000000000000000000000001 01 80 10 80       lo\n',
    });
    const applied = await installRedirect(config, { ipv6: 'auto', backend: 'nft' }, host);
    expect(applied.plans.map((p) => p.family)).toEqual([4]);
    expect(host.commands().some((c) => c.startsWith('ip6tables'))).toBe(false);
  });

  test('fails with the command and its message when restore fails, and reads nothing back', async () => {
    const answers = kernelLike();
    answers['iptables-nft-restore'] = {
      code: 2,
      stderr: "iptables-restore v1.8.9 (nf_tables): Couldn't load match `owner'",
    };
    const host = new RecordingHost(answers);
    const err = await installRedirect(config, { ipv6: 'off', backend: 'nft' }, host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentgateError);
    expect((err as AgentgateError).code).toBe('AG_ERR_IPTABLES_FAILED');
    expect((err as Error).message).toContain(
      "iptables-nft-restore exited 2: iptables-restore v1.8.9 (nf_tables): Couldn't load match `owner'",
    );
    expect(host.commands().at(-1)).toBe('iptables-nft-restore --noflush');
  });

  test('fails when the rules read back differ from the plan (a rule missing or doubled)', async () => {
    const answers = kernelLike();
    answers['iptables-nft-save'] = (call) =>
      call.args.length === 0
        ? {}
        : {
            stdout:
              '*nat\n-A OUTPUT -p tcp -m comment --comment "agentgate/output" -j AGENTGATE_OUTPUT\nCOMMIT\n',
          };
    answers['iptables-nft-restore'] = {};
    const host = new RecordingHost(answers);
    const err = await installRedirect(config, { ipv6: 'off', backend: 'nft' }, host).catch((e: unknown) => e);
    expect((err as AgentgateError).code).toBe('AG_ERR_IPTABLES_FAILED');
    expect((err as Error).message).toContain('agentgate/redirect: 0 rules, expected 1');
  });

  test('says what to install when iptables is missing', async () => {
    const err = await installRedirect(config, { ipv6: 'off', backend: 'nft' }, new RecordingHost({})).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain('iptables-nft-save not found');
  });
});

describe('dry run', () => {
  test('plans for an empty table when the current one cannot be read, and says so', async () => {
    const host = new RecordingHost({
      'iptables-nft-save': {
        code: 4,
        stderr: 'iptables-nft-save v1.8.9 (nf_tables): Permission denied (you must be root)\n',
      },
    });
    const prepared = await prepareInstall(config, { ipv6: 'off', backend: 'auto' }, host, true);
    const text = renderPlans(prepared);
    expect(text).toContain('# backend nft (auto: nft 0 rules, legacy not installed)');
    expect(text).toContain(
      '# IPv4: current rules unreadable (iptables-nft-save: iptables-nft-save v1.8.9 (nf_tables): Permission denied',
    );
    expect(text).toContain(
      `# IPv4: iptables-nft-restore --noflush\n${planInstall(config, 4, EMPTY_NAT).restore}`,
    );
    expect(host.calls.some((c) => c.command.endsWith('-restore'))).toBe(false);
  });
});

describe('removeRedirect', () => {
  test('cleans each backend that has our rules and skips the others', async () => {
    const ours =
      '*nat\n:AGENTGATE_OUTPUT - [0:0]\n-A OUTPUT -p tcp -m comment --comment "agentgate/output" -j AGENTGATE_OUTPUT\nCOMMIT\n';
    let cleaned = false;
    const host = new RecordingHost({
      'iptables-legacy-save': () => ({ stdout: cleaned ? '*nat\nCOMMIT\n' : ours }),
      'iptables-legacy-restore': (call) => {
        expect(call.input).toBe(
          '*nat\n-D OUTPUT -p tcp -m comment --comment "agentgate/output" -j AGENTGATE_OUTPUT\n-F AGENTGATE_OUTPUT\n-X AGENTGATE_OUTPUT\nCOMMIT\n',
        );
        cleaned = true;
        return {};
      },
      'iptables-nft-save': { stdout: '*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' },
      'ip6tables-nft-save': { code: 3, stderr: "can't initialize ip6tables table `nat'" },
    });
    const removed = await removeRedirect({ ipv6: 'auto', backend: 'auto' }, host);
    expect(removed.map((r) => r.backend)).toEqual(['legacy']);
    expect(host.commands().filter((c) => c.includes('restore'))).toEqual([
      'iptables-legacy-restore --noflush --wait=30',
    ]);
  });
});

describe('hasIPv6', () => {
  test('any non-loopback interface with an IPv6 address counts, link-local included', () => {
    expect(hasIPv6(IF_INET6_WITH_ETH0)).toBe(true);
    expect(hasIPv6('fe800000000000000000000000000001 02 40 20 80     eth0\n')).toBe(true);
    expect(hasIPv6('00000000000000000000000000000001 01 80 10 80       lo\n')).toBe(false);
    expect(hasIPv6('')).toBe(false);
    expect(hasIPv6(null)).toBe(false);
  });
});
