// The injected pod as an RFC 6902 JSON Patch against the pod the API server
// sent. fast-json-patch's compare() walks both objects and escapes keys per
// RFC 6901 ('~' -> '~0', '/' -> '~1'), which annotation keys need.

import fjp, { type Operation } from 'fast-json-patch';
import type { Pod } from './pod-types.js';

export type PatchOperation = Operation;

export function podPatch(original: Pod, mutated: Pod): PatchOperation[] {
  return fjp.compare(original, mutated);
}

/** Applies a patch to a copy, validating each operation (tests and tools). */
export function applyPodPatch(original: Pod, patch: readonly PatchOperation[]): Pod {
  return fjp.applyPatch(structuredClone(original), [...patch], true, false).newDocument;
}
