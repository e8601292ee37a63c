// AdmissionReviews over real HTTPS to a running webhook, trusted through the
// CA bundle it generated, as the API server would send them.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureCertificates, FILES } from '../../webhook/certs.js';
import { injectConfig } from '../../webhook/config.js';
import { GOLDEN_BASE_CONFIG, goldenCases, goldenPolicies, TESTDATA } from '../../webhook/golden.js';
import { applyPodPatch, type PatchOperation } from '../../webhook/patch.js';
import type { Pod } from '../../webhook/pod-types.js';
import {
  MUTATE_NAMESPACE_ENABLED_PATH,
  MUTATE_PATH,
  startWebhookServer,
  type WebhookServer,
} from '../../webhook/server.js';
import { type EventRecorder, NO_EVENTS, NO_NAMESPACE_LOOKUP, staticPolicies } from '../../webhook/sources.js';
import { podReview, WebhookClient } from './https-client.js';

interface ReviewResponse {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    patchType?: string;
    patch?: string;
    warnings?: string[];
    status?: { code: number; message: string };
  };
}

let dir: string;
let server: WebhookServer;
let client: WebhookClient;
const events: { reason: string; name: string; message: string }[] = [];
const recorder: EventRecorder = {
  record: (who, _t, reason, message) => events.push({ reason, name: who.name, message }),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentgate-webhook-'));
  await ensureCertificates(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certFile: join(dir, FILES.cert),
    keyFile: join(dir, FILES.key),
    bodyLimit: 512 * 1024,
    deps: {
      config: injectConfig(GOLDEN_BASE_CONFIG),
      policies: staticPolicies(goldenPolicies()),
      namespaces: NO_NAMESPACE_LOOKUP,
      events: recorder,
    },
  });
  client = new WebhookClient(server.url, readFileSync(join(dir, FILES.bundle), 'utf8'));
});

afterAll(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the webhook over HTTPS', () => {
  for (const c of goldenCases()) {
    it(`${c.name}: answers with the request's uid and a patch that yields the golden pod`, async () => {
      const s = await startWebhookServerFor(c.config);
      try {
        const uid = `uid-${c.name}`;
        const path =
          c.namespaceLabels?.['agentgate.io/injection'] === 'enabled'
            ? MUTATE_NAMESPACE_ENABLED_PATH
            : MUTATE_PATH;
        const reply = await s.client.post(path, podReview(uid, c.namespace, c.pod));
        expect(reply.status).toBe(200);
        const review = reply.json<ReviewResponse>();
        expect(review.apiVersion).toBe('admission.k8s.io/v1');
        expect(review.kind).toBe('AdmissionReview');
        expect(review.response.uid).toBe(uid);
        const golden = parse(readFileSync(join(TESTDATA, `${c.name}.golden.yaml`), 'utf8')) as Record<
          string,
          unknown
        >;
        switch (golden['outcome']) {
          case 'injected': {
            expect(review.response.allowed).toBe(true);
            expect(review.response.patchType).toBe('JSONPatch');
            const patch = JSON.parse(
              Buffer.from(review.response.patch!, 'base64').toString('utf8'),
            ) as PatchOperation[];
            expect(applyPodPatch(c.pod, patch)).toEqual(golden['pod']);
            break;
          }
          case 'skipped':
            expect(review.response.allowed).toBe(true);
            expect(review.response.patch).toBeUndefined();
            expect(review.response.patchType).toBeUndefined();
            break;
          case 'refused':
            expect(review.response.allowed).toBe(false);
            expect(review.response.status?.code).toBe(403);
            expect(review.response.status?.message).toBe(golden['message']);
            break;
        }
        expect(review.response.warnings ?? []).toEqual(golden['warnings'] ?? []);
      } finally {
        await s.close();
      }
    });
  }

  it('injects a pod of an enabled namespace only through the namespace-enabled path', async () => {
    const job = goldenCases().find((c) => c.name === 'job-pod')!;
    const plain = (await client.post(MUTATE_PATH, podReview('a', 'agents', job.pod))).json<ReviewResponse>();
    expect(plain.response.patch).toBeUndefined();
    const enabled = (
      await client.post(MUTATE_NAMESPACE_ENABLED_PATH, podReview('b', 'agents', job.pod))
    ).json<ReviewResponse>();
    expect(enabled.response.patchType).toBe('JSONPatch');
  });

  it('lets anything but a pod CREATE through untouched', async () => {
    const pod = goldenCases().find((c) => c.name === 'deployment-pod')!.pod;
    const update = (
      await client.post(MUTATE_PATH, podReview('u1', 'agents', pod, 'UPDATE'))
    ).json<ReviewResponse>();
    expect(update.response).toEqual({ uid: 'u1', allowed: true });
    const notPod = podReview('u2', 'agents', { kind: 'ConfigMap' }) as { request: Record<string, unknown> };
    notPod.request['kind'] = { group: '', version: 'v1', kind: 'ConfigMap' };
    notPod.request['resource'] = { group: '', version: 'v1', resource: 'configmaps' };
    expect((await client.post(MUTATE_PATH, notPod)).json<ReviewResponse>().response).toEqual({
      uid: 'u2',
      allowed: true,
    });
  });

  it('records a Warning event on the controller of a refused pod', async () => {
    const nosy = goldenCases().find((c) => c.name === 'share-process-namespace')!.pod;
    const owned = structuredClone(nosy);
    owned.metadata!['ownerReferences'] = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nosy-rs', uid: 'x', controller: true },
    ];
    events.length = 0;
    await client.post(MUTATE_PATH, podReview('e1', 'agents', owned));
    expect(events).toEqual([
      expect.objectContaining({ reason: 'AgentgateInjectionRefused', name: 'nosy-rs' }),
    ]);
    // sideEffects None: a dry run answers the same and records nothing.
    const dry = podReview('e2', 'agents', owned) as { request: Record<string, unknown> };
    dry.request['dryRun'] = true;
    expect((await client.post(MUTATE_PATH, dry)).json<ReviewResponse>().response.allowed).toBe(false);
    expect(events).toHaveLength(1);
    // An injection is a Normal event on the controller, naming the credentials mounted.
    const deployed = goldenCases().find((c) => c.name === 'deployment-pod')!.pod;
    await client.post(MUTATE_PATH, podReview('e3', 'agents', deployed));
    expect(events[1]).toEqual({
      reason: 'AgentgateInjected',
      name: 'support-agent-7d9f8b6c5',
      message: 'agentgate sidecar injected into pod support-agent-7d9f8b6c5- with credentials for orders-db',
    });
  });
});

