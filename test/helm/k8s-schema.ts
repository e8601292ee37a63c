// Validates rendered objects against the Kubernetes API schemas, offline, two
// ways: the OpenAPI validators that kubernetes-models compiles from the
// Kubernetes (and cert-manager) OpenAPI documents (types, required fields,
// formats), and TypeScript's excess-property check against the same models'
// types, which catches misspelled and misplaced fields (what kubectl's
// --validate=strict would reject) that OpenAPI without additionalProperties lets pass.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helm-tool.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  [key: string]: unknown;
}

function modulePath(apiVersion: string): string {
  if (apiVersion.startsWith('cert-manager.io/')) return `@kubernetes-models/cert-manager/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

function label(o: K8sObject): string {
  return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;
}

interface Validatable {
  validate(): void;
}

/** Problems found by the OpenAPI validators, one line each; empty when all pass. */
export async function schemaProblems(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    let Model: (new (data: unknown) => Validatable) | undefined;
    try {
      const mod = (await import(modulePath(o.apiVersion))) as Record<
        string,
        new (
          data: unknown,
        ) => Validatable
      >;
      Model = mod[o.kind];
    } catch {
      Model = undefined;
    }
    if (Model === undefined) {
      problems.push(`${label(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${label(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** Unknown or misplaced fields, from tsc's excess-property check; empty when none. */
export function unknownFieldProblems(objects: readonly K8sObject[]): string[] {
  mkdirSync(join(ROOT, '.tools'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tools/tscheck-'));
  try {
    const imports: string[] = [];
    const decls: string[] = [];
    objects.forEach((o, i) => {
      imports.push(`import type { I${o.kind} as T${i} } from '${modulePath(o.apiVersion)}/${o.kind}';`);
      decls.push(`// ${label(o)}\nexport const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`);
    });
    writeFileSync(join(dir, 'objects.ts'), `${imports.join('\n')}\n${decls.join('\n')}\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: true,
          types: [],
        },
        files: ['objects.ts'],
      }),
    );
    try {
      execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return [];
    } catch (err) {
      const out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
      return out.split('\n').filter((l) => l.includes('error TS'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
