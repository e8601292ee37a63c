import { evaluate } from '@marcbachmann/cel-js';
import type { JsonSchema } from '../../api/schema.js';
import { agentPolicySchema } from '../../api/schema.js';
import { validatePolicy } from './validate.js';

const base = () => ({
  apiVersion: 'agentgate.io/v1alpha1',
  kind: 'AgentPolicy',
  metadata: { name: 'p', namespace: 'agents' },
  spec: {
    subjects: [{ group: 'ai-agents' }],
    targets: [{ name: 'db', protocol: 'postgres', address: 'db.data.svc:5432', localPort: 25432 }],
    rules: [
      { name: 'reads', match: { target: 'db', operations: ['SELECT'] }, action: 'allow' },
      {
        name: 'writes',
        match: { operations: ['UPDATE'] },
        action: 'review',
        review: { approvers: [{ group: 'dba' }] },
      },
    ],
    masking: [{ target: 'db', entities: ['EMAIL_ADDRESS'] }],
  },
});

type Mutate = (p: ReturnType<typeof base>) => void;
type Obj = Record<string, unknown>;

// Each case breaks one cross-field rule that the CRD states in CEL.
const invalid: [string, Mutate, string][] = [
  [
    'rule target not declared',
    (p) => {
      p.spec.rules[0]!.match.target = 'nope';
    },
    'spec.rules[0].match.target',
  ],
  [
    'review without approvers',
    (p) => void delete (p.spec.rules[1] as Obj)['review'],
    'spec.rules[1].review.approvers',
  ],
  [
    'masking target not declared',
    (p) => {
      p.spec.masking[0]!.target = 'nope';
    },
    'spec.masking[0].target',
  ],
  [
    'subject with two kinds',
    (p) => void Object.assign(p.spec.subjects[0]!, { user: 'u' }),
    'spec.subjects[0]',
  ],
  [
    'subject with no kind',
    (p) => {
      p.spec.subjects[0] = {} as { group: string };
    },
    'spec.subjects[0]',
  ],
  [
    'duplicate localPort',
    (p) => void p.spec.targets.push({ name: 'db2', protocol: 'mysql', address: 'm:3306', localPort: 25432 }),
    'spec.targets[1].localPort',
  ],
  [
    'masking rule with nothing to mask',
    (p) => {
      p.spec.masking[0] = { target: 'db' } as never;
    },
    'spec.masking[0]',
  ],
];

/** Evaluates every x-kubernetes-validations rule along the schema, as the API server does. */
function celFailures(schema: JsonSchema, value: unknown, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  for (const v of schema['x-kubernetes-validations'] ?? []) {
    if (v.rule.includes('oldSelf')) continue; // transition rules need an old object
    if (evaluate(v.rule, { self: value }) !== true) out.push(`${path}: ${v.message}`);
  }
  if (schema.properties && typeof value === 'object') {
    for (const [k, s] of Object.entries(schema.properties))
      celFailures(s, (value as Obj)[k], `${path}.${k}`, out);
  }
  if (schema.items && Array.isArray(value)) {
    for (const [i, item] of value.entries()) celFailures(schema.items, item, `${path}[${i}]`, out);
  }
}

describe('validatePolicy', () => {
  test('accepts the base policy, and the CRD CEL rules accept it too', () => {
    expect(validatePolicy(base())).toEqual([]);
    const cel: string[] = [];
    celFailures(agentPolicySchema, base(), '', cel);
    expect(cel).toEqual([]);
  });

  test.each(invalid)(
    'refuses %s with the field path, and the CRD CEL rules refuse it too',
    (_name, mutate, path) => {
      const p = base();
      mutate(p);
      const issues = validatePolicy(p);
      expect(issues.map((i) => i.path)).toContain(path);
      const cel: string[] = [];
      celFailures(agentPolicySchema, p, '', cel);
      expect(cel.length).toBeGreaterThan(0);
    },
  );

  test('refuses unknown fields, so a typo never loosens a policy silently', () => {
    const p = base() as Obj;
    (p['spec'] as Obj)['defualtAction'] = 'allow';
    expect(validatePolicy(p)).toContainEqual({ path: 'spec.defualtAction', message: 'unknown field' });
  });

  test('refuses an address whose port is out of range', () => {
    const p = base();
    p.spec.targets[0]!.address = 'db:70000';
    expect(validatePolicy(p).map((i) => i.path)).toContain('spec.targets[0].address');
  });

  test('refuses a wrong action with the allowed values', () => {
    const p = base();
    (p.spec.rules[0] as Obj)['action'] = 'permit';
    expect(validatePolicy(p)).toContainEqual({
      path: 'spec.rules[0].action',
      message: 'must be one of allow, deny, review',
    });
  });

  test('refuses a missing metadata.name and a wrong apiVersion', () => {
    const p = base() as Obj;
    p['apiVersion'] = 'agentgate.io/v1';
    delete (p['metadata'] as Obj)['name'];
    const paths = validatePolicy(p).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['apiVersion', 'metadata.name']));
  });

  test('refuses things that are not objects', () => {
    expect(validatePolicy('x')).toEqual([{ path: '', message: 'not an object' }]);
    expect(validatePolicy([])).toEqual([{ path: '', message: 'not an object' }]);
  });
});
