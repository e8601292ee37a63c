import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCertificates, FILES, splitPem } from './certs.js';

const DAY = 86_400_000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentgate-certs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const opts = {
  dnsNames: [
    'agentgate-webhook.agentgate-system.svc',
    'agentgate-webhook.agentgate-system.svc.cluster.local',
  ],
};

describe('webhook certificates', () => {
  it('makes a CA and a serving certificate for the service names, signed by it', async () => {
    const set = await ensureCertificates(dir, opts);
    expect(set.changed).toBe('ca');
    const ca = new X509Certificate(readFileSync(join(dir, FILES.caCert)));
    const leaf = new X509Certificate(readFileSync(join(dir, FILES.cert)));
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('agentgate-webhook.agentgate-system.svc')).toBe(
      'agentgate-webhook.agentgate-system.svc',
    );
    expect(leaf.checkHost('evil.example.com')).toBeUndefined();
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(splitPem(set.caBundle)).toHaveLength(1);
  });

  it('reuses certificates that still fit', async () => {
    const first = await ensureCertificates(dir, opts);
    const again = await ensureCertificates(dir, opts);
    expect(again.changed).toBe('none');
    expect(again.serving.cert).toBe(first.serving.cert);
  });

  it('renews the serving certificate near its expiry, keeping the CA', async () => {
    const first = await ensureCertificates(dir, opts);
    const later = await ensureCertificates(dir, { ...opts, now: () => new Date(Date.now() + 340 * DAY) });
    expect(later.changed).toBe('serving');
    expect(later.ca.cert).toBe(first.ca.cert);
    expect(later.serving.cert).not.toBe(first.serving.cert);
  });

  it('issues a new serving certificate when the service names change', async () => {
    await ensureCertificates(dir, opts);
    const moved = await ensureCertificates(dir, { dnsNames: ['agentgate-webhook.other.svc'] });
    expect(moved.changed).toBe('serving');
    expect(new X509Certificate(moved.serving.cert).checkHost('agentgate-webhook.other.svc')).toBeDefined();
  });

  it('rotates the CA before it expires and keeps the old one in the bundle while it is valid', async () => {
    const first = await ensureCertificates(dir, { ...opts, caValidDays: 100 });
    const rotated = await ensureCertificates(dir, {
      ...opts,
      caValidDays: 100,
      now: () => new Date(Date.now() + 20 * DAY),
    });
    expect(rotated.changed).toBe('ca');
    const bundle = splitPem(rotated.caBundle).map((p) => new X509Certificate(p).fingerprint256);
    expect(bundle).toEqual([
      new X509Certificate(rotated.ca.cert).fingerprint256,
      new X509Certificate(first.ca.cert).fingerprint256,
    ]);
    // Once the old CA has expired, it leaves the bundle.
    const much = await ensureCertificates(dir, {
      ...opts,
      caValidDays: 100,
      now: () => new Date(Date.now() + 101 * DAY),
    });
    expect(splitPem(much.caBundle).map((p) => new X509Certificate(p).fingerprint256)).not.toContain(
      new X509Certificate(first.ca.cert).fingerprint256,
    );
  });
});
