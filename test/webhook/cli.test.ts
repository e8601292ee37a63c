// `agentgate webhook` as a process: generates its certificates, serves
// AdmissionReviews over HTTPS, stops cleanly on SIGTERM.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILES } from '../../webhook/certs.js';
import { goldenCases } from '../../webhook/golden.js';
import { ApiStandIn } from './api-stand-in.js';
import { podReview, WebhookClient } from './https-client.js';

const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);

const root = fileURLToPath(new URL('../../', import.meta.url));
const node = join(root, '.tools/bin/node');

function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(
    node,
    [
      '--no-warnings',
      '--experimental-transform-types',
      '--import',
      './test/run-from-source.mjs',
      'cli/main.ts',
      'webhook',
      '--shutdown-delay',
      '0',
      ...args,
    ],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(https:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => reject(new Error(`webhook exited ${code}: ${out}`)));
  });
  url.catch(() => {}); // a test that expects the exit awaits that instead
  return { child, url, output: () => out };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('agentgate webhook', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates its certificates, injects over HTTPS and stops on SIGTERM', async () => {
    const { child, url } = startCli(
      [
        '--listen',
        '127.0.0.1:0',
        '--cert-dir',
        dir,
        '--service-name',
        'localhost',
        '--policy',
        'webhook/testdata/policies.yaml',
        '--log-level',
        'info',
      ],
      {
        AGENTGATE_SIDECAR_IMAGE: 'example.com/agentgate:test',
        AGENTGATE_INJECTOR_NAMESPACE: 'agentgate-system',
      },
    );
    const base = await url;
    const client = new WebhookClient(base, readFileSync(join(dir, FILES.bundle), 'utf8'), 'localhost');
    try {
      const pod = goldenCases().find((c) => c.name === 'deployment-pod')!.pod;
      const reply = await client.post('/mutate-pods', podReview('cli-1', 'agents', pod));
      const review = reply.json<{ response: { uid: string; patch: string } }>();
      expect(review.response.uid).toBe('cli-1');
      const patch = Buffer.from(review.response.patch, 'base64').toString('utf8');
      expect(patch).toContain('example.com/agentgate:test'); // the image from the environment variable
      expect(patch).toContain('orders-db-agent');
    } finally {
      client.close();
    }
    const code = exited(child);
    child.kill('SIGTERM');
    expect(await code).toBe(0);
  });

  it('runs on the Kubernetes API: policies from the API, certificates shared through a Secret, caBundle published', async () => {
    const api = await new ApiStandIn().start();
    try {
      api.put('mutatingwebhookconfigurations', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'agentgate-webhook' },
        webhooks: [
          {
            name: 'pod.inject.agentgate.io',
            clientConfig: { service: { name: 'localhost', namespace: 'agentgate-system' } },
          },
        ],
      });
      api.put('agentpolicies', {
        apiVersion: 'agentgate.io/v1alpha1',
        kind: 'AgentPolicy',
        metadata: { name: 'support', namespace: 'agents' },
        spec: {
          podSelector: { matchLabels: { app: 'support-agent' } },
          targets: [
            {
              name: 'crm',
              protocol: 'http',
              address: 'crm.internal:443',
              credentialsSecretRef: { name: 'crm-token' },
            },
          ],
        },
      });
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: s, user: u}}]\ncurrent-context: c\n`,
      );
      const certs = join(dir, 'certs');
      const { child, url } = startCli([
        '--listen',
        '127.0.0.1:0',
        '--cert-dir',
        certs,
        '--service-name',
        'localhost',
        '--sidecar-image',
        'example.com/agentgate:test',
        '--kubeconfig',
        kubeconfig,
        '--tls-secret',
        'agentgate-webhook-tls',
        '--webhook-config',
        'agentgate-webhook',
      ]);
      const base = await url;
      const mwc = api.get('mutatingwebhookconfigurations', undefined, 'agentgate-webhook')!;
      const caBundle = Buffer.from(
        at(mwc, 'webhooks', 0, 'clientConfig', 'caBundle') as string,
        'base64',
      ).toString();
      // Trust exactly what the API server would: the published caBundle.
      const client = new WebhookClient(base, caBundle, 'localhost');
      try {
        const pod = goldenCases().find((c) => c.name === 'deployment-pod')!.pod;
        const review = (await client.post('/mutate-pods', podReview('k-1', 'agents', pod))).json<{
          response: { patch: string };
        }>();
        expect(Buffer.from(review.response.patch, 'base64').toString()).toContain('"secretName":"crm-token"');
      } finally {
        client.close();
      }
      expect(api.get('secrets', 'agentgate-system', 'agentgate-webhook-tls')).toBeDefined();
      const code = exited(child);
      child.kill('SIGTERM');
      expect(await code).toBe(0);
    } finally {
      await api.stop();
    }
  });

  it('refuses to start without a sidecar image, naming the flag', async () => {
    const { child, output } = startCli(['--policy', 'webhook/testdata/policies.yaml', '--cert-dir', dir]);
    expect(await exited(child)).toBe(2);
    expect(output()).toContain('--sidecar-image is required');
  });
});
