import type { AgentPolicy, Protocol } from '../../api/types.js';
import { ANONYMOUS, type Identity } from '../identity/identity.js';
import { type Command, classification, type StatementClass, UNKNOWN } from './command.js';
import { PolicyEngine } from './engine.js';

const agent: Identity = { kind: 'token', subject: 'agent-1', groups: ['ai-agents'], issuer: 'https://idp' };
const stranger: Identity = { kind: 'token', subject: 'other', groups: ['staff'], issuer: 'https://idp' };

function policy(name: string, spec: Partial<AgentPolicy['spec']>, namespace = 'agents'): AgentPolicy {
  return {
    apiVersion: 'agentgate.io/v1alpha1',
    kind: 'AgentPolicy',
    metadata: { name, namespace },
    spec: { targets: [{ name: 'db', protocol: 'postgres', address: 'db:5432' }], ...spec },
  };
}

const orders = policy('orders', {
  podSelector: { matchLabels: { app: 'support' } },
  subjects: [{ group: 'ai-agents' }],
  rules: [
    { name: 'no-ddl', match: { target: 'db', operations: ['DROP', 'TRUNCATE', 'ALTER'] }, action: 'deny' },
    {
      name: 'writes',
      match: { operations: ['INSERT', 'UPDATE', 'DELETE'] },
      action: 'review',
      review: { approvers: [{ group: 'dba' }] },
    },
    { name: 'no-secrets', match: { tables: ['secrets'] }, action: 'deny' },
    { name: 'reads', match: { operations: ['SELECT'] }, action: 'allow' },
  ],
  masking: [{ target: 'db', entities: ['EMAIL_ADDRESS'] }],
});

const st = (operations: string[], tables: string[] = []): StatementClass => ({ operations, tables });
function cmd(
  statements: StatementClass[],
  identity: Identity = agent,
  protocol: Protocol = 'postgres',
  target = 'db',
): Command {
  return { target, protocol, identity, classification: classification(statements), text: '...' };
}

const pod = { namespace: 'agents', labels: { app: 'support' } };
const decide = (c: Command, policies: AgentPolicy[] = [orders]) =>
  PolicyEngine.compile(policies).forPod(pod).decide(c);

