// How a gateway session reads a socket. Node's usual path (a 'data' listener)
// makes every read cost a fresh allocation in Node's C++ layer, a Readable
// stream push and an event emit; net.Socket's `onread` option hands libuv a
// buffer of ours and calls us straight back. On the 2-core benchmark VM that
// cut a bare Node.js pipe's CPU per pgbench transaction by about a fifth
// (docs/sidecar.md, "Reading sockets"), and both sides of every session read
// once per command.
//
// Chunks stay valid for good: the framer and the outboxes keep slices of them
// (framer.ts). So no byte is ever read into memory handed out before: each
// socket owns a 64 KB region, every read lands after the previous one, and a
// region nearly used up is left to the garbage collector with whatever slices
// still point into it.
//
// `onread` is public API, but only for sockets Node creates for us with
// `net.connect`; an accepted socket (and one already connected) is re-wrapped:
// a new net.Socket around the same libuv handle, built with `onread`. That uses
// `_handle` and the `handle` option, Node internals that cluster and
// child_process rely on; where they are missing (a TLS socket, another
// runtime, AGENTGATE_SOCKET_ONREAD=0) the 'data' listener serves instead, and
// chunk-reader.test.ts fails if Node 24 stops taking the fast path.

import { Socket, type SocketConstructorOpts } from 'node:net';
import { TLSSocket } from 'node:tls';

const REGION = 64 * 1024;
/** Less than this left in a region: the next read gets a new region, not a sliver (a sliver would split a large result into many reads). */
const MIN_READ = 4 * 1024;

/** The part of Node's TCP handle the re-wrap touches. */
interface StreamHandle {
  reading?: boolean;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
}

const enabled = process.env['AGENTGATE_SOCKET_ONREAD'] !== '0';

/** One socket's read memory: consecutive reads fill one region, then the next. */
class Regions {
  private region = Buffer.allocUnsafe(REGION);
  private used = 0;

  /** Where the next read lands. */
  next(): Buffer {
    if (REGION - this.used < MIN_READ) {
      this.region = Buffer.allocUnsafe(REGION);
      this.used = 0;
    }
    return this.region.subarray(this.used);
  }

  /** The `n` bytes just read into `buf` (what next() returned), now owned by the caller. */
  take(buf: Buffer, n: number): Buffer {
    this.used += n;
    return buf.subarray(0, n);
  }
}

/**
 * Sends every chunk `socket` reads to `onChunk`, and returns the socket to use
 * from now on: `socket` itself on the 'data' path, or its re-wrap. Call it
 * before anything else reads, listens on or holds `socket`; pause(), resume(),
 * 'end', 'close' and 'error' work as usual on what it returns.
 */
export function readChunks(socket: Socket, onChunk: (chunk: Buffer) => void): Socket {
  const handle = fastHandle(socket);
  if (handle === null) {
    socket.on('data', onChunk);
    return socket;
  }
  // The new wrapper starts reading; libuv refuses a second start on a reading handle.
  if (handle.reading === true) {
    handle.readStop();
    handle.reading = false;
  }
  const regions = new Regions();
  const opts = {
    handle,
    onread: {
      buffer: () => regions.next(),
      callback: (n: number, buf: Uint8Array): boolean => {
        onChunk(regions.take(buf as Buffer, n));
        return true; // pausing goes through socket.pause(), as on the 'data' path
      },
    },
  } as unknown as SocketConstructorOpts;
  // The old wrapper lets go of the handle first: destroying it then closes
  // nothing, and settles its server's connection count.
  (socket as unknown as { _handle: StreamHandle | null })._handle = null;
  const wrapped = new Socket(opts);
  socket.destroy();
  // Flowing, so the end of the stream is emitted with no reader attached.
  wrapped.resume();
  return wrapped;
}

/** The socket's handle when the fast path can take it, else null. */
function fastHandle(socket: Socket): StreamHandle | null {
  if (!enabled || socket instanceof TLSSocket || socket.connecting || socket.destroyed) return null;
  // Bytes already read into the stream would be lost to the new wrapper.
  if (socket.readableLength > 0 || socket.listenerCount('data') > 0) return null;
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  if (typeof handle !== 'object' || handle === null) return null;
  const h = handle as Partial<StreamHandle>;
  return typeof h.useUserBuffer === 'function' && typeof h.readStop === 'function'
    ? (h as StreamHandle)
    : null;
}

/** True when readChunks re-wraps plain TCP sockets here (tests, metrics). */
export function onreadEnabled(): boolean {
  return enabled;
}
