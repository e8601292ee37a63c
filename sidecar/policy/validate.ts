// Validation of AgentPolicy objects that do not come through the API server
// (files, `policy check`): the OpenAPI schema (checked by code Ajv generated
// from it at build time, policy-validator.generated.ts), then the cross-field
// rules the CRD states in CEL, restated here so files and the cluster agree.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { API_GROUP_VERSION } from '../../api/types.js';
import { validate } from './policy-validator.generated.js';

export interface Issue {
  /** Field path in the object, e.g. `spec.rules[2].review.approvers`. */
  readonly path: string;
  readonly message: string;
}

const validateSchema = validate as ValidateFunction;

function pathOf(instancePath: string): string {
  let out = '';
  for (const part of instancePath.split('/').slice(1)) {
    out += /^\d+$/.test(part)
      ? `[${part}]`
      : `${out ? '.' : ''}${part.replace(/~1/g, '/').replace(/~0/g, '~')}`;
  }
  return out;
}

function describe(e: ErrorObject): Issue {
  const base = pathOf(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return {
        path: base ? `${base}.${e.params['missingProperty']}` : String(e.params['missingProperty']),
        message: 'required',
      };
    case 'additionalProperties':
      return {
        path: base ? `${base}.${e.params['additionalProperty']}` : String(e.params['additionalProperty']),
        message: 'unknown field',
      };
    case 'enum':
      return { path: base, message: `must be one of ${(e.params['allowedValues'] as string[]).join(', ')}` };
    case 'pattern':
      return { path: base, message: `does not match ${e.params['pattern']}` };
    default:
      return { path: base, message: e.message ?? e.keyword };
  }
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function countSet(o: object, fields: string[]): number {
  return fields.filter((f) => (o as Record<string, unknown>)[f] !== undefined).length;
}

/** Every issue in the object; an empty list means valid. */
export function validatePolicy(obj: unknown): Issue[] {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return [{ path: '', message: 'not an object' }];
  const o = obj as Record<string, unknown>;
  const issues: Issue[] = [];
  if (o['apiVersion'] !== API_GROUP_VERSION)
    issues.push({ path: 'apiVersion', message: `must be ${API_GROUP_VERSION}` });
  const meta = o['metadata'] as Record<string, unknown> | undefined;
  if (typeof meta?.['name'] !== 'string' || !NAME.test(meta['name'])) {
    issues.push({ path: 'metadata.name', message: 'required: a DNS label (lower-case letters, digits, -)' });
  }
  if (!validateSchema(obj)) {
    for (const e of validateSchema.errors ?? []) issues.push(describe(e));
    return dedupe(issues);
  }
  const spec = (o['spec'] ?? {}) as import('../../api/types.js').AgentPolicySpec;
  const targetNames = new Set<string>();
  const ports = new Set<number>();
  spec.targets.forEach((t, i) => {
    if (targetNames.has(t.name))
      issues.push({ path: `spec.targets[${i}].name`, message: `duplicate target name ${t.name}` });
    targetNames.add(t.name);
    if (t.localPort !== undefined) {
      if (ports.has(t.localPort))
        issues.push({ path: `spec.targets[${i}].localPort`, message: 'localPort values must be unique' });
      ports.add(t.localPort);
    }
  });
  spec.subjects?.forEach((s, i) => {
    if (countSet(s, ['group', 'user', 'serviceAccount']) !== 1)
      issues.push({ path: `spec.subjects[${i}]`, message: 'exactly one of group, user, serviceAccount' });
  });
  const ruleNames = new Set<string>();
  spec.rules?.forEach((r, i) => {
    if (ruleNames.has(r.name))
      issues.push({ path: `spec.rules[${i}].name`, message: `duplicate rule name ${r.name}` });
    ruleNames.add(r.name);
    if (r.match?.target !== undefined && !targetNames.has(r.match.target)) {
      issues.push({
        path: `spec.rules[${i}].match.target`,
        message: `${r.match.target} is not a declared target`,
      });
    }
    if (r.action === 'review' && !(r.review && r.review.approvers.length > 0)) {
      issues.push({
        path: `spec.rules[${i}].review.approvers`,
        message: 'action review needs review.approvers',
      });
    }
    r.review?.approvers.forEach((a, j) => {
      if (countSet(a, ['group', 'user']) !== 1)
        issues.push({
          path: `spec.rules[${i}].review.approvers[${j}]`,
          message: 'exactly one of group, user',
        });
    });
  });
  spec.masking?.forEach((m, i) => {
    if (m.target !== undefined && !targetNames.has(m.target)) {
      issues.push({ path: `spec.masking[${i}].target`, message: `${m.target} is not a declared target` });
    }
    if (m.entities === undefined && m.columns === undefined) {
      issues.push({ path: `spec.masking[${i}]`, message: 'a masking rule needs entities or columns' });
    }
  });
  return issues;
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
