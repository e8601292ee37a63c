import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { agentPolicySchema } from '../../api/schema.js';
import { validate as generated } from './policy-validator.generated.js';
import { closed, GENERATED_FILE, GENERATED_HEADER, validatorSource } from './validator-source.js';

test(`${GENERATED_FILE} matches api/schema.ts (run \`make build\` after changing the schema)`, () => {
  const onDisk = readFileSync(new URL(`../../${GENERATED_FILE}`, import.meta.url), 'utf8');
  expect(onDisk.startsWith(GENERATED_HEADER)).toBe(true);
  expect(onDisk).toBe(validatorSource());
});

test('the generated validator reports what Ajv compiling the schema at run time reports', () => {
  const runtime = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(
    closed(agentPolicySchema),
  );
  const target = { name: 'db', protocol: 'postgres', address: 'db:5432' };
  const objects: unknown[] = [
    {
      apiVersion: 'agentgate.io/v1alpha1',
      kind: 'AgentPolicy',
      metadata: { name: 'p' },
      spec: { targets: [target] },
    },
    { spec: {} },
    { spec: { targets: [{ ...target, protocol: 'oracle', extra: 1 }], defaultAction: 'maybe' } },
    {
      spec: {
        targets: [{ ...target, address: 'x'.repeat(300) }],
        rules: [{ name: 'r', action: 'allow', match: 7 }],
      },
    },
    { spec: { targets: [], masking: [{ entities: ['EMAIL_ADDRESS', 'NOPE'], strategy: 'shred' }] } },
    'not an object',
  ];
  const validate = generated as ValidateFunction;
  for (const o of objects) {
    const ok = validate(o);
    expect(ok).toBe(runtime(o));
    expect(validate.errors ?? null).toEqual(runtime.errors ?? null);
  }
});
