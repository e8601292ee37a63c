import { expect, test } from '@jest/globals';
import { claimAt, readUnverified } from './token-parts.js';

const seg = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

test('reads alg, kid and iss without verifying', () => {
  const t = readUnverified(`${seg({ alg: 'RS256', kid: 'k' })}.${seg({ iss: 'https://i' })}.c2ln`, 1000);
  expect([t.alg, t.kid, t.iss]).toEqual(['RS256', 'k', 'https://i']);
});

test('refuses a token over the size limit before decoding it', () => {
  expect(() => readUnverified('a'.repeat(101), 100)).toThrow('exceeds the limit of 100');
});

test('refuses a non-string kid', () => {
  expect(() => readUnverified(`${seg({ alg: 'RS256', kid: 7 })}.${seg({ iss: 'i' })}.x`, 1000)).toThrow(
    'kid',
  );
});

test('claimAt follows own properties only', () => {
  expect(claimAt({ a: { b: ['x'] } }, ['a', 'b'])).toEqual(['x']);
  expect(claimAt({ a: 'str' }, ['a', 'length'])).toBeUndefined();
  expect(claimAt({}, ['constructor'])).toBeUndefined();
});
