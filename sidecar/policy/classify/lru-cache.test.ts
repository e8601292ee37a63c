import { describe, expect, it } from '@jest/globals';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('never holds more entries than its bound', () => {
    const c = new LruCache<number>(100, 1_000_000);
    for (let i = 0; i < 1000; i++) c.set(`k${i}`, i);
    expect(c.size).toBeLessThanOrEqual(100);
    expect(c.get('k999')).toBe(999);
    expect(c.get('k0')).toBeUndefined();
  });

  it('keeps an entry that is used while others stream past', () => {
    const c = new LruCache<number>(100, 1_000_000);
    c.set('hot', 1);
    for (let i = 0; i < 1000; i++) {
      c.set(`k${i}`, i);
      expect(c.get('hot')).toBe(1);
    }
  });

  it('bounds the characters of its keys', () => {
    const c = new LruCache<number>(1000, 1000);
    for (let i = 0; i < 100; i++) c.set(`${'x'.repeat(90)}${i}`, i);
    expect(c.size).toBeLessThanOrEqual(12);
  });

  it('does not cache a key larger than a tenth of the character budget', () => {
    const c = new LruCache<number>(1000, 1000);
    c.set('y'.repeat(101), 1);
    expect(c.get('y'.repeat(101))).toBeUndefined();
  });
});
