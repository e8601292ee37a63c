import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { onreadEnabled, readChunks } from './chunk-reader.js';

interface Accepted {
  raw: Socket;
  sock: Socket;
  /** The chunks as delivered (views into the reader's memory). */
  chunks: Buffer[];
  /** A copy of each, taken when it arrived. */
  onArrival: Buffer[];
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/**
 * A loopback connection: `c` the client, its accepted end read through
 * readChunks (what each read delivers kept, chunk by chunk); closed after the test.
 */
async function connected(): Promise<Accepted & { srv: Server; c: Socket }> {
  let resolve!: (v: Accepted) => void;
  const accepted = new Promise<Accepted>((r) => {
    resolve = r;
  });
  const srv = createServer((raw) => {
    const chunks: Buffer[] = [];
    const onArrival: Buffer[] = [];
    const sock = readChunks(raw, (ch) => {
      chunks.push(ch);
      onArrival.push(Buffer.from(ch));
    });
    resolve({ raw, sock, chunks, onArrival });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const c = connect((srv.address() as { port: number }).port, '127.0.0.1');
  const a = await accepted;
  cleanup.push(() => {
    c.destroy();
    a.sock.destroy();
    if (srv.listening) srv.close();
  });
  return { ...a, srv, c };
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('timed out waiting');
}

describe('readChunks', () => {
  // AGENTGATE_SOCKET_ONREAD=0 turns the fast path off on purpose.
  (onreadEnabled() ? it : it.skip)(
    'takes the onread path for an accepted TCP socket on this Node.js',
    async () => {
      const { raw, sock, c } = await connected();
      // A new wrapper around the same connection: if Node stops allowing it, this fails and says so.
      expect(sock).not.toBe(raw);
      expect(raw.destroyed).toBe(true);
      expect(sock.remotePort).toBe(c.localPort);
    },
  );

  it('delivers every byte in order, and earlier chunks are never overwritten by later reads', async () => {
    const { c, chunks, onArrival } = await connected();
    // Small writes, then ones larger than a region, so reads land at every offset and across regions.
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) sent.push(pattern(1 + ((i * 97) % 3000), i));
    for (let i = 0; i < 6; i++) sent.push(pattern(70_000 + i * 13_001, 200 + i));
    let seen = 0;
    for (const b of sent) {
      c.write(b);
      await until(() => chunks.reduce((n, x) => n + x.length, 0) >= seen + b.length);
      seen += b.length;
    }
    expect(chunks.length).toBeGreaterThan(sent.length / 2);
    // Every chunk still holds what it held when it arrived, after every later read.
    const changed = chunks.findIndex((ch, i) => !ch.equals(onArrival[i]!));
    expect(changed).toBe(-1);
    expect(Buffer.concat(chunks).equals(Buffer.concat(sent))).toBe(true);
  });

  it('reads nothing while paused and everything after resume (backpressure)', async () => {
    const { c, sock, chunks } = await connected();
    c.write('first');
    await until(() => chunks.length > 0);
    sock.pause();
    c.write('second');
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(chunks).toString()).toBe('first');
    sock.resume();
    await until(() => Buffer.concat(chunks).length === 11);
    expect(Buffer.concat(chunks).toString()).toBe('firstsecond');
  });

  it('ends and closes when the peer closes, and writes still work before that', async () => {
    const { srv, c, sock } = await connected();
    const got: Buffer[] = [];
    c.on('data', (b: Buffer) => got.push(b));
    sock.write('hello');
    await until(() => Buffer.concat(got).toString() === 'hello');
    const closed = once(sock, 'close');
    c.end();
    await closed;
    srv.close();
    await once(srv, 'close'); // the server's connection count settled: close() was not left waiting
  });

  it('wraps a connected client socket too, and data read before is not lost', async () => {
    const srv = createServer((s) => {
      s.write('early');
      s.on('data', (b: Buffer) => s.write(b));
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const c = connect((srv.address() as { port: number }).port, '127.0.0.1');
    await once(c, 'connect');
    await new Promise((r) => setTimeout(r, 50)); // 'early' is waiting in the kernel
    const chunks: Buffer[] = [];
    const sock = readChunks(c, (ch) => chunks.push(ch));
    sock.write('echo');
    await until(() => Buffer.concat(chunks).toString() === 'earlyecho');
    sock.destroy();
    srv.close();
  });

  it('keeps the data event for a TLS socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-chunk-reader-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(join(dir, 'k.pem'));
    const cert = readFileSync(join(dir, 'c.pem'));
    rmSync(dir, { recursive: true });
    const srv = createTlsServer({ key, cert }, (s) => s.end('over tls'));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const c = tlsConnect({
      port: (srv.address() as { port: number }).port,
      host: '127.0.0.1',
      rejectUnauthorized: false,
    });
    const chunks: Buffer[] = [];
    const sock = readChunks(c, (ch) => chunks.push(ch));
    expect(sock).toBe(c);
    await until(() => Buffer.concat(chunks).toString() === 'over tls');
    c.destroy();
    srv.close();
  });

  it('leaves a socket that already has a data listener on the data path', () => {
    const s = new Socket();
    const onData = () => {};
    s.on('data', onData);
    expect(readChunks(s, () => {})).toBe(s);
    s.destroy();
  });
});
