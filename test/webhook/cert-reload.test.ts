// Certificates rotated on disk reach new connections without a restart; a
// half-written or mismatched pair is ignored and the server keeps serving.

import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ensureCertificates, FILES } from '../../webhook/certs.js';
import { injectConfig } from '../../webhook/config.js';
import { startWebhookServer, type WebhookServer } from '../../webhook/server.js';
import { NO_EVENTS, NO_NAMESPACE_LOOKUP, staticPolicies } from '../../webhook/sources.js';
import { WebhookClient } from './https-client.js';

let dir: string;
let server: WebhookServer;

function peerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentgate-reload-'));
  await ensureCertificates(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certFile: join(dir, FILES.cert),
    keyFile: join(dir, FILES.key),
    certPollMs: 3_600_000,
    deps: {
      config: injectConfig(),
      policies: staticPolicies([]),
      namespaces: NO_NAMESPACE_LOOKUP,
      events: NO_EVENTS,
    },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('certificate reload', () => {
  it('serves a rotated CA and certificate to new connections while an open one keeps working', async () => {
    const oldBundle = readFileSync(join(dir, FILES.bundle), 'utf8');
    const oldLeaf = new X509Certificate(readFileSync(join(dir, FILES.cert))).fingerprint256;
    const keepAlive = new WebhookClient(server.url, oldBundle);
    expect((await keepAlive.send('GET', '/healthz')).status).toBe(200);
    expect(await peerFingerprint(server.port, oldBundle)).toBe(oldLeaf);

    // Force a CA rotation as ensureCertificates would do near the CA's expiry.
    rmSync(join(dir, FILES.caKey));
    const rotated = await ensureCertificates(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    expect(rotated.changed).toBe('ca');
    expect(await server.reloader.check()).toBe(true);

    const newLeaf = new X509Certificate(rotated.serving.cert).fingerprint256;
    expect(newLeaf).not.toBe(oldLeaf);
    // The new bundle holds both CAs, so a client with it trusts the new certificate.
    expect(await peerFingerprint(server.port, rotated.caBundle)).toBe(newLeaf);
    // The kept-alive connection was set up before the rotation and still answers.
    expect((await keepAlive.send('GET', '/healthz')).status).toBe(200);
    keepAlive.close();
  });

  it('picks up a rotation from the file watch alone', async () => {
    const before = await peerFingerprint(server.port, readFileSync(join(dir, FILES.bundle), 'utf8'));
    rmSync(join(dir, FILES.cert));
    const renewed = await ensureCertificates(dir, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const want = new X509Certificate(renewed.serving.cert).fingerprint256;
    expect(want).not.toBe(before);
    let seen = before;
    for (let i = 0; i < 100 && seen !== want; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await peerFingerprint(server.port, renewed.caBundle);
    }
    expect(seen).toBe(want);
  });

  it('keeps the current pair when the new key does not match the certificate', async () => {
    const bundle = readFileSync(join(dir, FILES.bundle), 'utf8');
    const current = await peerFingerprint(server.port, bundle);
    const other = mkdtempSync(join(tmpdir(), 'agentgate-other-'));
    try {
      const foreign = await ensureCertificates(other, { dnsNames: ['localhost'] });
      writeFileSync(join(dir, FILES.key), foreign.serving.key);
      expect(await server.reloader.check()).toBe(false);
      expect(await peerFingerprint(server.port, bundle)).toBe(current);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