describe('PolicyEngine', () => {
  test('first matching rule decides', () => {
    expect(decide(cmd([st(['SELECT'], ['orders'])]))).toMatchObject({
      action: 'allow',
      policy: 'agents/orders',
      rule: 'reads',
    });
    expect(decide(cmd([st(['DROP'], ['orders'])]))).toMatchObject({ action: 'deny', rule: 'no-ddl' });
    const review = decide(cmd([st(['UPDATE'], ['orders'])]));
    expect(review).toMatchObject({ action: 'review', rule: 'writes' });
    expect(review.review?.approvers).toEqual([{ group: 'dba' }]);
  });

  test('a rule before the table rule wins: reads of secrets are denied, not allowed', () => {
    expect(decide(cmd([st(['SELECT'], ['secrets'])]))).toMatchObject({ action: 'deny', rule: 'no-secrets' });
    expect(decide(cmd([st(['SELECT'], ['public.secrets'])]))).toMatchObject({
      action: 'deny',
      rule: 'no-secrets',
    });
  });

  test('a join that reaches a denied table is denied', () => {
    expect(decide(cmd([st(['SELECT'], ['orders', 'secrets'])]))).toMatchObject({
      action: 'deny',
      rule: 'no-secrets',
    });
  });

  test('a multi-statement query is decided by its strictest statement', () => {
    const d = decide(cmd([st(['SELECT'], ['orders']), st(['DROP'], ['orders'])]));
    expect(d).toMatchObject({ action: 'deny', rule: 'no-ddl' });
    expect(decide(cmd([st(['SELECT'], ['orders']), st(['DELETE'], ['orders'])]))).toMatchObject({
      action: 'review',
    });
  });

  test('a statement with a hidden write (CTE) is decided by the write', () => {
    expect(decide(cmd([st(['SELECT', 'DELETE'], ['orders'])]))).toMatchObject({
      action: 'review',
      rule: 'writes',
    });
  });

  test('unmatched operations and UNKNOWN fall to the default: deny', () => {
    expect(decide(cmd([st(['VACUUM'])]))).toMatchObject({
      action: 'deny',
      rule: '(default)',
      policy: 'agents/orders',
    });
    // The table-scoped deny catches the unreadable statement before the default does.
    expect(decide(cmd([st([UNKNOWN])]))).toMatchObject({ action: 'deny', rule: 'no-secrets' });
  });

  test('an UNKNOWN statement has no known tables: table-scoped denies catch it, table-scoped allows do not', () => {
    const p = policy('t', {
      rules: [
        { name: 'no-secrets', match: { tables: ['secrets'] }, action: 'deny' },
        { name: 'orders-any', match: { tables: ['orders'] }, action: 'allow' },
        { name: 'rest', action: 'allow' },
      ],
    });
    expect(decide(cmd([st([UNKNOWN])]), [p])).toMatchObject({ action: 'deny', rule: 'no-secrets' });
    expect(decide(cmd([st(['SELECT'])]), [p])).toMatchObject({ action: 'allow', rule: 'rest' });
    const allowOnly = policy('a', {
      rules: [{ name: 'orders-any', match: { tables: ['orders'] }, action: 'allow' }],
    });
    expect(decide(cmd([st([UNKNOWN])]), [allowOnly])).toMatchObject({ action: 'deny', rule: '(default)' });
  });

  test('a rule without operations matches UNKNOWN (a field left out matches everything)', () => {
    const allowAll = policy('all', { rules: [{ name: 'anything', action: 'allow' }] });
    expect(decide(cmd([st([UNKNOWN])]), [allowAll])).toMatchObject({ action: 'allow', rule: 'anything' });
    const namesUnknown = policy('u', {
      rules: [{ name: 'unknown-ok', match: { operations: ['UNKNOWN'] }, action: 'allow' }],
    });
    expect(decide(cmd([st([UNKNOWN])]), [namesUnknown])).toMatchObject({
      action: 'allow',
      rule: 'unknown-ok',
    });
  });

  test('defaultAction allow applies only when every applicable policy defaults to allow', () => {
    const open = policy('open', { defaultAction: 'allow', rules: [] });
    const closed = policy('closed', { defaultAction: 'deny', rules: [] });
    expect(decide(cmd([st(['SELECT'])]), [open])).toMatchObject({ action: 'allow', policy: 'agents/open' });
    expect(decide(cmd([st(['SELECT'])]), [open, closed])).toMatchObject({
      action: 'deny',
      policy: 'agents/closed',
    });
  });

  test('explicit rules of several policies combine: deny beats review beats allow', () => {
    const permissive = policy('a-permissive', {
      rules: [{ name: 'all-writes', match: { operations: ['UPDATE'] }, action: 'allow' }],
    });
    expect(decide(cmd([st(['UPDATE'], ['orders'])]), [permissive, orders])).toMatchObject({
      action: 'review',
      policy: 'agents/orders',
    });
    const strict = policy('z-strict', {
      rules: [{ name: 'freeze', match: { operations: ['UPDATE'] }, action: 'deny' }],
    });
    expect(decide(cmd([st(['UPDATE'], ['orders'])]), [permissive, orders, strict])).toMatchObject({
      action: 'deny',
      policy: 'agents/z-strict',
      rule: 'freeze',
    });
  });

  test('an explicit allow in one policy is not undone by another policy default', () => {
    const reads = policy('reads', {
      rules: [{ name: 'r', match: { operations: ['SELECT'] }, action: 'allow' }],
    });
    const base = policy('base', {
      rules: [{ name: 'no-drop', match: { operations: ['DROP'] }, action: 'deny' }],
    });
    expect(decide(cmd([st(['SELECT'], ['t'])]), [reads, base])).toMatchObject({ action: 'allow', rule: 'r' });
  });

  test('identities a policy does not name get no policy: deny', () => {
    const d = decide(cmd([st(['SELECT'], ['orders'])], stranger));
    expect(d).toMatchObject({ action: 'deny', policy: '', rule: '(default)' });
    expect(d.reason).toContain('no policy');
    expect(decide(cmd([st(['SELECT'], ['orders'])], ANONYMOUS))).toMatchObject({
      action: 'deny',
      policy: '',
    });
  });

  test('a subject by user name matches that subject only', () => {
    const p = policy('u', { subjects: [{ user: 'agent-1' }], rules: [{ name: 'r', action: 'allow' }] });
    expect(decide(cmd([st(['SELECT'])]), [p]).action).toBe('allow');
    expect(decide(cmd([st(['SELECT'])], stranger), [p]).action).toBe('deny');
  });

  test('pods the selector does not select get no policy', () => {
    const engine = PolicyEngine.compile([orders]);
    expect(engine.forPod({ namespace: 'agents', labels: { app: 'other' } }).targets).toEqual([]);
    expect(engine.forPod({ namespace: 'elsewhere', labels: { app: 'support' } }).targets).toEqual([]);
    expect(engine.forPod(pod).target('db')?.address).toBe('db:5432');
  });

  test('matchExpressions select as Kubernetes does', () => {
    const p = policy('x', {
      podSelector: {
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['agent', 'batch'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
    });
    const engine = PolicyEngine.compile([p]);
    expect(engine.forPod({ namespace: 'agents', labels: { tier: 'agent' } }).targets).toHaveLength(1);
    expect(engine.forPod({ namespace: 'agents', labels: { tier: 'web' } }).targets).toHaveLength(0);
    expect(
      engine.forPod({ namespace: 'agents', labels: { tier: 'agent', legacy: '1' } }).targets,
    ).toHaveLength(0);
  });

  test('a file policy without a namespace selects pods in every namespace', () => {
    const p = policy('file', {});
    delete p.metadata.namespace;
    expect(PolicyEngine.compile([p]).forPod({ namespace: 'x', labels: {} }).targets).toHaveLength(1);
  });

  test('commands for a target no policy declares are denied', () => {
    expect(decide(cmd([st(['SELECT'])], agent, 'postgres', 'ghost'))).toMatchObject({
      action: 'deny',
      reason: 'ghost is not a declared target',
    });
  });

  test('workload identities match serviceAccount subjects only', () => {
    const p = policy('wl', {
      subjects: [{ serviceAccount: 'support-sa' }],
      rules: [{ name: 'r', action: 'allow' }],
    });
    const wl: Identity = {
      kind: 'workload',
      subject: 'system:serviceaccount:agents:support-sa',
      groups: [],
      issuer: 'k8s',
      workload: { namespace: 'agents', serviceAccount: 'support-sa' },
    };
    const otherNs: Identity = { ...wl, workload: { namespace: 'x', serviceAccount: 'support-sa' } };
    const pp = PolicyEngine.compile([p]).forPod(pod);
    expect(pp.allowsWorkload(wl)).toBe(true);
    expect(pp.allowsWorkload(otherNs)).toBe(false);
    expect(pp.decide(cmd([st(['SELECT'])], wl)).action).toBe('allow');
    expect(PolicyEngine.compile([orders]).forPod(pod).allowsWorkload(wl)).toBe(false);
  });

  test('masking rules of applicable policies come with the decision, the same array each time', () => {
    const pp = PolicyEngine.compile([orders]).forPod(pod);
    const a = pp.decide(cmd([st(['SELECT'], ['orders'])]));
    const b = pp.decide(cmd([st(['DROP'], ['orders'])]));
    expect(a.masking).toEqual([{ target: 'db', entities: ['EMAIL_ADDRESS'] }]);
    expect(b.masking).toBe(a.masking);
  });

  test('table patterns: wildcards, schema-qualified names, case', () => {
    const p = policy('t', {
      rules: [
        { name: 'app-only', match: { tables: ['app.*'] }, action: 'allow' },
        { name: 'audit', match: { tables: ['audit_*'] }, action: 'allow' },
      ],
    });
    const d = (t: string) => decide(cmd([st(['SELECT'], [t])]), [p]).rule;
    expect(d('app.orders')).toBe('app-only');
    expect(d('APP.Orders')).toBe('app-only');
    expect(d('other.audit_log')).toBe('audit');
    expect(d('public.orders')).toBe('(default)');
    // The sidecar cannot know the search path: an unqualified name is not known to
    // be in app, so an allow on app.* does not cover it...
    expect(d('orders')).toBe('(default)');
  });

  test('...but a deny on a schema-qualified pattern catches the unqualified name', () => {
    const p = policy('q', {
      rules: [
        { name: 'no-vault', match: { tables: ['vault.*'] }, action: 'deny' },
        { name: 'no-hr-people', match: { tables: ['hr.people'] }, action: 'deny' },
        { name: 'rest', action: 'allow' },
      ],
    });
    const d = (t: string) => decide(cmd([st(['SELECT'], [t])]), [p]).rule;
    expect(d('vault.keys')).toBe('no-vault');
    expect(d('keys')).toBe('no-vault');
    expect(d('people')).toBe('no-vault'); // may be vault.people: restrictive rules assume the worst
    expect(d('public.people')).toBe('rest');
    expect(d('hr.people')).toBe('no-hr-people');
  });

  test('Redis: a command and its category are one unit', () => {
    const p = policy('r', {
      targets: [{ name: 'cache', protocol: 'redis', address: 'r:6379' }],
      rules: [
        { name: 'no-danger', match: { operations: ['DANGEROUS'] }, action: 'deny' },
        { name: 'reads', match: { operations: ['READ'], tables: ['session:*'] }, action: 'allow' },
      ],
    });
    const r = (ops: string[], keys: string[]) => decide(cmd([st(ops, keys)], agent, 'redis', 'cache'), [p]);
    expect(r(['GET', 'READ'], ['session:1'])).toMatchObject({ action: 'allow', rule: 'reads' });
    expect(r(['GET', 'READ'], ['user:1'])).toMatchObject({ action: 'deny', rule: '(default)' });
    expect(r(['FLUSHALL', 'DANGEROUS'], [])).toMatchObject({ action: 'deny', rule: 'no-danger' });
  });

  test('HTTP: path templates match one segment per parameter and ** for the rest', () => {
    const p = policy('h', {
      targets: [{ name: 'api', protocol: 'http', address: 'api:8080' }],
      rules: [
        {
          name: 'refund',
          match: { operations: ['POST'], paths: ['/v1/orders/{id}/refund'] },
          action: 'review',
          review: { approvers: [{ group: 'x' }] },
        },
        { name: 'read', match: { operations: ['GET'], paths: ['/v1/orders/**'] }, action: 'allow' },
      ],
    });
    const h = (method: string, path: string) =>
      decide(cmd([st([method], [path])], agent, 'http', 'api'), [p]);
    expect(h('POST', '/v1/orders/42/refund').rule).toBe('refund');
    expect(h('POST', '/v1/orders/42/7/refund').rule).toBe('(default)');
    expect(h('GET', '/v1/orders/42/items')).toMatchObject({ action: 'allow', rule: 'read' });
    expect(h('DELETE', '/v1/orders/42').action).toBe('deny');
  });
});

describe('remembered decisions', () => {
  test('a classification is decided once per identity and target, and never shared across identities', () => {
    const compiled = PolicyEngine.compile([orders]).forPod(pod);
    const select = classification([st(['SELECT'], ['orders'])]);
    const asAgent: Command = {
      target: 'db',
      protocol: 'postgres',
      identity: agent,
      classification: select,
      text: 'a',
    };
    const first = compiled.decide(asAgent);
    expect(first).toMatchObject({ action: 'allow', rule: 'reads' });
    expect(compiled.decide({ ...asAgent, text: 'b' })).toBe(first);
    // The stranger is not among the policy's subjects: the same statement is denied.
    expect(compiled.decide({ ...asAgent, identity: stranger })).toMatchObject({ action: 'deny' });
    expect(compiled.decide(asAgent)).toBe(first);
  });

  test('a reloaded policy decides afresh', () => {
    const select = classification([st(['SELECT'], ['orders'])]);
    const c: Command = {
      target: 'db',
      protocol: 'postgres',
      identity: agent,
      classification: select,
      text: 'a',
    };
    expect(PolicyEngine.compile([orders]).forPod(pod).decide(c).action).toBe('allow');
    const stricter = policy('orders', {
      ...orders.spec,
      rules: [{ name: 'nothing', match: { operations: ['SELECT'] }, action: 'deny' }],
    });
    expect(PolicyEngine.compile([stricter]).forPod(pod).decide(c)).toMatchObject({
      action: 'deny',
      rule: 'nothing',
    });
  });

  test('many distinct statements keep being decided correctly past the cache bound', () => {
    const compiled = PolicyEngine.compile([orders]).forPod(pod);
    for (let i = 0; i < 3000; i++) {
      const ops = i % 3 === 0 ? ['DROP'] : ['SELECT'];
      const d = compiled.decide(cmd([st(ops, [`t${i}`])]));
      expect(d.action).toBe(i % 3 === 0 ? 'deny' : 'allow');
    }
  });
});

test('masksQualifiedColumns: only rules naming a real table part need table names', () => {
  const withRules = (columns: string[], target?: string) =>
    PolicyEngine.compile([
      policy('m', { masking: [{ ...(target === undefined ? {} : { target }), columns }] }),
    ]).forPod(pod);
  expect(withRules(['users.email']).masksQualifiedColumns('db')).toBe(true);
  expect(withRules(['public.users.email'], 'db').masksQualifiedColumns('db')).toBe(true);
  expect(withRules(['public.*.email']).masksQualifiedColumns('db')).toBe(true);
  expect(withRules(['*.ssn', 'email']).masksQualifiedColumns('db')).toBe(false);
  expect(withRules(['users.email'], 'other').masksQualifiedColumns('db')).toBe(false);
});

test('sourceColumns: the names column rules and name checks care about, as one PostgreSQL regex', () => {
  const pod2 = (masking: object[]) => PolicyEngine.compile([policy('m', { masking })]).forPod(pod);
  expect(pod2([]).sourceColumns('db')).toBeNull();
  expect(pod2([{ target: 'other', columns: ['ssn'] }]).sourceColumns('db')).toBeNull();
  // column rules alone: their column parts, anchored, wildcards as .*
  expect(pod2([{ columns: ['users.email', '*.card_number', 'api*'] }]).sourceColumns('db')).toBe(
    '(^email$)|(^card_number$)|(^api.*$)',
  );
  // content scanning reads column names too (date of birth, secrets, phone, SSN, NHS)
  const scanning = pod2([{ entities: ['EMAIL_ADDRESS'] }]).sourceColumns('db')!;
  expect(scanning).toContain('birth');
  expect(scanning).toContain('secret');
});
