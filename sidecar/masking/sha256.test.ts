import { createHash } from 'node:crypto';
import { sha256Small } from './sha256.js';

test('one-block SHA-256 matches node:crypto for every length from 0 to 55', () => {
  const out = new Uint8Array(32);
  for (let len = 0; len <= 55; len++) {
    const msg = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
    sha256Small(msg, out);
    expect(Buffer.from(out).toString('hex')).toBe(createHash('sha256').update(msg).digest('hex'));
  }
  expect(() => sha256Small(new Uint8Array(56), out)).toThrow(RangeError);
});
