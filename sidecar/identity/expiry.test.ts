import { expect, test } from '@jest/globals';
import { isExpired } from './expiry.js';
import { ANONYMOUS, type Identity } from './identity.js';

const id: Identity = { kind: 'token', subject: 's', groups: [], issuer: 'i', expiresAt: 1000 };

test('a session may run commands until expiry plus grace, not after', () => {
  expect(isExpired(id, 1000, 0)).toBe(false);
  expect(isExpired(id, 1001, 0)).toBe(true);
  expect(isExpired(id, 1030, 30)).toBe(false);
  expect(isExpired(id, 1031, 30)).toBe(true);
});

test('an identity without expiry never expires', () => {
  expect(isExpired(ANONYMOUS, Number.MAX_SAFE_INTEGER, 0)).toBe(false);
});
