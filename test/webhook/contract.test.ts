// The injected containers against the real command-line parsers of the
// commands they run: every flag and AGENTGATE_* variable the webhook writes
// must mean to `agentgate sidecar` and `agentgate iptables` what the webhook
// intends, or the pod would crash-loop in the cluster rather than fail here.

import { parseFlags } from '../../cli/args.js';
import { FLAGS as IPTABLES_FLAGS } from '../../cli/iptables.js';
import { sidecarConfig } from '../../cli/sidecar.js';
import { PolicyEngine } from '../../sidecar/policy/engine.js';
import { injectConfig, PATHS } from '../../webhook/config.js';
import { goldenCases, goldenPolicies } from '../../webhook/golden.js';
import { injectPod } from '../../webhook/inject.js';
import type { Container, Pod } from '../../webhook/pod-types.js';

const engine = PolicyEngine.compile(goldenPolicies());

function injected(): { name: string; pod: Pod; config: ReturnType<typeof goldenCases>[number]['config'] }[] {
  return goldenCases().flatMap((c) => {
    const out = injectPod(
      c.pod,
      { namespace: c.namespace, namespaceLabels: c.namespaceLabels, policies: engine },
      c.config,
    );
    return out.kind === 'injected' ? [{ name: c.name, pod: out.pod, config: c.config }] : [];
  });
}

function container(pod: Pod, name: string): Container {
  const spec = pod.spec!;
  const c = [...(spec.initContainers ?? []), ...spec.containers].find((x) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  return c;
}

/** The container's environment as the kubelet would set it (downward API filled in). */
function envOf(c: Container): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] =
      e.value ?? (field === 'metadata.namespace' ? 'agents' : field === 'metadata.name' ? 'agent-pod-1' : '');
  }
  return env;
}

describe('injected containers and the commands they run', () => {
  for (const { name, pod, config } of injected()) {
    it(`${name}: agentgate sidecar reads the injected flags and environment as intended`, () => {
      const sidecar = container(pod, 'agentgate-sidecar');
      expect(sidecar.args![0]).toBe('sidecar');
      const parsed = sidecarConfig(sidecar.args!.slice(1), envOf(sidecar));
      if (parsed === 'help') throw new Error('help');
      expect(parsed.listen.port).toBe(config.proxyPort);
      expect(parsed.admin.port).toBe(config.adminPort);
      expect(parsed.namespace).toBe('agents');
      expect(parsed.podName).toBe('agent-pod-1');
      expect(parsed.podLabels).toEqual(pod.metadata?.labels ?? {});
      expect(parsed.secretsDir).toBe(PATHS.secretsDir);
      expect(parsed.policyPaths).toEqual(config.policySource.kind === 'configMap' ? [PATHS.policyDir] : []);
      expect(parsed.identity.oidcIssuer).toEqual(config.oidcIssuers);
      expect(parsed.identity.workloadAudience).toBe(config.tokenAudience);
      // Each path the sidecar reads is a volume mounted into it.
      const mounts = (sidecar.volumeMounts ?? []).map((m) => m.mountPath);
      expect(mounts).toContain(parsed.workloadTokenFile!.replace(/\/token$/, ''));
      if (config.policySource.kind === 'configMap') expect(mounts).toContain(PATHS.policyDir);
      expect(mounts).toContain(parsed.spoolDir!.replace(/\/spool$/, ''));
    });

    it(`${name}: agentgate iptables reads the init step's flags, exempting the sidecar's UID and GID`, () => {
      const init = container(pod, 'agentgate-init');
      expect(init.args![0]).toBe('iptables');
      const { values, positionals } = parseFlags('iptables', IPTABLES_FLAGS, init.args!.slice(1), {});
      expect(positionals).toEqual([]);
      expect(values['proxy-port']).toBe(String(config.proxyPort));
      expect(values['proxy-uid']).toBe(String(config.proxyUid));
      expect(values['proxy-gid']).toBe(String(config.proxyGid));
      expect(values['admin-port']).toBe(String(config.adminPort));
      const sidecar = container(pod, 'agentgate-sidecar');
      expect(sidecar.securityContext?.runAsUser).toBe(config.proxyUid);
      expect(sidecar.securityContext?.runAsGroup).toBe(config.proxyGid);
    });
  }

  it('passes the exclusions through unchanged', () => {
    const ex = injected().find((c) => c.name === 'exclusions')!;
    const { values } = parseFlags(
      'iptables',
      IPTABLES_FLAGS,
      container(ex.pod, 'agentgate-init').args!.slice(1),
      {},
    );
    expect(values['exclude-ports']).toEqual(['53,9000-9100']);
    expect(values['exclude-cidrs']).toEqual(['169.254.0.0/16,fd00::/8']);
  });

  it("passes the issuers, audience and the IdP's groups and subject claims through to the sidecar's identity", () => {
    const c = goldenCases().find((x) => x.name === 'deployment-pod')!;
    const config = injectConfig({
      ...c.config,
      oidcIssuers: ['https://keycloak.example.com/realms/agents'],
      oidcAudience: 'agentgate',
      groupsClaim: 'realm_access.roles',
      subjectClaim: 'azp',
    });
    const out = injectPod(
      c.pod,
      { namespace: c.namespace, namespaceLabels: c.namespaceLabels, policies: engine },
      config,
    );
    if (out.kind !== 'injected') throw new Error(out.kind);
    const sidecar = container(out.pod, 'agentgate-sidecar');
    const parsed = sidecarConfig(sidecar.args!.slice(1), envOf(sidecar));
    if (parsed === 'help') throw new Error('help');
    expect(parsed.identity).toMatchObject({
      oidcIssuer: ['https://keycloak.example.com/realms/agents'],
      oidcAudience: ['agentgate'],
      groupsClaim: 'realm_access.roles',
      subjectClaim: 'azp',
    });
  });
});
