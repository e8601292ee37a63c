import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { GENERATED_HEADER, renderCrds } from './crds.js';

const dir = new URL('../crds/', import.meta.url);

describe('generated CRDs', () => {
  const rendered = renderCrds();

  test.each(Object.keys(rendered))('crds/%s matches api/ (run `make crds` after changing api/)', (file) => {
    const onDisk = readFileSync(new URL(file, dir), 'utf8');
    expect(onDisk).toBe(rendered[file]);
  });

  test('each file says it is generated in its first line', () => {
    for (const text of Object.values(rendered)) expect(text.startsWith(GENERATED_HEADER)).toBe(true);
  });

  test('AgentPolicy has short name agp; AccessRequest has areq and a status subresource', () => {
    const agp = parse(rendered['agentpolicies.yaml']!);
    const areq = parse(rendered['accessrequests.yaml']!);
    expect(agp.spec.names.shortNames).toEqual(['agp']);
    expect(areq.spec.names.shortNames).toEqual(['areq']);
    expect(areq.spec.versions[0].subresources).toEqual({ status: {} });
    expect(agp.spec.group).toBe('agentgate.io');
    expect(agp.spec.versions[0].name).toBe('v1alpha1');
  });

  test('schemas are structural: every property has a type, every array its items', () => {
    const walk = (s: Record<string, unknown>, path: string, bad: string[]) => {
      if (s['type'] === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) bad.push(path);
      if (s['type'] === 'array' && s['items'] === undefined) bad.push(`${path}[]`);
      for (const [k, v] of Object.entries((s['properties'] as Record<string, Record<string, unknown>>) ?? {}))
        walk(v, `${path}.${k}`, bad);
      if (s['items']) walk(s['items'] as Record<string, unknown>, `${path}[]`, bad);
      if (typeof s['additionalProperties'] === 'object')
        walk(s['additionalProperties'] as Record<string, unknown>, `${path}{}`, bad);
    };
    for (const text of Object.values(rendered)) {
      const bad: string[] = [];
      walk(parse(text).spec.versions[0].schema.openAPIV3Schema, '', bad);
      expect(bad).toEqual([]);
    }
  });
});
