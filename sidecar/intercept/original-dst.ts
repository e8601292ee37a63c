// The transparent listener's first question about a connection: where was it
// going before the pod's nat rules redirected it here? The kernel keeps the
// answer in conntrack; SO_ORIGINAL_DST (IPv4) and IP6T_SO_ORIGINAL_DST (IPv6)
// read it, through the small addon in ./native (built by `make native`).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { agError } from '../../common/errors.js';

export interface OriginalDestination {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

interface Addon {
  originalDst(fd: number): OriginalDestination;
}

/** Where the built addon may be: an explicit path, beside this module, or in the source tree seen from dist/. */
function addonCandidates(): string[] {
  const explicit = process.env['AGENTGATE_ORIGINAL_DST_ADDON'];
  const relative = [
    './native/build/Release/original_dst.node',
    // dist/sidecar/intercept/original-dst.js -> <repo>/sidecar/intercept/native/...
    '../../../sidecar/intercept/native/build/Release/original_dst.node',
  ].map((r) => fileURLToPath(new URL(r, import.meta.url)));
  return explicit ? [explicit, ...relative] : relative;
}

/** Loads the addon from the first candidate that exists; AG_ERR_INTERCEPT_ADDON_MISSING names the places it looked. */
export function requireAddon(candidates: readonly string[]): Addon {
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined)
    throw agError('AG_ERR_INTERCEPT_ADDON_MISSING', `not found at ${candidates.join(', ')}`);
  try {
    return createRequire(import.meta.url)(path) as Addon;
  } catch (err) {
    throw agError('AG_ERR_INTERCEPT_ADDON_MISSING', `${path}: ${(err as Error).message}`);
  }
}

let addon: Addon | undefined;

/** The addon, loaded once per process. */
export function loadOriginalDstAddon(): Addon {
  addon ??= requireAddon(addonCandidates());
  return addon;
}

/** A connection's file descriptor; libuv exposes it on the handle on Linux. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw agError('AG_ERR_INTERCEPT_ORIGINAL_DST', 'the socket has no file descriptor (closed, or not TCP)');
  }
  return fd;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack listener) is the IPv4 address 10.0.0.1. */
function unmapped(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The destination the agent dialled. Throws AG_ERR_INTERCEPT_NOT_REDIRECTED when
 * the connection came to the listener directly: conntrack either has no entry
 * (ENOENT, ENOPROTOOPT) or its original destination is the listener itself.
 */
export function originalDestination(socket: Socket): OriginalDestination {
  const fd = socketFd(socket);
  const local = `${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`;
  let dst: OriginalDestination;
  try {
    dst = loadOriginalDstAddon().originalDst(fd);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOPROTOOPT') throw agError('AG_ERR_INTERCEPT_NOT_REDIRECTED', local);
    if (code === 'AG_ERR_INTERCEPT_ADDON_MISSING') throw err;
    throw agError('AG_ERR_INTERCEPT_ORIGINAL_DST', (err as Error).message);
  }
  if (dst.port === socket.localPort && dst.address === unmapped(socket.localAddress)) {
    throw agError('AG_ERR_INTERCEPT_NOT_REDIRECTED', local);
  }
  return dst;
}
