// Workload identity: the pod's projected service-account token, verified
// against the cluster issuer (here a real provider issuing tokens shaped like
// the Kubernetes API server's), names the pod.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createVerifier, type TokenVerifier } from '../../sidecar/identity/verifier.js';
import { workloadIdentity } from '../../sidecar/identity/workload.js';
import { type OidcHarness, startOidcProvider } from './oidc-harness.js';

let company: OidcHarness;
let cluster: OidcHarness;
let verifier: TokenVerifier;
let dir: string;

const saClaims = (namespace: string, sa: string, pod: string) => ({
  subject: `system:serviceaccount:${namespace}:${sa}`,
  claims: {
    'kubernetes.io': {
      namespace,
      serviceaccount: { name: sa, uid: '0a7c-sa' },
      pod: { name: pod, uid: '5e1d-pod' },
      node: { name: 'node-1', uid: '9f3b-node' },
    },
  },
});

beforeAll(async () => {
  company = await startOidcProvider();
  cluster = await startOidcProvider({ alg: 'ES256', audience: 'agentgate-workload' });
  verifier = await createVerifier({
    issuers: [
      { issuer: company.issuer, audiences: ['agentgate'] },
      { issuer: cluster.issuer, audiences: ['agentgate-workload'] },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'agentgate-sa-'));
});

afterAll(async () => {
  verifier.close();
  await company.close();
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

async function tokenFile(token: string): Promise<string> {
  const file = join(dir, `token-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `${token}\n`);
  return file;
}

test('runs a tokenless connection as the pod named by its projected service-account token', async () => {
  const file = await tokenFile(
    await cluster.mintToken([], saClaims('shop', 'support-agent', 'support-agent-7f9c')),
  );
  const id = await workloadIdentity(verifier, file);
  expect(id).toMatchObject({
    kind: 'workload',
    subject: 'system:serviceaccount:shop:support-agent',
    issuer: cluster.issuer,
    workload: { namespace: 'shop', serviceAccount: 'support-agent', podName: 'support-agent-7f9c' },
  });
  expect(id.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:shop']);
  expect(id.expiresAt).toBeUndefined();
});

test('reads the file again each time, so a token kubelet rotated in place is used', async () => {
  const file = await tokenFile(await cluster.mintToken([], saClaims('shop', 'a', 'pod-1')));
  expect((await workloadIdentity(verifier, file)).workload?.podName).toBe('pod-1');
  writeFileSync(file, await cluster.mintToken([], saClaims('shop', 'a', 'pod-2')));
  expect((await workloadIdentity(verifier, file)).workload?.podName).toBe('pod-2');
});

test('refuses when no workload token is mounted, as a missing token', async () => {
  await expect(workloadIdentity(verifier, join(dir, 'absent'))).rejects.toMatchObject({
    code: 'AG_ERR_AUTH_TOKEN_MISSING',
  });
  await expect(workloadIdentity(verifier, await tokenFile(''))).rejects.toMatchObject({
    code: 'AG_ERR_AUTH_TOKEN_MISSING',
  });
});

test('refuses a valid token that is not a service-account token', async () => {
  const file = await tokenFile(await company.mintToken(['ai-agents']));
  await expect(workloadIdentity(verifier, file)).rejects.toMatchObject({
    code: 'AG_ERR_AUTH_TOKEN_INVALID',
    message: expect.stringContaining('not a Kubernetes service-account token'),
  });
});

test('refuses a service-account token from an issuer that is not trusted', async () => {
  const stranger = await startOidcProvider({ audience: 'agentgate-workload' });
  try {
    const file = await tokenFile(await stranger.mintToken([], saClaims('shop', 'a', 'p')));
    await expect(workloadIdentity(verifier, file)).rejects.toMatchObject({
      code: 'AG_ERR_AUTH_TOKEN_INVALID',
    });
  } finally {
    await stranger.close();
  }
});

test('refuses a service-account token whose subject and kubernetes.io claim disagree', async () => {
  const forged = saClaims('shop', 'a', 'p');
  forged.subject = 'system:serviceaccount:kube-system:admin';
  const file = await tokenFile(await cluster.mintToken([], forged));
  await expect(workloadIdentity(verifier, file)).rejects.toMatchObject({
    message: expect.stringContaining('disagrees'),
  });
});
