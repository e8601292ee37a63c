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

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