describe('kubectl debug on an injected pod', () => {
  const injected = (): Pod => {
    const golden = parse(readFileSync(join(TESTDATA, 'deployment-pod.golden.yaml'), 'utf8')) as { pod: Pod };
    return { ...golden.pod, metadata: { ...golden.pod.metadata, name: 'support-agent-x2k8q' } };
  };
  const debug = async (container: Record<string, unknown>): Promise<ReviewResponse['response']> => {
    const before = injected();
    const after = structuredClone(before);
    after.spec!['ephemeralContainers'] = [{ name: 'debugger', image: 'busybox:1.36', ...container }];
    const body = podReview('d1', 'agents', after, 'UPDATE') as { request: Record<string, unknown> };
    body.request['subResource'] = 'ephemeralcontainers';
    body.request['oldObject'] = before;
    return (await client.post(MUTATE_PATH, body)).json<ReviewResponse>().response;
  };

  it('allows a debug container that targets the app', async () => {
    expect(await debug({ targetContainerName: 'agent' })).toEqual({ uid: 'd1', allowed: true });
  });

  it("refuses one that targets the sidecar's process namespace", async () => {
    const r = await debug({ targetContainerName: 'agentgate-sidecar' });
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toContain('targets agentgate-sidecar');
  });

  it("refuses one that mounts the sidecar's credentials or runs as its UID", async () => {
    const mount = await debug({ volumeMounts: [{ name: 'agentgate-cred-orders-db', mountPath: '/x' }] });
    expect(mount.status?.message).toContain('reserved for the sidecar');
    const uid = await debug({ securityContext: { runAsUser: 15337 } });
    expect(uid.status?.message).toContain('UID 15337');
  });
});

