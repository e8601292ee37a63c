// Admission latency for a typical pod (a Deployment's agent pod, one policy
// with a credential Secret) over HTTPS keep-alive, as the API server calls the
// webhook: one request at a time, measured at the client. Also the injector
// alone, in process, to show what the network and TLS add. Goal: p99 < 5 ms.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentPolicy } from '../api/types.js';
import { PolicyEngine } from '../sidecar/policy/engine.js';
import { ensureCertificates, FILES } from '../webhook/certs.js';
import { injectConfig } from '../webhook/config.js';
import { injectPod } from '../webhook/inject.js';
import { podPatch } from '../webhook/patch.js';
import type { Pod } from '../webhook/pod-types.js';
import { startWebhookServer } from '../webhook/server.js';
import { NO_EVENTS, NO_NAMESPACE_LOOKUP, staticPolicies } from '../webhook/sources.js';
import { medianNs, round } from './stats.js';
import type { BenchResult } from './types.js';

export const title = 'Admission webhook';

const N = 5000;

const POLICY: AgentPolicy = {
  apiVersion: 'agentgate.io/v1alpha1',
  kind: 'AgentPolicy',
  metadata: { name: 'support-agent', namespace: 'agents' },
  spec: {
    podSelector: { matchLabels: { app: 'support-agent' } },
    subjects: [{ group: 'ai-agents' }],
    targets: [
      {
        name: 'orders-db',
        protocol: 'postgres',
        address: 'orders-db.data.svc:5432',
        credentialsSecretRef: { name: 'orders-db-agent' },
      },
    ],
    rules: [{ name: 'reads', match: { operations: ['SELECT'] }, action: 'allow' }],
  },
};

const POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'support-agent-7d9f8b6c5-',
    namespace: 'agents',
    labels: { app: 'support-agent', 'pod-template-hash': '7d9f8b6c5', 'agentgate.io/inject': 'true' },
    annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-01T10:00:00Z' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'support-agent-7d9f8b6c5',
        uid: 'u',
        controller: true,
      },
    ],
  },
  spec: {
    serviceAccountName: 'support-agent',
    containers: [
      {
        name: 'agent',
        image: 'registry.example.com/support-agent:1.4.2',
        ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
        env: [
          { name: 'PGHOST', value: 'orders-db.data.svc' },
          { name: 'OPENAI_BASE_URL', value: 'https://api.example.com' },
        ],
        resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        securityContext: { runAsUser: 1000, runAsNonRoot: true },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
      },
    ],
    volumes: [
      { name: 'kube-api-access-abcde', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  },
};

function review(uid: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'agents',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: POD,
      dryRun: false,
    },
  });
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<BenchResult[]> {
  const config = injectConfig();
  const engine = PolicyEngine.compile([POLICY]);
  const ctx = { namespace: 'agents', namespaceLabels: undefined, policies: engine };
  const injectNs = medianNs(() => {
    const out = injectPod(POD, ctx, config);
    if (out.kind === 'injected') podPatch(POD, out.pod);
  }, 20_000);

  const dir = mkdtempSync(join(tmpdir(), 'agentgate-bench-'));
  await ensureCertificates(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certFile: join(dir, FILES.cert),
    keyFile: join(dir, FILES.key),
    deps: { config, policies: staticPolicies([POLICY]), namespaces: NO_NAMESPACE_LOOKUP, events: NO_EVENTS },
  });
  const agent = new Agent({
    ca: readFileSync(join(dir, FILES.bundle), 'utf8'),
    keepAlive: true,
    maxSockets: 1,
  });
  const url = new URL('/mutate-pods', server.url);
  const times: number[] = [];
  let cpu0 = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  try {
    for (let i = 0; i < 500; i++) await post(agent, url, review(`warm-${i}`));
    cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const body = review(`req-${i}`);
      const t0 = process.hrtime.bigint();
      const status = await post(agent, url, body);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
    }
    cpu = process.cpuUsage(cpu0);
  } finally {
    agent.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const load = loadavg()[0]!.toFixed(1);
  const note = `typical pod, one policy with credentials; HTTPS keep-alive, sequential, ${N} requests; load average ${load} on ${cpus().length} cores`;
  return [
    { name: 'admission p50', unit: 'ms', value: round(percentile(times, 50), 3), note },
    { name: 'admission p99', unit: 'ms', value: round(percentile(times, 99), 3), note: 'goal < 5 ms' },
    { name: 'admission max', unit: 'ms', value: round(times[times.length - 1]!, 3) },
    {
      name: 'CPU per admission (client + server)',
      unit: 'µs',
      value: round((cpu.user + cpu.system) / N, 1),
      note: 'insensitive to other load; both ends run in this process',
    },
    { name: 'injectPod + patch (in process)', unit: 'µs', value: round(injectNs / 1000, 1), note: 'median' },
  ];
}
