import { AgentgateError } from '../common/errors.js';
import { planInstall } from '../sidecar/intercept/iptables-plan.js';
import { EMPTY_NAT } from '../sidecar/intercept/iptables-save.js';
import { redirectConfig } from '../sidecar/intercept/redirect-config.js';
import { RecordingHost } from '../test/intercept/recording-host.js';
import { FLAGS, run } from './iptables.js';

function capture(env: NodeJS.ProcessEnv = {}, host = new RecordingHost({})) {
  let out = '';
  let err = '';
  const io = {
    env,
    host,
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
  };
  return { io, host, out: () => out, err: () => err };
}

async function usage(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const c = capture(env);
  const e = await run(argv, c.io).catch((x: unknown) => x);
  if (e instanceof AgentgateError && e.code === 'AG_ERR_CLI_USAGE') return e.message;
  throw new Error(`expected a usage error, got ${String(e)}`);
}

describe('agentgate iptables', () => {
  test('--dry-run prints the plan and runs no restore', async () => {
    const c = capture(
      {},
      new RecordingHost({ 'iptables-nft-save': { stdout: '*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' } }),
    );
    expect(await run(['--proxy-uid=1337', '--exclude-ports', '5432', '--ipv6=off', '--dry-run'], c.io)).toBe(
      0,
    );
    const plan = planInstall(
      redirectConfig({ proxyUid: '1337', excludePorts: ['5432'] }),
      4,
      EMPTY_NAT,
    ).restore;
    expect(c.out()).toContain(`# IPv4: iptables-nft-restore --noflush\n${plan}`);
    expect(c.host.calls.some((x) => x.command.endsWith('-restore'))).toBe(false);
  });

  test('every flag also reads AGENTGATE_<FLAG>, lists split on commas', async () => {
    const c = capture(
      {
        AGENTGATE_PROXY_UID: '2102',
        AGENTGATE_PROXY_PORT: '16001',
        AGENTGATE_EXCLUDE_CIDRS: '10.0.0.0/8, 192.168.0.0/16',
        AGENTGATE_IPV6: 'off',
        AGENTGATE_BACKEND: 'legacy',
        AGENTGATE_DRY_RUN: 'true',
      },
      new RecordingHost({}),
    );
    expect(await run([], c.io)).toBe(0);
    expect(c.out()).toContain('# backend legacy (--backend)');
    expect(c.out()).toContain('--uid-owner 2102 ');
    expect(c.out()).toContain('--to-ports 16001');
    expect(c.out()).toContain('-d 192.168.0.0/16 ');
  });

  test('a flag on the command line wins over its environment variable', async () => {
    const c = capture({ AGENTGATE_PROXY_UID: '2102' });
    await run(['--proxy-uid=3000', '--ipv6=off', '--dry-run'], c.io);
    expect(c.out()).toContain('--uid-owner 3000 ');
  });

  test('usage errors name the problem', async () => {
    expect(await usage(['--dry-run'])).toContain('--proxy-uid is required (or AGENTGATE_PROXY_UID)');
    expect(await usage(['--proxy-uid=1337', '--ipv6=maybe'])).toContain(
      '--ipv6 must be one of auto, on, off',
    );
    expect(await usage(['--proxy-uid=1337', '--backend=iptables'])).toContain(
      '--backend must be one of auto, nft, legacy',
    );
    expect(await usage(['--cleanup', '--dry-run'])).toContain('do not combine');
    expect(await usage(['--proxy-uid=1337', 'extra'])).toContain("unexpected argument 'extra'");
    expect(await usage(['--proxy-uid=1337', '--no-such-flag'])).toContain("Unknown option '--no-such-flag'");
  });

  test('--help documents every flag with its environment variable', async () => {
    const c = capture();
    expect(await run(['--help'], c.io)).toBe(0);
    for (const f of FLAGS) {
      expect(c.out()).toContain(`--${f.name}`);
      expect(c.out()).toContain(`AGENTGATE_${f.name.toUpperCase().replace(/-/g, '_')}`);
    }
  });
});