describe('under concurrent load', () => {
  it('answers 400 interleaved reviews on 4 keep-alive connections, each with its own uid', async () => {
    const pods = goldenCases().map((c) => c.pod);
    const replies = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        i % 10 === 9
          ? client.send('POST', MUTATE_PATH, '{"broken":')
          : client.post(MUTATE_PATH, podReview(`c-${i}`, 'agents', pods[i % pods.length])),
      ),
    );
    replies.forEach((r, i) => {
      if (i % 10 === 9) expect(r.status).toBe(400);
      else expect([r.status, r.json<ReviewResponse>().response.uid]).toEqual([200, `c-${i}`]);
    });
  });
});

describe('bad requests get a clean error and the server stays up', () => {
  const cases: [string, string, number, string][] = [
    ['garbage', '{"apiVersion": "admission.k8s.io/v1", "kind": ', 400, 'not JSON'],
    ['an empty body', '', 400, 'not JSON'],
    ['a JSON array', '[1,2,3]', 400, 'expected an AdmissionReview object'],
    [
      'v1beta1',
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        request: { uid: 'x' },
      }),
      400,
      'unsupported apiVersion',
    ],
    [
      'the wrong kind',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }),
      400,
      'expected kind AdmissionReview',
    ],
    [
      'no request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      400,
      'has no request',
    ],
    [
      'no uid',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: {} } }),
      400,
      'request.uid',
    ],
    [
      'a huge body',
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        pad: 'x'.repeat(600 * 1024),
      }),
      413,
      'too large',
    ],
  ];
  for (const [what, body, status, message] of cases) {
    it(`answers ${what} with ${status} and AG_ERR_WEBHOOK_BAD_REVIEW`, async () => {
      const reply = await client.send('POST', MUTATE_PATH, body);
      expect(reply.status).toBe(status);
      const err = reply.json<{ error: string; message: string }>();
      expect(err.error).toBe('AG_ERR_WEBHOOK_BAD_REVIEW');
      expect(err.message).toContain(message);
      expect((await client.send('GET', '/healthz')).status).toBe(200);
    });
  }

  it('answers a non-JSON content type with 415', async () => {
    const reply = await client.send('POST', MUTATE_PATH, 'hello', 'text/plain');
    expect(reply.status).toBe(415);
    expect(reply.json<{ error: string }>().error).toBe('AG_ERR_WEBHOOK_BAD_REVIEW');
  });

  it('fails /healthz once draining, and still answers reviews', async () => {
    const s = await startWebhookServerFor(injectConfig(GOLDEN_BASE_CONFIG));
    try {
      expect((await s.client.send('GET', '/healthz')).status).toBe(200);
      s.drain();
      expect((await s.client.send('GET', '/healthz')).status).toBe(503);
      const pod = goldenCases().find((c) => c.name === 'deployment-pod')!.pod;
      expect((await s.client.post(MUTATE_PATH, podReview('dr', 'agents', pod))).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('counts injections, skips, refusals and bad requests in /metrics', async () => {
    const text = (await client.send('GET', '/metrics')).body;
    expect(text).toMatch(/^agentgate_webhook_injections_total [1-9]/m);
    expect(text).toMatch(/^agentgate_webhook_skips_total\{reason="not-a-pod-create"\} [1-9]/m);
    expect(text).toMatch(/^agentgate_webhook_refusals_total [1-9]/m);
    expect(text).toMatch(/^agentgate_webhook_bad_requests_total [1-9]/m);
    // The +Inf bucket: whether an admission fits a finer bucket depends on the machine's load.
    expect(text).toMatch(
      /^agentgate_webhook_admission_duration_seconds_bucket\{le="\+Inf",outcome="injected"\} [1-9]/m,
    );
  });
});

/** A second server with a case's own configuration, sharing the certificates. */
async function startWebhookServerFor(
  config: ReturnType<typeof injectConfig>,
): Promise<{ client: WebhookClient; drain(): void; close(): Promise<void> }> {
  const s = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certFile: join(dir, FILES.cert),
    keyFile: join(dir, FILES.key),
    metrics: undefined,
    deps: {
      config,
      policies: staticPolicies(goldenPolicies()),
      namespaces: NO_NAMESPACE_LOOKUP,
      events: NO_EVENTS,
    },
  });
  const c = new WebhookClient(s.url, readFileSync(join(dir, FILES.bundle), 'utf8'));
  return {
    client: c,
    drain: () => s.drain(),
    close: async () => {
      c.close();
      await s.close();
    },
  };
}
