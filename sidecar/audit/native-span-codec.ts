// Loads the audit worker's native command span encoder (./native/span_codec.c).
// Why: encoding and chaining a command span costs about 3.3 µs of CPU in
// JavaScript (node:crypto's one-shot hash alone about 2 µs), most of the audit
// worker's CPU in a pod of two cores; the addon does the same in one call in
// about 1.2 µs, half of that SHA-256 itself. It declines what it does not
// implement (a traceparent, a `*/` in the query text, non-ASCII masked entity
// names, numbers that are not non-negative safe integers, times out of
// nsField's fast range, anything malformed): command-encoder.ts then runs its
// JavaScript encoder, which stays the reference (command-encoder-native.test.ts
// holds them equal).
//
// Loaded in the audit worker thread (the only importer). A missing or broken
// addon means one warning naming the paths tried and the JavaScript encoder:
// audit keeps working, only slower. AGENTGATE_AUDIT_NATIVE=0 chooses the
// JavaScript encoder (tests, benchmarks: the A/B comparison).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Positions in and out of one encode call (IO_* in span_codec.c). */
export const IO = { RPOS: 0, REND: 1, WPOS: 2, IDAT: 3, INDEX: 4, ENDMS: 5, WORDS: 8 } as const;

/** The native encoder: buffers bound once (again when one changes), then one encode call per span. */
export interface SpanCodec {
  /** The ring, the batch's buffer and the span ids' buffer encode works on until the next bind. */
  bind(ring: Buffer, out: Buffer, ids: Buffer): void;
  /**
   * Encodes the command record at io[RPOS]..io[REND] of the ring as one span at
   * io[WPOS] of the batch buffer, for the session `session` holds (packPieces,
   * last piece: 64 bytes where it keeps the hash it returns); returns that hash
   * and moves io[RPOS], io[WPOS] (and sets io[ENDMS]), or returns undefined
   * having changed nothing. `previousHash` undefined: the one `session` holds.
   */
  encode(session: Buffer, previousHash: string | undefined): string | undefined;
}

interface Addon {
  create(io: Float64Array, constants: Buffer): SpanCodec;
}

/** Extra room the caller ensures in the output beyond session + constants + 5 x record (SLACK in span_codec.c). */
export const NATIVE_SLACK = 1024;

/** Where the built addon may be: beside this module (source tree), or in the source tree seen from dist/. */
function addonCandidates(): string[] {
  return [
    './native/build/Release/span_codec.node',
    // dist/sidecar/audit/native-span-codec.js -> <repo>/sidecar/audit/native/...
    '../../../sidecar/audit/native/build/Release/span_codec.node',
  ].map((r) => fileURLToPath(new URL(r, import.meta.url)));
}

/**
 * Pieces as one buffer: u32 `flags`, then pieces.length + 1 u32 offsets from
 * the buffer's start (piece i is offset i to offset i + 1), then the bytes.
 */
export function packPieces(flags: number, pieces: readonly (Buffer | undefined)[]): Buffer {
  const header = 4 + 4 * (pieces.length + 1);
  let size = header;
  for (const p of pieces) size += p?.length ?? 0;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(flags, 0);
  let at = header;
  b.writeUInt32LE(at, 4);
  pieces.forEach((p, i) => {
    if (p !== undefined) at += p.copy(b, at);
    b.writeUInt32LE(at, 8 + 4 * i);
  });
  return b;
}

let warned = false;

/**
 * The native encoder bound to `io` and the constant pieces (see span_codec.c
 * for their order), or undefined: switched off, or not loadable (warned once).
 */
export function loadSpanCodec(
  io: Float64Array,
  constants: Buffer,
  candidates: readonly string[] = addonCandidates(),
): SpanCodec | undefined {
  if (process.env['AGENTGATE_AUDIT_NATIVE'] === '0') return undefined;
  const path = candidates.find((p) => existsSync(p));
  let why = `not found at ${candidates.join(', ')}`;
  if (path !== undefined) {
    try {
      return (createRequire(import.meta.url)(path) as Addon).create(io, constants);
    } catch (err) {
      why = `${path}: ${(err as Error).message} (tried ${candidates.join(', ')})`;
    }
  }
  if (!warned) {
    warned = true;
    process.emitWarning(
      `agentgate audit: native span encoder unavailable, encoding in JavaScript (slower): ${why}`,
    );
  }
  return undefined;
}
