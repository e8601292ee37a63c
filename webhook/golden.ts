// Golden-file cases for the injector: `testdata/<case>.in.yaml` holds the pod
// and its context, `testdata/<case>.golden.yaml` what injection makes of it
// (the outcome, the JSON Patch and the pod). Shared by the unit test and the
// HTTPS test, which must reach the same result over the wire.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { AgentPolicy } from '../api/types.js';
import { parsePolicyText } from '../sidecar/policy/loader.js';
import { type InjectConfig, injectConfig } from './config.js';
import type { Pod } from './pod-types.js';

export const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));

export interface GoldenCase {
  readonly name: string;
  readonly namespace: string;
  readonly namespaceLabels: Record<string, string> | undefined;
  readonly config: InjectConfig;
  readonly pod: Pod;
}

/** The configuration every case starts from; cases override fields. */
export const GOLDEN_BASE_CONFIG: Partial<InjectConfig> = {
  sidecarImage: 'ghcr.io/agentgate/agentgate:0.1.0',
  injectorNamespace: 'agentgate-system',
};

export function goldenCases(dir = TESTDATA): GoldenCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.in.yaml'))
    .sort()
    .map((f) => {
      const raw = parse(readFileSync(join(dir, f), 'utf8')) as {
        namespace: string;
        namespaceLabels?: Record<string, string>;
        config?: Partial<InjectConfig>;
        pod: Pod;
      };
      return {
        name: f.slice(0, -'.in.yaml'.length),
        namespace: raw.namespace,
        namespaceLabels: raw.namespaceLabels,
        config: injectConfig({ ...GOLDEN_BASE_CONFIG, ...(raw.config ?? {}) }),
        pod: raw.pod,
      };
    });
}

export function goldenPolicies(dir = TESTDATA): AgentPolicy[] {
  const into = { policies: [] as AgentPolicy[], sources: new Map<string, string>(), skipped: [] as string[] };
  const problems: string[] = [];
  parsePolicyText('policies.yaml', readFileSync(join(dir, 'policies.yaml'), 'utf8'), into, problems);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return into.policies;
}
