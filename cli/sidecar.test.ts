import { sidecarConfig } from './sidecar.js';

describe('agentgate sidecar flags', () => {
  test('defaults follow DESIGN.md', () => {
    const c = sidecarConfig(['--policy', 'p.yaml'], {});
    if (c === 'help') throw new Error('help');
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 15001 });
    expect(c.admin).toEqual({ host: '127.0.0.1', port: 15020 });
    expect(c.unknownDestination).toBe('deny');
    expect(c.transparent).toBe(true);
    expect(c.policyPaths).toEqual(['p.yaml']);
  });

  test('every flag also reads AGENTGATE_<FLAG>; repeatable ones split on commas', () => {
    const c = sidecarConfig([], {
      AGENTGATE_POLICY: 'a.yaml,b',
      AGENTGATE_OIDC_ISSUER: 'https://idp.example',
      AGENTGATE_OTLP_ENDPOINT: 'http://collector:4318',
      AGENTGATE_POD_LABELS: 'app=support-agent,tier=1',
      AGENTGATE_LISTEN: '[::]:15001',
    });
    if (c === 'help') throw new Error('help');
    expect(c.policyPaths).toEqual(['a.yaml', 'b']);
    expect(c.identity.oidcIssuer).toEqual(['https://idp.example']);
    expect(c.otlpEndpoint).toBe('http://collector:4318');
    expect(c.podLabels).toEqual({ app: 'support-agent', tier: '1' });
    expect(c.listen).toEqual({ host: '::', port: 15001 });
  });

  test('refuses a bad address and a bad unknown-destination', () => {
    expect(() => sidecarConfig(['--listen', 'nope'], {})).toThrow(
      expect.objectContaining({ code: 'AG_ERR_CLI_USAGE' }) as unknown as Error,
    );
    expect(() => sidecarConfig(['--unknown-destination', 'allow'], {})).toThrow(/deny or passthrough/);
  });

  test('audit spool limit and full-spool behaviour: defaults, values, and refusals', () => {
    const d = sidecarConfig(['--policy', 'p.yaml'], {});
    if (d === 'help') throw new Error('help');
    expect({ onFull: d.auditOnFull, max: d.spoolMaxBytes }).toEqual({
      onFull: 'block',
      max: 256 * 1024 * 1024,
    });
    const c = sidecarConfig(['--audit-on-full', 'drop-oldest', '--spool-max-mb', '64'], {});
    if (c === 'help') throw new Error('help');
    expect({ onFull: c.auditOnFull, max: c.spoolMaxBytes }).toEqual({
      onFull: 'drop-oldest',
      max: 64 * 1024 * 1024,
    });
    expect(() => sidecarConfig(['--audit-on-full', 'ignore'], {})).toThrow(/block or drop-oldest/);
    expect(() => sidecarConfig(['--spool-max-mb', '0'], {})).toThrow(/at least 1/);
  });

  test('audit group commit interval: 50 ms by default, from the flag or the environment, refused out of range', () => {
    const d = sidecarConfig([], {});
    const f = sidecarConfig(['--audit-flush-ms', '25'], {});
    const e = sidecarConfig([], { AGENTGATE_AUDIT_FLUSH_MS: '12' });
    if (d === 'help' || f === 'help' || e === 'help') throw new Error('help');
    expect([d.auditFlushMs, f.auditFlushMs, e.auditFlushMs]).toEqual([50, 25, 12]);
    for (const bad of ['0', '1001', '2.5', 'soon']) {
      expect(() => sidecarConfig(['--audit-flush-ms', bad], {})).toThrow(/from 1 to 1000/);
    }
  });

  test('audit fsync interval: 100 ms by default, 0 for every group commit, refused out of range', () => {
    const d = sidecarConfig([], {});
    const f = sidecarConfig(['--audit-fsync-ms', '0'], {});
    const e = sidecarConfig([], { AGENTGATE_AUDIT_FSYNC_MS: '1000' });
    if (d === 'help' || f === 'help' || e === 'help') throw new Error('help');
    expect([d.auditFsyncMs, f.auditFsyncMs, e.auditFsyncMs]).toEqual([100, 0, 1000]);
    for (const bad of ['-1', '10001', '2.5', 'never']) {
      expect(() => sidecarConfig([`--audit-fsync-ms=${bad}`], {})).toThrow(
        /from 0 \(every group commit\) to 10000/,
      );
    }
  });

  test('identity options reach the verifier configuration', () => {
    const c = sidecarConfig(
      [
        '--oidc-algorithms',
        'RS256, ES256',
        '--oidc-clock-skew',
        '5',
        '--workload-issuer',
        'https://k8s',
        '--workload-ca-file',
        '/ca',
        '--workload-bearer-token-file',
        '/t',
      ],
      {},
    );
    if (c === 'help') throw new Error('help');
    expect(c.identity).toMatchObject({
      oidcAlgorithms: ['RS256', 'ES256'],
      oidcClockSkew: 5,
      workloadIssuer: 'https://k8s',
      workloadCaFile: '/ca',
      workloadBearerTokenFile: '/t',
    });
    expect(() => sidecarConfig(['--oidc-clock-skew', 'soon'], {})).toThrow(/number of seconds/);
  });
});
