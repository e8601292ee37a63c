// The Helm chart, rendered and linted by real helm, every object checked
// against the Kubernetes schemas, and the webhook's rendered flags run through
// the real CLI parser and injector.

import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AgentPolicy } from '../../api/types.js';
import { parseFlags } from '../../cli/args.js';
import { configFromFlags, FLAGS as WEBHOOK_FLAGS } from '../../cli/webhook.js';
import { PolicyEngine } from '../../sidecar/policy/engine.js';
import { parsePolicyText } from '../../sidecar/policy/loader.js';
import { goldenCases } from '../../webhook/golden.js';
import { injectPod } from '../../webhook/inject.js';
import { helm, ROOT } from './helm-tool.js';
import { type K8sObject, schemaProblems, unknownFieldProblems } from './k8s-schema.js';

const CHART = 'charts/agentgate';
const NS = 'agentgate-system';
const VALUES = [
  'default',
  ...readdirSync(join(ROOT, 'test/helm/values'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort(),
];

function valuesArgs(name: string): string[] {
  return name === 'default' ? [] : ['-f', `test/helm/values/${name}.yaml`];
}

function render(name: string): K8sObject[] {
  const text = helm(['template', 'agentgate', CHART, '-n', NS, '--include-crds', ...valuesArgs(name)]);
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const rendered = new Map(VALUES.map((v) => [v, render(v)]));

function find(objs: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata?.name === name));
  if (o === undefined) throw new Error(`no ${kind} ${name ?? ''}`);
  return o;
}

type Json = Record<string, unknown>;
const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);

function webhookArgs(objs: K8sObject[]): string[] {
  const args = at(find(objs, 'Deployment'), 'spec', 'template', 'spec', 'containers', 0, 'args') as string[];
  return args.slice(1); // 'webhook'
}

