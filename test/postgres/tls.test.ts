// TLS on the upstream hop. The machine's PostgreSQL runs without TLS, so a
// front in this test speaks PostgreSQL's side of the SSLRequest dance ('S',
// then a TLS handshake with a certificate from a throwaway CA made by openssl)
// and passes the decrypted bytes to the real server.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import { startGateway } from './gateway-harness.js';

interface Pki {
  ca: string;
  otherCa: string;
  key: string;
  cert: string;
}

function makePki(): Pki {
  const d = mkdtempSync(join(tmpdir(), 'agentgate-tls-'));
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  for (const name of ['ca', 'other']) {
    o(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=agentgate test ${name} CA`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    );
  }
  o(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  o(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.crt',
  );
  const r = (f: string) => readFileSync(join(d, f), 'utf8');
  return { ca: r('ca.crt'), otherCa: r('other.crt'), key: r('server.key'), cert: r('server.crt') };
}

/** Answers SSLRequest with `answer`; with 'S', terminates TLS and forwards to the real server. */
async function tlsFront(
  pki: Pki,
  answer: 'S' | 'N',
): Promise<{ port: number; sawTls: () => boolean; server: Server }> {
  let tls = false;
  const server = createServer((raw: Socket) => {
    raw.once('data', (first: Buffer) => {
      if (first.length !== 8 || first.readInt32BE(4) !== 80877103) {
        raw.destroy();
        return;
      }
      raw.write(answer);
      if (answer === 'N') return;
      const secure = new TLSSocket(raw, { isServer: true, key: pki.key, cert: pki.cert });
      secure.once('secure', () => {
        tls = true;
      });
      const up = connect(5432, '127.0.0.1');
      secure.pipe(up);
      up.pipe(secure);
      secure.on('error', () => up.destroy());
      up.on('error', () => secure.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, sawTls: () => tls, server };
}

const pki = makePki();

async function query(gwPort: number): Promise<unknown> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: gwPort,
    user: 'agent',
    password: 't',
    database: 'postgres',
  });
  await c.connect();
  try {
    return (await c.query('SELECT 1 AS one')).rows;
  } finally {
    await c.end();
  }
}

test('verify-full connects over TLS when the certificate chains to the target CA and names the host', async () => {
  const front = await tlsFront(pki, 'S');
  const gw = await startGateway({
    credentials: { username: 'postgres', password: '' },
    target: { address: `localhost:${front.port}`, tls: { mode: 'verify-full' } },
    ca: pki.ca,
  });
  expect(await query(gw.port)).toEqual([{ one: 1 }]);
  expect(front.sawTls()).toBe(true);
  await gw.close();
  front.server.close();
});

test('verify-full refuses a certificate from another CA; require accepts it without verifying', async () => {
  const front = await tlsFront(pki, 'S');
  const strict = await startGateway({
    credentials: { username: 'postgres', password: '' },
    target: { address: `localhost:${front.port}`, tls: { mode: 'verify-full' } },
    ca: pki.otherCa,
  });
  await expect(query(strict.port)).rejects.toMatchObject({
    code: '08006',
    message: expect.stringMatching(/^agentgate: upstream orders-db unavailable: TLS/),
  });
  await strict.close();
  const lax = await startGateway({
    credentials: { username: 'postgres', password: '' },
    target: { address: `127.0.0.1:${front.port}`, tls: { mode: 'require' } },
  });
  expect(await query(lax.port)).toEqual([{ one: 1 }]);
  await lax.close();
  front.server.close();
});

test('require refuses a server that declines TLS instead of falling back to plaintext', async () => {
  const front = await tlsFront(pki, 'N');
  const gw = await startGateway({
    credentials: { username: 'postgres', password: '' },
    target: { address: `127.0.0.1:${front.port}`, tls: { mode: 'require' } },
  });
  await expect(query(gw.port)).rejects.toMatchObject({
    code: '08006',
    message: expect.stringMatching(/does not offer TLS/),
  });
  await gw.close();
  front.server.close();
});

test('with a certificate, the agent hop is TLS too: psql with sslmode=verify-full connects', async () => {
  const gw = await startGateway({
    credentials: { username: 'postgres', password: '' },
    agentTls: createSecureContext({ key: pki.key, cert: pki.cert }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-tls-client-'));
  writeFileSync(join(dir, 'ca.crt'), pki.ca);
  const { stdout } = await promisify(execFile)(
    'psql',
    [
      `host=localhost port=${gw.port} user=agent dbname=postgres sslmode=verify-full sslrootcert=${join(dir, 'ca.crt')}`,
      '-X',
      '-A',
      '-t',
      '-c',
      'SELECT 6 * 7',
      '-c',
      '\\conninfo',
    ],
    { env: { ...process.env, PGPASSWORD: 'token' } },
  );
  expect(stdout).toContain('42');
  expect(stdout).toMatch(/SSL connection \(protocol: TLS/);
  await gw.close();
});

test('plaintext bytes sent after SSLRequest, before the handshake, end the session', async () => {
  const gw = await startGateway({
    credentials: { username: 'postgres', password: '' },
    agentTls: createSecureContext({ key: pki.key, cert: pki.cert }),
  });
  const s = connect(gw.port, '127.0.0.1');
  const sslRequest = Buffer.alloc(8);
  sslRequest.writeInt32BE(8);
  sslRequest.writeInt32BE(80877103, 4);
  const got: Buffer[] = [];
  s.on('data', (b: Buffer) => got.push(b));
  s.write(Buffer.concat([sslRequest, Buffer.from('injected')]));
  await new Promise((r) => s.on('close', r));
  expect(Buffer.concat(got).toString()).toMatch(/data after SSLRequest/);
  await gw.close();
});
