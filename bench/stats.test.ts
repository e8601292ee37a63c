import { median, medianInterval, verdict } from './stats.js';

describe('bench statistics', () => {
  test('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test('the median interval is the order statistics a binomial table gives, with their coverage', () => {
    const xs = [12, 3, 7, 1, 9, 5, 11, 2, 8, 10, 4, 6];
    // n = 12: P(X <= 2) = 79/4096 < 0.025 < P(X <= 3): the 3rd and 10th values, coverage 1 - 2 * 79/4096.
    const ci = medianInterval(xs)!;
    expect([ci.lo, ci.hi]).toEqual([3, 10]);
    expect(ci.coverage).toBeCloseTo(1 - (2 * 79) / 4096, 10);
    // n = 6: only the extremes, P(X = 0) = 1/64.
    expect(medianInterval([6, 5, 4, 3, 2, 1])).toMatchObject({ lo: 1, hi: 6 });
    // n = 5: even the extremes cover less than 95 % (1 - 2/32).
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(medianInterval([1, 2, 3, 4, 5], 0.9)).toMatchObject({ lo: 1, hi: 5 });
  });

  test('a goal is met or missed only when the whole interval says so', () => {
    expect(verdict({ lo: 0.95, hi: 1.02 }, 0.95)).toBe('met');
    expect(verdict({ lo: 0.85, hi: 0.949 }, 0.95)).toBe('not met');
    expect(verdict({ lo: 0.9, hi: 1.03 }, 0.95)).toBe('cannot tell from this run');
    expect(verdict(undefined, 0.95)).toBe('too few runs to tell');
  });
});
