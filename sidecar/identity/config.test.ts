import { describe, expect, test } from '@jest/globals';
import { claimPath, isLoopbackHost, resolveConfig } from './config.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'accepted';
};

describe('resolveConfig', () => {
  test('fills defaults per issuer and lets an issuer override the verifier-wide values', () => {
    const c = resolveConfig({
      issuers: [
        'https://idp.example.com',
        { issuer: 'https://k8s.example', audiences: ['sa'], groupsClaim: 'g' },
      ],
      audiences: ['agentgate'],
    });
    expect(c.issuers[0]).toMatchObject({
      audiences: ['agentgate'],
      groupsPath: ['groups'],
      subjectPath: ['sub'],
    });
    expect(c.issuers[1]).toMatchObject({ audiences: ['sa'], groupsPath: ['g'] });
    expect(c.issuers[0]?.algorithms).not.toContain('HS256');
    expect(c.clockSkewSeconds).toBe(30);
  });

  test('refuses symmetric and none algorithms', () => {
    for (const alg of ['HS256', 'none', 'HS512']) {
      expect(code(() => resolveConfig({ issuers: ['https://i'], audiences: ['a'], algorithms: [alg] }))).toBe(
        'AG_ERR_CONFIG_INVALID',
      );
    }
  });

  test('refuses an issuer without audience, twice configured, or not a URL', () => {
    expect(code(() => resolveConfig({ issuers: ['https://i'] }))).toBe('AG_ERR_CONFIG_INVALID');
    expect(code(() => resolveConfig({ issuers: ['https://i', 'https://i'], audiences: ['a'] }))).toBe(
      'AG_ERR_CONFIG_INVALID',
    );
    expect(code(() => resolveConfig({ issuers: ['not a url'], audiences: ['a'] }))).toBe(
      'AG_ERR_CONFIG_INVALID',
    );
    expect(code(() => resolveConfig({ issuers: [], audiences: ['a'] }))).toBe('AG_ERR_CONFIG_INVALID');
  });

  test('accepts plain http only on loopback unless the insecure flag is set', () => {
    expect(code(() => resolveConfig({ issuers: ['http://127.0.0.1:8080'], audiences: ['a'] }))).toBe(
      'accepted',
    );
    expect(code(() => resolveConfig({ issuers: ['http://localhost:8080'], audiences: ['a'] }))).toBe(
      'accepted',
    );
    expect(code(() => resolveConfig({ issuers: ['http://dex.auth.svc:5556'], audiences: ['a'] }))).toBe(
      'AG_ERR_CONFIG_INVALID',
    );
    expect(
      code(() =>
        resolveConfig({ issuers: ['http://dex.auth.svc:5556'], audiences: ['a'], insecureHttp: true }),
      ),
    ).toBe('accepted');
    expect(code(() => resolveConfig({ issuers: ['ftp://x'], audiences: ['a'] }))).toBe(
      'AG_ERR_CONFIG_INVALID',
    );
  });
});

test('claimPath splits on dots and keeps escaped dots inside a name', () => {
  expect(claimPath('groups')).toEqual(['groups']);
  expect(claimPath('realm_access.roles')).toEqual(['realm_access', 'roles']);
  expect(claimPath('https://example\\.com/groups')).toEqual(['https://example.com/groups']);
  expect(() => claimPath('a..b')).toThrow('empty part');
});

test('isLoopbackHost knows the loopback names and nothing else', () => {
  expect(['127.0.0.1', '127.1.2.3', 'localhost', '[::1]'].map(isLoopbackHost)).toEqual([
    true,
    true,
    true,
    true,
  ]);
  expect(['10.0.0.1', 'localhost.evil.com', '127.0.0.1.nip.io'].map(isLoopbackHost)).toEqual([
    false,
    false,
    false,
  ]);
});
