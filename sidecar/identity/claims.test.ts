import { expect, test } from '@jest/globals';
import { identityFromClaims, MAX_GROUPS, workloadFromClaims } from './claims.js';
import { resolveConfig } from './config.js';

const issuer = (groupsClaim = 'groups', subjectClaim = 'sub') =>
  resolveConfig({ issuers: ['https://idp.example'], audiences: ['a'], groupsClaim, subjectClaim })
    .issuers[0]!;

test('reads groups from a nested claim path (Keycloak realm roles)', () => {
  const id = identityFromClaims(
    { sub: 'u', realm_access: { roles: ['reader', 'dba'] }, exp: 10, jti: 'j' },
    issuer('realm_access.roles'),
  );
  expect(id).toEqual({
    kind: 'token',
    subject: 'u',
    groups: ['reader', 'dba'],
    issuer: 'https://idp.example',
    tokenId: 'j',
    expiresAt: 10,
  });
});

test('a single string group is one group; a missing claim is no group', () => {
  expect(identityFromClaims({ sub: 'u', groups: 'ops' }, issuer()).groups).toEqual(['ops']);
  expect(identityFromClaims({ sub: 'u' }, issuer()).groups).toEqual([]);
});

test('refuses an overlong groups list rather than cutting it (a deny rule may name the dropped group)', () => {
  const groups = Array.from({ length: MAX_GROUPS + 1 }, (_, i) => `g${i}`);
  expect(() => identityFromClaims({ sub: 'u', groups }, issuer())).toThrow('more than');
});

test('uses the configured subject claim', () => {
  expect(identityFromClaims({ sub: 'x', email: 'a@b.c' }, issuer('groups', 'email')).subject).toBe('a@b.c');
  expect(() => identityFromClaims({ sub: 'x' }, issuer('groups', 'email'))).toThrow('subject');
});

test('reads namespace, service account and pod from a projected service-account token', () => {
  const w = workloadFromClaims({
    sub: 'system:serviceaccount:shop:agent',
    'kubernetes.io': {
      namespace: 'shop',
      serviceaccount: { name: 'agent', uid: 'u1' },
      pod: { name: 'agent-7f9', uid: 'u2' },
    },
  });
  expect(w).toEqual({ namespace: 'shop', serviceAccount: 'agent', podName: 'agent-7f9' });
});

test('falls back to the subject of a legacy service-account token and refuses anything else', () => {
  expect(workloadFromClaims({ sub: 'system:serviceaccount:ns:sa' })).toEqual({
    namespace: 'ns',
    serviceAccount: 'sa',
  });
  expect(() => workloadFromClaims({ sub: 'alice' })).toThrow('not a Kubernetes service-account token');
  expect(() =>
    workloadFromClaims({
      sub: 'system:serviceaccount:a:b',
      'kubernetes.io': { namespace: 'c', serviceaccount: { name: 'b' } },
    }),
  ).toThrow('disagrees');
});
