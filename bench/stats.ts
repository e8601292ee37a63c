// Small timing helpers shared by the micro-benchmarks.

/** Runs fn `iterations` times in `batches` and returns the median per-call time in nanoseconds. */
export function medianNs(fn: () => void, iterations = 20_000, batches = 25): number {
  for (let i = 0; i < Math.min(iterations, 2_000); i++) fn(); // warm up the JIT
  const per: number[] = [];
  const n = Math.max(1, Math.floor(iterations / batches));
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)]!;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A distribution-free interval for the median of the population the sample
 * came from: the order statistics k and n + 1 - k, with k the largest for which
 * the binomial tail P(X < k), X ~ B(n, 1/2), stays within (1 - confidence) / 2.
 * Its coverage is at least `confidence`; undefined when the sample is too small
 * for any such k (fewer than six values at 95 %).
 */
export function medianInterval(
  xs: readonly number[],
  confidence = 0.95,
): { lo: number; hi: number; coverage: number } | undefined {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const alpha = (1 - confidence) / 2;
  // p = P(X = j), tail = P(X <= j); below = P(X <= k - 1), the mass outside each end.
  let p = 0.5 ** n;
  let tail = 0;
  let below = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    tail += p;
    if (tail > alpha) break;
    k = j + 1;
    below = tail;
    p = (p * (n - j)) / (j + 1);
  }
  if (k === 0) return undefined;
  return { lo: s[k - 1]!, hi: s[n - k]!, coverage: 1 - 2 * below };
}

/**
 * What an interval says about a lower bound a goal sets: met when all of it
 * lies at or above the bound, not met when all of it lies below, otherwise the
 * run cannot tell (a median alone would pretend it can).
 */
export function verdict(ci: { lo: number; hi: number } | undefined, atLeast: number): string {
  if (ci === undefined) return 'too few runs to tell';
  if (ci.lo >= atLeast) return 'met';
  if (ci.hi < atLeast) return 'not met';
  return 'cannot tell from this run';
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
