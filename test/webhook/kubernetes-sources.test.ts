// The webhook's Kubernetes-backed sources, driven by @kubernetes/client-node
// against the API server stand-in: policies and namespace labels from
// informers, Events, and certificates published into the Secret and caBundle.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { syncCertificates } from '../../webhook/cert-sync.js';
import { ensureCertificates, FILES } from '../../webhook/certs.js';
import { injectConfig } from '../../webhook/config.js';
import { goldenCases } from '../../webhook/golden.js';
import {
  kubernetesCertStore,
  kubernetesEvents,
  kubernetesNamespaces,
  kubernetesPolicies,
} from '../../webhook/kubernetes.js';
import { MUTATE_PATH, startWebhookServer } from '../../webhook/server.js';
import { ApiStandIn, type StoredObject } from './api-stand-in.js';
import { podReview, WebhookClient } from './https-client.js';

let api: ApiStandIn;
let kc: KubeConfig;

const policy = (name: string, target: string, secret: string): StoredObject => ({
  apiVersion: 'agentgate.io/v1alpha1',
  kind: 'AgentPolicy',
  metadata: { name, namespace: 'agents' },
  spec: {
    podSelector: { matchLabels: { app: 'support-agent' } },
    targets: [
      {
        name: target,
        protocol: 'postgres',
        address: `${target}.data.svc:5432`,
        credentialsSecretRef: { name: secret },
      },
    ],
  },
});

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  api = await new ApiStandIn().start();
  kc = new KubeConfig();
  kc.loadFromOptions(api.kubeconfig());
});
afterEach(async () => {
  await api.stop();
});

describe('AgentPolicies from the API', () => {
  it('lists them before answering and follows adds, updates and deletes', async () => {
    api.put('agentpolicies', policy('support', 'orders-db', 'orders-db-agent'));
    const problems: string[] = [];
    const source = kubernetesPolicies(kc, (m) => problems.push(m));
    try {
      await source.ready;
      const targets = (): string[] =>
        source
          .current()
          .forPod({ namespace: 'agents', labels: { app: 'support-agent' } })
          .targets.map((t) => t.name)
          .sort();
      expect(targets()).toEqual(['orders-db']);
      api.put('agentpolicies', policy('reports', 'warehouse', 'warehouse-ro'));
      await eventually(() => targets().length === 2, 'the added policy');
      api.delete('agentpolicies', 'agents', 'support');
      await eventually(() => targets().join() === 'warehouse', 'the deleted policy to go');
      // An object the API server should have refused is skipped, not fatal.
      api.put('agentpolicies', { ...policy('broken', 'x', 'y'), spec: { targets: 'nope' } });
      await eventually(() => problems.some((p) => p.includes('agents/broken')), 'the problem report');
      expect(targets()).toEqual(['warehouse']);
    } finally {
      await source.close();
    }
  });
});

describe('namespace labels from the API', () => {
  it('reads labels from the cache and sees them change', async () => {
    api.put('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'agents', labels: { 'agentgate.io/injection': 'enabled' } },
    });
    const lookup = kubernetesNamespaces(kc);
    try {
      await lookup.ready;
      expect(lookup.labels('agents')).toEqual({ 'agentgate.io/injection': 'enabled' });
      expect(lookup.labels('nope')).toBeUndefined();
      api.put('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'agents', labels: { 'agentgate.io/injection': 'disabled' } },
      });
      await eventually(
        () => lookup.labels('agents')?.['agentgate.io/injection'] === 'disabled',
        'the new label',
      );
    } finally {
      await lookup.close();
    }
  });
});

describe('Events', () => {
  it('records a Warning event on the involved object', async () => {
    const events = kubernetesEvents(kc, 'agentgate-webhook');
    events.record(
      { namespace: 'agents', kind: 'ReplicaSet', name: 'nosy-rs', uid: 'u1' },
      'Warning',
      'AgentgateInjectionRefused',
      'agentgate: pod refused: ...',
    );
    await eventually(() => api.list('events', 'agents').length === 1, 'the event');
    const e = api.list('events', 'agents')[0]!;
    expect(e['reason']).toBe('AgentgateInjectionRefused');
    expect(e['type']).toBe('Warning');
    expect(e['involvedObject']).toEqual({
      kind: 'ReplicaSet',
      name: 'nosy-rs',
      namespace: 'agents',
      uid: 'u1',
    });
  });
});

