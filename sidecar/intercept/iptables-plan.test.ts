// Golden files pin the exact iptables-restore text for each scenario.
// UPDATE_GOLDEN=1 rewrites them; review the diff like code.

import { readFileSync, writeFileSync } from 'node:fs';
import { type Family, planCleanup, planInstall, plannedRules, ruleLine } from './iptables-plan.js';
import { EMPTY_NAT, type NatState, parseNatSave } from './iptables-save.js';
import { type RedirectInput, redirectConfig } from './redirect-config.js';

const testdata = (name: string) => new URL(`./testdata/${name}`, import.meta.url);
const saved = (name: string): NatState => parseNatSave(readFileSync(testdata(name), 'utf8'));

function golden(name: string, actual: string): void {
  const file = testdata(`${name}.golden`);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function both(make: (family: Family) => string): string {
  return `# IPv4\n${make(4)}# IPv6\n${make(6)}`;
}

const BASE: RedirectInput = { proxyUid: '1337' };

const INSTALL_CASES: [string, RedirectInput, string | undefined][] = [
  ['install-defaults', BASE, undefined],
  [
    'install-exclusions',
    {
      ...BASE,
      excludePorts: ['5432,6379', '8000-8100'],
      excludeCidrs: ['10.96.0.0/12,169.254.169.254', 'fd00:10:96::/112'],
    },
    undefined,
  ],
  [
    'install-custom-ids-no-admin',
    { proxyUid: '2102', proxyGid: '2103', proxyPort: '16001', adminPort: '0' },
    undefined,
  ],
  ['install-over-existing', BASE, 'installed-with-others.save'],
  ['install-over-stale', BASE, 'stale-and-duplicated.save'],
];

describe('planInstall golden rule text', () => {
  test.each(INSTALL_CASES)('%s', (name, input, state) => {
    const config = redirectConfig(input);
    const current = state === undefined ? EMPTY_NAT : saved(state);
    golden(
      name,
      both((family) => planInstall(config, family, current).restore),
    );
  });
});

describe('planCleanup golden rule text', () => {
  test('removes our jumps, then flushes and deletes our chains; other tools stay', () => {
    golden(
      'cleanup-existing',
      both(
        (family) =>
          planCleanup(
            family,
            saved(family === 4 ? 'installed-with-others.save' : 'stale-and-duplicated.save'),
          ).restore,
      ),
    );
  });

  test('has nothing to do on a table without our rules', () => {
    expect(planCleanup(4, EMPTY_NAT).restore).toBe('');
    expect(
      planCleanup(4, parseNatSave('*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p udp -j RETURN\nCOMMIT\n'))
        .restore,
    ).toBe('');
  });
});

describe('planned rules', () => {
  const config = redirectConfig({
    ...BASE,
    excludePorts: ['5432'],
    excludeCidrs: ['10.0.0.0/8', 'fd00::/8'],
  });

  test('every rule carries an agentgate/<purpose> tag', () => {
    for (const family of [4, 6] as const) {
      for (const rule of plannedRules(config, family)) {
        expect(ruleLine(rule)).toMatch(/ -m comment --comment "agentgate\/[a-z-]+" -j /);
      }
    }
  });

  test('each family gets only its own CIDRs and its own loopback', () => {
    const v4 = plannedRules(config, 4).map(ruleLine).join('\n');
    const v6 = plannedRules(config, 6).map(ruleLine).join('\n');
    expect(v4).toContain('-d 10.0.0.0/8 ');
    expect(v4).toContain('-d 127.0.0.0/8 ');
    expect(v4).not.toContain('fd00::/8');
    expect(v6).toContain('-d fd00::/8 ');
    expect(v6).toContain('-d ::1/128 ');
    expect(v6).not.toContain('10.0.0.0/8');
  });

  test('the last rule of our output chain redirects; every exemption before it returns', () => {
    const out = plannedRules(config, 4).filter((r) => r.chain === 'AGENTGATE_OUTPUT');
    expect(out.at(-1)?.target).toBe('AGENTGATE_REDIRECT');
    expect(out.slice(0, -1).every((r) => r.target === 'RETURN')).toBe(true);
  });

  test('a rerun plan over its own result is the same plan plus deleting the old jump', () => {
    const first = planInstall(config, 4, EMPTY_NAT).restore;
    const installed = parseNatSave(
      `*nat\n:OUTPUT ACCEPT [0:0]\n:AGENTGATE_OUTPUT - [0:0]\n:AGENTGATE_REDIRECT - [0:0]\n${plannedRules(
        config,
        4,
      )
        .map(ruleLine)
        .join('\n')}\nCOMMIT\n`,
    );
    const second = planInstall(config, 4, installed).restore;
    expect(second).toBe(
      first.replace(
        ':AGENTGATE_REDIRECT - [0:0]\n',
        ':AGENTGATE_REDIRECT - [0:0]\n-D OUTPUT -p tcp -m comment --comment "agentgate/output" -j AGENTGATE_OUTPUT\n',
      ),
    );
  });
});
