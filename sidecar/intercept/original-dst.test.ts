import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentgateError } from '../../common/errors.js';
import { loadOriginalDstAddon, originalDestination, requireAddon } from './original-dst.js';

// The redirected case needs nat rules, so it runs in network namespaces:
// test/intercept/redirect.test.ts. Here: what happens without a redirect.

async function acceptOne(host: string): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener = createServer();
  listener.listen(0, host);
  await once(listener, 'listening');
  const port = (listener.address() as { port: number }).port;
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect(port, host);
  const [server] = await accepted;
  return {
    server,
    client,
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AgentgateError ? err.code : `not an AgentgateError: ${String(err)}`;
  }
  return undefined;
}

describe('originalDestination', () => {
  test('the built addon loads and exposes originalDst', () => {
    expect(typeof loadOriginalDstAddon().originalDst).toBe('function');
  });

  test('refuses an IPv4 connection that reached the listener without a redirect', async () => {
    const c = await acceptOne('127.0.0.1');
    try {
      expect(codeOf(() => originalDestination(c.server))).toBe('AG_ERR_INTERCEPT_NOT_REDIRECTED');
    } finally {
      c.close();
    }
  });

  test('refuses an IPv6 connection that reached the listener without a redirect', async () => {
    const c = await acceptOne('::1');
    try {
      expect(codeOf(() => originalDestination(c.server))).toBe('AG_ERR_INTERCEPT_NOT_REDIRECTED');
    } finally {
      c.close();
    }
  });

  test('a destroyed socket is a clean error, not a crash', async () => {
    const c = await acceptOne('127.0.0.1');
    c.close();
    expect(codeOf(() => originalDestination(c.server))).toBe('AG_ERR_INTERCEPT_ORIGINAL_DST');
  });

  test('names where it looked when the addon is not built', () => {
    const missing = join(tmpdir(), 'agentgate-no-such-addon.node');
    expect(codeOf(() => requireAddon([missing]))).toBe('AG_ERR_INTERCEPT_ADDON_MISSING');
    try {
      requireAddon([missing]);
    } catch (err) {
      expect((err as Error).message).toContain(missing);
    }
  });

  test('a file that is not an addon is reported as missing addon, with the loader message', () => {
    const bogus = join(tmpdir(), `agentgate-bogus-${process.pid}.node`);
    writeFileSync(bogus, 'not an ELF file');
    expect(codeOf(() => requireAddon([bogus]))).toBe('AG_ERR_INTERCEPT_ADDON_MISSING');
  });

  test('the raw addon rejects a bad fd with a typed error', () => {
    const raw = loadOriginalDstAddon();
    expect(() => raw.originalDst(-1)).toThrow('fd must be a non-negative integer');
    let code: unknown;
    try {
      raw.originalDst(987654);
    } catch (err) {
      code = (err as { code?: unknown }).code;
    }
    expect(code).toBe('EBADF');
  });
});