describe('the Helm chart', () => {
  for (const v of VALUES) {
    it(`${v}: passes helm lint --strict`, () => {
      expect(helm(['lint', '--strict', CHART, '-n', NS, ...valuesArgs(v)])).toContain('0 chart(s) failed');
    });

    it(`${v}: renders objects that validate against the Kubernetes schemas`, async () => {
      const objs = rendered.get(v)!;
      expect(await schemaProblems(objs)).toEqual([]);
    });
  }

  it('renders no unknown or misplaced fields in any values file (strict field check)', () => {
    const all = VALUES.flatMap((v) => rendered.get(v)!);
    expect(unknownFieldProblems(all)).toEqual([]);
  });

  it('the strict field check catches a misspelled field', () => {
    const objs = structuredClone(rendered.get('default')!);
    const dep = find(objs, 'Deployment') as Json;
    (at(dep, 'spec', 'template', 'spec') as Json)['replica'] = 2;
    expect(unknownFieldProblems([dep as K8sObject]).join('\n')).toMatch(
      /'"?replica"?' does not exist in type 'IPodSpec'/,
    );
  });

  it('ships the CRDs of crds/ unchanged', () => {
    for (const f of readdirSync(join(ROOT, 'crds'))) {
      expect(readFileSync(join(ROOT, CHART, 'crds', f), 'utf8')).toBe(
        readFileSync(join(ROOT, 'crds', f), 'utf8'),
      );
    }
    const kinds = rendered
      .get('default')!
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata?.name);
    expect(kinds.sort()).toEqual(['accessrequests.agentgate.io', 'agentpolicies.agentgate.io']);
  });

  it('runs two webhook replicas spread over nodes, kept by a PodDisruptionBudget, behind a Service on 443', () => {
    const objs = rendered.get('default')!;
    const dep = find(objs, 'Deployment');
    expect(at(dep, 'spec', 'replicas')).toBe(2);
    expect(at(dep, 'spec', 'template', 'spec', 'affinity', 'podAntiAffinity')).toBeDefined();
    expect(at(find(objs, 'PodDisruptionBudget'), 'spec', 'minAvailable')).toBe(1);
    const port = at(find(objs, 'Service'), 'spec', 'ports', 0) as Json;
    expect([port['port'], port['targetPort']]).toEqual([443, 'https']);
    const container = at(dep, 'spec', 'template', 'spec', 'containers', 0) as Json;
    expect(at(container, 'ports', 0, 'containerPort')).toBe(8443);
    expect(at(container, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
    const required = rendered.get('custom-images')!;
    expect(
      at(
        find(required, 'Deployment'),
        'spec',
        'template',
        'spec',
        'affinity',
        'podAntiAffinity',
        'requiredDuringSchedulingIgnoredDuringExecution',
      ),
    ).toBeDefined();
  });

  it('registers the webhook fail-closed, reinvoked, side-effect free, and never for kube-system or its own namespace', () => {
    const mwc = find(rendered.get('default')!, 'MutatingWebhookConfiguration');
    const hooks = at(mwc, 'webhooks') as Json[];
    expect(hooks.map((h) => at(h, 'clientConfig', 'service', 'path'))).toEqual([
      '/mutate-pods/namespace-enabled',
      '/mutate-pods',
    ]);
    for (const h of hooks) {
      expect(h['failurePolicy']).toBe('Fail');
      expect(h['reinvocationPolicy']).toBe('IfNeeded');
      expect(h['sideEffects']).toBe('None');
      expect(h['admissionReviewVersions']).toEqual(['v1']);
      expect(h['timeoutSeconds']).toBe(10);
      expect(at(h, 'clientConfig', 'service', 'port')).toBe(443);
      const excluded = (at(h, 'namespaceSelector', 'matchExpressions') as Json[]).find(
        (e) => e['key'] === 'kubernetes.io/metadata.name',
      )!;
      expect(excluded['operator']).toBe('NotIn');
      expect(excluded['values']).toEqual(expect.arrayContaining(['kube-system', NS]));
      expect(at(h, 'rules')).toEqual([
        {
          operations: ['CREATE'],
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['pods'],
          scope: 'Namespaced',
        },
        {
          operations: ['UPDATE'],
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['pods/ephemeralcontainers'],
          scope: 'Namespaced',
        },
      ]);
    }
    expect(at(hooks[0], 'namespaceSelector', 'matchLabels')).toEqual({ 'agentgate.io/injection': 'enabled' });
    expect(at(hooks[1], 'objectSelector', 'matchLabels')).toEqual({ 'agentgate.io/inject': 'true' });
    expect(
      at(
        find(rendered.get('legacy-sidecars')!, 'MutatingWebhookConfiguration'),
        'webhooks',
        0,
        'failurePolicy',
      ),
    ).toBe('Ignore');
  });

  it('generates a CA whose caBundle verifies the serving certificate for the Service name', () => {
    const objs = rendered.get('default')!;
    const secret = find(objs, 'Secret', 'agentgate-webhook-tls');
    const data = secret['data'] as Record<string, string>;
    const ca = new X509Certificate(Buffer.from(data['ca.crt']!, 'base64'));
    const leaf = new X509Certificate(Buffer.from(data['tls.crt']!, 'base64'));
    const bundle = at(
      find(objs, 'MutatingWebhookConfiguration'),
      'webhooks',
      0,
      'clientConfig',
      'caBundle',
    ) as string;
    expect(new X509Certificate(Buffer.from(bundle, 'base64')).fingerprint256).toBe(ca.fingerprint256);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost(`agentgate-webhook.${NS}.svc`)).toBeDefined();
  });

  it('with cert-manager: a Certificate and the cainjector annotation instead of a generated Secret', () => {
    const objs = rendered.get('cert-manager')!;
    expect(objs.some((o) => o.kind === 'Secret')).toBe(false);
    const mwc = find(objs, 'MutatingWebhookConfiguration');
    expect(at(mwc, 'metadata', 'annotations', 'cert-manager.io/inject-ca-from')).toBe(
      `${NS}/agentgate-webhook`,
    );
    expect(at(mwc, 'webhooks', 0, 'clientConfig', 'caBundle')).toBeUndefined();
    const cert = find(objs, 'Certificate', 'agentgate-webhook');
    expect(at(cert, 'spec', 'secretName')).toBe('agentgate-webhook-tls');
    expect(at(cert, 'spec', 'dnsNames')).toContain(`agentgate-webhook.${NS}.svc`);
    const issuer = rendered.get('cert-manager-issuer')!;
    expect(at(find(issuer, 'Certificate', 'agentgate-webhook'), 'spec', 'issuerRef', 'kind')).toBe(
      'ClusterIssuer',
    );
    expect(issuer.some((o) => o.kind === 'Issuer')).toBe(false);
  });

  it('grants least privilege: no wildcards, Secrets only by name, sidecars bound per namespace', () => {
    for (const v of VALUES) {
      for (const role of rendered.get(v)!.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
        for (const rule of (role['rules'] as Json[]) ?? []) {
          for (const field of ['verbs', 'resources', 'apiGroups']) expect(rule[field]).not.toContain('*');
          if ((rule['resources'] as string[]).includes('secrets')) {
            expect(rule['resourceNames']).toEqual(['agentgate-webhook-tls']);
            expect(role.kind).toBe('Role');
          }
        }
      }
    }
    const custom = rendered.get('custom-images')!;
    const bindings = custom.filter(
      (o) => o.kind === 'RoleBinding' && o.metadata?.name === 'agentgate-sidecar',
    );
    expect(bindings.map((b) => [b.metadata?.namespace, at(b, 'subjects', 0, 'name')])).toEqual([
      ['agents', 'system:serviceaccounts:agents'],
      ['research', 'system:serviceaccounts:research'],
    ]);
    const sidecar = find(custom, 'ClusterRole', 'agentgate-sidecar');
    expect(sidecar['rules']).toEqual([
      { apiGroups: ['agentgate.io'], resources: ['agentpolicies'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['agentgate.io'],
        resources: ['accessrequests'],
        verbs: ['create', 'get', 'list', 'watch'],
      },
    ]);
    const discovery = find(custom, 'ClusterRoleBinding', 'agentgate-service-account-issuer-discovery');
    expect(at(discovery, 'roleRef', 'name')).toBe('system:service-account-issuer-discovery');
    const webhookRole = find(custom, 'ClusterRole', 'agentgate-webhook');
    const mwcRule = (webhookRole['rules'] as Json[]).find((r) =>
      (r['resources'] as string[]).includes('mutatingwebhookconfigurations'),
    )!;
    expect(mwcRule['resourceNames']).toEqual(['agentgate-webhook']);
  });

  for (const v of VALUES) {
    it(`${v}: the webhook's rendered flags parse with the real CLI into the configuration the values say`, () => {
      const objs = rendered.get(v)!;
      const { values } = parseFlags('webhook', WEBHOOK_FLAGS, webhookArgs(objs), {});
      const config = configFromFlags(values);
      const expected: Record<string, Partial<ReturnType<typeof configFromFlags>>> = {
        default: {
          sidecarImage: 'ghcr.io/agentgate/agentgate:0.1.0',
          proxyUid: 15337,
          nativeSidecars: true,
          securityMode: 'refuse',
          policySource: { kind: 'configMap', name: 'agentgate-policies' },
        },
        'legacy-sidecars': {
          nativeSidecars: false,
          securityMode: 'warn',
          policySource: { kind: 'configMap', name: 'team-policies' },
        },
        'custom-images': {
          sidecarImage: 'registry.example.com/platform/agentgate-sidecar:1.2.3-slim',
          imagePullPolicy: 'Always',
          proxyUid: 20001,
          proxyGid: 20002,
          otlpEndpoint: 'http://otel-collector.observability:4318',
          oidcIssuers: [
            'https://login.example.com/realms/agents',
            'https://token.actions.githubusercontent.com',
          ],
          oidcAudience: 'agentgate',
          groupsClaim: 'realm_access.roles',
          workloadIssuer: 'https://kubernetes.default.svc.cluster.local',
          policySource: { kind: 'kubernetes' },
          excludedNamespaces: ['kube-system', 'monitoring'],
          sidecarResources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
        },
      };
      expect(config).toMatchObject(expected[v] ?? {});
      expect(at(find(objs, 'Deployment'), 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(
        v === 'custom-images'
          ? 'registry.example.com/platform/agentgate:1.2.3'
          : 'ghcr.io/agentgate/agentgate:0.1.0',
      );
    });
  }

  it("a pod injected with the chart's configuration and policies validates against the Pod schema, strictly", async () => {
    const objs = rendered.get('custom-images')!;
    const { values } = parseFlags('webhook', WEBHOOK_FLAGS, webhookArgs(objs), {});
    const config = configFromFlags(values);
    expect(rendered.get('default')!.some((o) => o.kind === 'ConfigMap')).toBe(false); // default: policies from the API
    expect(webhookArgs(rendered.get('default')!)).not.toContainEqual(expect.stringMatching(/^--policy/));
    expect(webhookArgs(objs)).toContain('--policy=/etc/agentgate/policies');
    const cm = find(objs, 'ConfigMap', 'agentgate-webhook-policies');
    const into = {
      policies: [] as AgentPolicy[],
      sources: new Map<string, string>(),
      skipped: [] as string[],
    };
    const problems: string[] = [];
    parsePolicyText(
      'policies.yaml',
      (cm['data'] as Record<string, string>)['policies.yaml']!,
      into,
      problems,
    );
    expect(problems).toEqual([]);
    expect(into.policies).toHaveLength(1);
    const pods: K8sObject[] = [];
    for (const c of goldenCases()) {
      const out = injectPod(
        c.pod,
        {
          namespace: c.namespace,
          namespaceLabels: c.namespaceLabels,
          policies: PolicyEngine.compile(into.policies),
        },
        config,
      );
      if (out.kind === 'injected') pods.push({ ...out.pod, apiVersion: 'v1', kind: 'Pod' } as K8sObject);
    }
    expect(pods.length).toBeGreaterThan(5);
    const deployed = pods.find((p) => at(p, 'metadata', 'generateName') === 'support-agent-7d9f8b6c5-')!;
    expect(at(deployed, 'spec', 'volumes')).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'agentgate-cred-orders-db' })]),
    );
    expect(await schemaProblems(pods)).toEqual([]);
    expect(unknownFieldProblems(pods)).toEqual([]);
  });

  it('rejects values outside the schema, naming the field', () => {
    let message = '';
    try {
      helm(['template', 'agentgate', CHART, '-n', NS, '--set', 'webhook.failurePolicy=Sometimes']);
    } catch (err) {
      message = String((err as { stderr?: string }).stderr);
    }
    expect(message).toContain('failurePolicy');
  });

  it('prints next steps in NOTES.txt', () => {
    const out = helm(['install', 'agentgate', CHART, '-n', NS, '--dry-run=client']);
    expect(out).toContain('Next steps:');
    expect(out).toContain('kubectl label namespace AGENT_NS agentgate.io/injection=enabled');
  });
});
