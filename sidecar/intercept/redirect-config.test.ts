import { AgentgateError } from '../../common/errors.js';
import { parseCidrList, parsePortList, redirectConfig } from './redirect-config.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AgentgateError && err.code === 'AG_ERR_CLI_USAGE') return err.message;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('redirectConfig', () => {
  test('fills the defaults: proxy port 15001, admin port 15020, GID from the UID', () => {
    expect(redirectConfig({ proxyUid: '1337' })).toEqual({
      proxyPort: 15001,
      proxyUid: 1337,
      proxyGid: 1337,
      adminPort: 15020,
      excludePorts: [],
      excludeCidrs: [],
    });
  });

  test('admin port 0 turns the admin exemption off', () => {
    expect(redirectConfig({ proxyUid: '1337', adminPort: '0' }).adminPort).toBeUndefined();
  });

  test('refuses root as the proxy identity, since every root process would bypass the gate', () => {
    expect(usageError(() => redirectConfig({ proxyUid: '0' }))).toContain('root');
    expect(usageError(() => redirectConfig({ proxyUid: '1337', proxyGid: '0' }))).toContain('root');
  });

  test('refuses excluding the proxy port itself', () => {
    expect(usageError(() => redirectConfig({ proxyUid: '1337', excludePorts: ['15000-15010'] }))).toContain(
      'proxy port 15001',
    );
  });

  test('names the bad value instead of dropping it', () => {
    expect(usageError(() => redirectConfig({ proxyUid: 'sidecar' }))).toContain("'sidecar'");
    expect(usageError(() => redirectConfig({ proxyUid: '1337', proxyPort: '70000' }))).toContain("'70000'");
    expect(usageError(() => redirectConfig({ proxyUid: '1337', excludePorts: ['5432,abc'] }))).toContain(
      "'abc'",
    );
    expect(usageError(() => redirectConfig({ proxyUid: '1337', excludeCidrs: ['10.0.0.0/40'] }))).toContain(
      "'10.0.0.0/40'",
    );
  });
});

describe('exclusion lists', () => {
  test('ports: comma lists and repeated flags, ranges with - or :, duplicates folded', () => {
    expect(parsePortList('exclude-ports', ['5432, 6379', '8000-8100', '8000:8100', '5432', ''])).toEqual([
      { from: 5432, to: 5432 },
      { from: 6379, to: 6379 },
      { from: 8000, to: 8100 },
    ]);
  });

  test('ports: a backwards range is an error', () => {
    expect(usageError(() => parsePortList('exclude-ports', ['9000-8000']))).toContain('backwards');
  });

  test('CIDRs: IPv4 and IPv6 mixed, normalized, duplicates folded', () => {
    expect(parseCidrList('exclude-cidrs', ['10.1.2.3/8,10.0.0.0/8', 'FD00::1/8', '169.254.169.254'])).toEqual(
      [
        { family: 4, text: '10.0.0.0/8' },
        { family: 6, text: 'fd00::/8' },
        { family: 4, text: '169.254.169.254/32' },
      ],
    );
  });
});
