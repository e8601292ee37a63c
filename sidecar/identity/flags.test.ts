import { expect, test } from '@jest/globals';
import { resolveConfig } from './config.js';
import { IN_CLUSTER, verifierOptionsFromFlags } from './flags.js';

test('maps the sidecar flags onto every company issuer', () => {
  const c = resolveConfig(
    verifierOptionsFromFlags({
      oidcIssuer: ['https://a.example', 'https://b.example'],
      oidcAudience: ['agentgate', 'api://agentgate'],
      groupsClaim: 'realm_access.roles',
      oidcClockSkew: 10,
    }),
  );
  expect(c.issuers.map((i) => [i.issuer, i.audiences, i.groupsPath])).toEqual([
    ['https://a.example', ['agentgate', 'api://agentgate'], ['realm_access', 'roles']],
    ['https://b.example', ['agentgate', 'api://agentgate'], ['realm_access', 'roles']],
  ]);
  expect(c.clockSkewSeconds).toBe(10);
});

test('gives the workload issuer its own audience and in-cluster keys, CA and credential', () => {
  const c = resolveConfig(
    verifierOptionsFromFlags({
      oidcIssuer: ['https://idp.example', 'https://kubernetes.default.svc.cluster.local'],
      oidcAudience: ['agentgate-api'],
      workloadIssuer: 'https://kubernetes.default.svc.cluster.local',
    }),
  );
  expect(c.issuers).toHaveLength(2);
  expect(c.issuers[1]).toMatchObject({
    issuer: 'https://kubernetes.default.svc.cluster.local',
    audiences: ['agentgate'],
    jwksUri: IN_CLUSTER.jwksUri,
    caFile: IN_CLUSTER.caFile,
    bearerTokenFile: IN_CLUSTER.bearerTokenFile,
  });
});

test('lets the workload issuer take its CA and bearer credential from given files, outside a pod', () => {
  const c = resolveConfig(
    verifierOptionsFromFlags({
      oidcIssuer: [],
      oidcAudience: [],
      workloadIssuer: 'https://127.0.0.1:6443',
      workloadJwksUri: 'https://127.0.0.1:6443/openid/v1/jwks',
      workloadCaFile: '/tmp/cluster-ca.crt',
      workloadBearerTokenFile: '/tmp/reader-token',
    }),
  );
  expect(c.issuers[0]).toMatchObject({
    issuer: 'https://127.0.0.1:6443',
    jwksUri: 'https://127.0.0.1:6443/openid/v1/jwks',
    caFile: '/tmp/cluster-ca.crt',
    bearerTokenFile: '/tmp/reader-token',
  });
});