describe('certificates shared through a Secret', () => {
  const target = {
    namespace: 'agentgate-system',
    secretName: 'agentgate-webhook-tls',
    webhookConfigName: 'agentgate-webhook',
  };
  const opts = { dnsNames: ['agentgate-webhook.agentgate-system.svc'] };
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'agentgate-sync-'));
    dirs.push(d);
    return d;
  };
  const bundles = (): string[] =>
    (
      api.get('mutatingwebhookconfigurations', undefined, 'agentgate-webhook')!['webhooks'] as {
        clientConfig: { caBundle?: string };
      }[]
    ).map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString());
  beforeEach(() => {
    api.put('mutatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'agentgate-webhook' },
      webhooks: [
        {
          name: 'namespace.inject.agentgate.io',
          clientConfig: { service: { name: 'agentgate-webhook', namespace: 'agentgate-system' } },
        },
        {
          name: 'pod.inject.agentgate.io',
          clientConfig: { service: { name: 'agentgate-webhook', namespace: 'agentgate-system' } },
        },
      ],
    });
  });
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('stores new certificates in the Secret and the CA in every webhook entry', async () => {
    const set = await syncCertificates(tmp(), opts, kubernetesCertStore(kc, target));
    const data = api.get('secrets', 'agentgate-system', 'agentgate-webhook-tls')!['data'] as Record<
      string,
      string
    >;
    expect(Buffer.from(data['tls.crt']!, 'base64').toString()).toBe(set.serving.cert);
    expect(bundles()).toEqual([set.caBundle, set.caBundle]);
  });

  it('lets replicas that start together agree on one CA', async () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    const sets = await Promise.all(
      [a, b, c].map((d) => syncCertificates(d, opts, kubernetesCertStore(kc, target))),
    );
    const cas = new Set(sets.map((s) => s.ca.cert));
    expect(cas.size).toBe(1);
    for (const d of [a, b, c]) expect(readFileSync(join(d, FILES.cert), 'utf8')).toBe(sets[0]!.serving.cert);
    expect(bundles()[0]).toBe(sets[0]!.caBundle);
  });

  it('adopts the stored certificates after a restart instead of making a new CA', async () => {
    const first = await syncCertificates(tmp(), opts, kubernetesCertStore(kc, target));
    const restarted = await syncCertificates(tmp(), opts, kubernetesCertStore(kc, target));
    expect(restarted.changed).toBe('none');
    expect(restarted.ca.cert).toBe(first.ca.cert);
  });

  it('keeps the old CA in the published bundle through a rotation, and writes nothing when nothing changed', async () => {
    const dir = tmp();
    const store = kubernetesCertStore(kc, target);
    const first = await syncCertificates(dir, opts, store);
    const later = { ...opts, caValidDays: 3650, caRenewBeforeDays: 3700 }; // the CA is due for renewal
    const rotated = await syncCertificates(dir, later, store);
    expect(rotated.changed).toBe('ca');
    expect(bundles()[0]).toContain(first.ca.cert.trim());
    expect(bundles()[0]).toContain(rotated.ca.cert.trim());
    const writes = api.requests.filter((r) => r.startsWith('PUT')).length;
    await syncCertificates(dir, opts, store);
    expect(api.requests.filter((r) => r.startsWith('PUT')).length).toBe(writes);
  });
});

describe('the webhook on Kubernetes sources', () => {
  it('injects a pod of a labelled namespace with the credentials of the policies in the API', async () => {
    api.put('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'agents', labels: { 'agentgate.io/injection': 'enabled' } },
    });
    api.put('agentpolicies', policy('support', 'orders-db', 'orders-db-agent'));
    const policies = kubernetesPolicies(kc);
    const namespaces = kubernetesNamespaces(kc);
    await Promise.all([policies.ready, namespaces.ready]);
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-k8s-webhook-'));
    await ensureCertificates(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: join(dir, FILES.cert),
      keyFile: join(dir, FILES.key),
      deps: {
        config: injectConfig(),
        policies,
        namespaces,
        events: kubernetesEvents(kc, 'agentgate-webhook'),
      },
    });
    const client = new WebhookClient(server.url, readFileSync(join(dir, FILES.bundle), 'utf8'));
    try {
      // The Job's pod has no pod label: only the namespace's, read from the cache.
      const job = goldenCases().find((c) => c.name === 'job-pod')!.pod;
      job.metadata!.labels = { ...job.metadata!.labels, app: 'support-agent' };
      const review = (await client.post(MUTATE_PATH, podReview('k1', 'agents', job))).json<{
        response: { patch?: string };
      }>();
      const patch = Buffer.from(review.response.patch ?? '', 'base64').toString();
      expect(patch).toContain('"secretName":"orders-db-agent"');
    } finally {
      client.close();
      await server.close();
      await policies.close();
      await namespaces.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
