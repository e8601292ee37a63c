import { PolicyEngine } from '../sidecar/policy/engine.js';
import { type AdmissionDeps, admit } from './admission.js';
import { injectConfig } from './config.js';
import { GOLDEN_BASE_CONFIG, goldenCases, goldenPolicies } from './golden.js';
import { NO_EVENTS, NO_NAMESPACE_LOOKUP } from './sources.js';

const engine = PolicyEngine.compile(goldenPolicies());
const deps: AdmissionDeps = {
  config: injectConfig(GOLDEN_BASE_CONFIG),
  policies: { current: () => engine, close: async () => {} },
  namespaces: NO_NAMESPACE_LOOKUP,
  events: NO_EVENTS,
};

/** xorshift32: the same sequence every run, so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  '',
  'x',
  true,
  [],
  {},
  [null],
  { a: 1 },
  '\u0000',
  'a'.repeat(300),
];

/** Every path to a value inside `o` (objects and arrays), as key lists. */
function paths(
  o: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (o !== null && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      const p = [...prefix, Array.isArray(o) ? Number(k) : k];
      out.push(p);
      paths(v, p, out);
    }
  }
  return out;
}

describe('admit on malformed input', () => {
  it('never throws and always answers 200 or 400, whatever a field of a valid review is replaced with', () => {
    const next = rng(0xa9e17);
    const pods = goldenCases().map((c) => c.pod);
    const seen = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const pod = structuredClone(pods[i % pods.length]!);
      const review: Record<string, unknown> = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: `u${i}`,
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          namespace: 'agents',
          operation: 'CREATE',
          object: pod,
        },
      };
      const all = paths(review);
      for (let k = 0; k < 1 + Math.floor(next() * 3); k++) {
        const path = all[Math.floor(next() * all.length)]!;
        let parent: unknown = review;
        for (const key of path.slice(0, -1)) {
          parent =
            parent !== null && typeof parent === 'object'
              ? (parent as Record<string | number, unknown>)[key]
              : undefined;
        }
        if (parent === null || typeof parent !== 'object') continue;
        const target = parent as Record<string | number, unknown>;
        const last = path[path.length - 1]!;
        if (next() < 0.2) delete target[last];
        else target[last] = structuredClone(ODD_VALUES[Math.floor(next() * ODD_VALUES.length)]);
      }
      const answer = admit(review, { namespaceEnabled: next() < 0.5 }, deps);
      expect([200, 400]).toContain(answer.statusCode);
      JSON.stringify(answer.body);
      seen.set(answer.outcome.kind, (seen.get(answer.outcome.kind) ?? 0) + 1);
    }
    // The mutations reach every branch: refusals, skips, injections and 400s.
    for (const kind of ['injected', 'skipped', 'refused', 'bad-request'])
      expect(seen.get(kind)).toBeGreaterThan(20);
  });
});
