import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentgateError } from '../../common/errors.js';
import { loadPolicyFiles } from './loader.js';

const examples = new URL('../../examples/policies/', import.meta.url).pathname;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentgate-loader-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const policy = (name: string, extra = '') => `apiVersion: agentgate.io/v1alpha1
kind: AgentPolicy
metadata: {name: ${name}}
spec:
  targets: [{name: db, protocol: postgres, address: "db:5432"}]
  rules: [{name: r, action: allow}]
${extra}`;

async function loadError(paths: string[]): Promise<AgentgateError> {
  try {
    await loadPolicyFiles(paths);
  } catch (e) {
    return e as AgentgateError;
  }
  throw new Error('expected the load to fail');
}

describe('loadPolicyFiles', () => {
  test('loads every example policy from a folder, including multi-document files', async () => {
    const { policies, sources } = await loadPolicyFiles([examples]);
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'support-agent',
      'support-agent-api',
      'support-agent-cache',
    ]);
    expect(sources.get('agents/support-agent')).toMatch(/support-agent\.yaml$/);
  });

  test('skips documents of other kinds and says so', async () => {
    writeFileSync(
      join(dir, 'mixed.yaml'),
      `${policy('a')}---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n`,
    );
    const loaded = await loadPolicyFiles([dir]);
    expect(loaded.policies).toHaveLength(1);
    expect(loaded.skipped).toEqual([expect.stringContaining('kind Secret')]);
  });

  test('names the file, the object, the field path and the problem', async () => {
    writeFileSync(join(dir, 'bad.yaml'), policy('broken').replace('action: allow', 'action: permit'));
    const err = await loadError([dir]);
    expect(err.code).toBe('AG_ERR_POLICY_INVALID');
    expect(err.message).toContain(
      `${join(dir, 'bad.yaml')}: AgentPolicy broken: spec.rules[0].action: must be one of allow, deny, review`,
    );
  });

  test('loads nothing when one file of several is bad', async () => {
    writeFileSync(join(dir, 'a-good.yaml'), policy('good'));
    writeFileSync(join(dir, 'b-bad.yaml'), `${policy('bad')}  defaultAction: maybe\n`);
    const err = await loadError([dir]);
    expect(err.message).toContain('none were loaded');
    expect(err.message).toContain('b-bad.yaml');
  });

  test('reports YAML syntax errors with the document number', async () => {
    writeFileSync(join(dir, 'syntax.yaml'), `${policy('ok')}---\nspec: [unclosed\n`);
    const err = await loadError([join(dir, 'syntax.yaml')]);
    expect(err.code).toBe('AG_ERR_POLICY_INVALID');
    expect(err.message).toMatch(/syntax\.yaml \(document 2\): YAML:/);
  });

  test('refuses the same policy defined twice', async () => {
    writeFileSync(join(dir, 'one.yaml'), policy('twin'));
    writeFileSync(join(dir, 'two.yaml'), policy('twin'));
    const err = await loadError([dir]);
    expect(err.message).toMatch(/two\.yaml: AgentPolicy twin: also defined in .*one\.yaml/);
  });

  test('a missing path is a load error naming it', async () => {
    const err = await loadError([join(dir, 'nope')]);
    expect(err.code).toBe('AG_ERR_POLICY_LOAD');
    expect(err.message).toContain('no such file or folder');
  });

  test('walks sub-folders and ignores hidden entries such as ConfigMap ..data links', async () => {
    mkdirSync(join(dir, 'sub'));
    mkdirSync(join(dir, '..2026_11_26'));
    writeFileSync(join(dir, 'sub', 'p.yml'), policy('nested'));
    writeFileSync(join(dir, '..2026_11_26', 'p.yaml'), policy('hidden'));
    writeFileSync(join(dir, 'notes.txt'), 'not a policy');
    const { policies } = await loadPolicyFiles([dir]);
    expect(policies.map((p) => p.metadata.name)).toEqual(['nested']);
  });
});
