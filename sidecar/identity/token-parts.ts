// Reads a compact JWS's header and claims WITHOUT verifying them, only to pick
// the issuer and key to verify against. Nothing read here is trusted: the
// verifier re-checks every claim through jose after the signature holds.

import { agError } from '../../common/errors.js';

export type JsonObject = { readonly [key: string]: unknown };

export interface UnverifiedToken {
  readonly header: JsonObject;
  readonly claims: JsonObject;
  readonly alg: string;
  readonly kid: string | undefined;
  readonly iss: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodeSegment(segment: string, what: string): JsonObject {
  if (segment === '' || !BASE64URL.test(segment)) {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', `malformed token: ${what} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', `malformed token: ${what} is not JSON`);
  }
  if (!isObject(value))
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', `malformed token: ${what} is not an object`);
  return value;
}

/**
 * Splits and decodes; refuses anything that is not a three-part compact JWS
 * (an encrypted five-part JWE included: we hold no decryption key).
 * Error messages name what is wrong, never the token's text.
 */
export function readUnverified(token: string, maxBytes: number): UnverifiedToken {
  if (token.length > maxBytes) {
    throw agError(
      'AG_ERR_AUTH_TOKEN_INVALID',
      `token of ${token.length} bytes exceeds the limit of ${maxBytes}`,
    );
  }
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
    throw agError(
      'AG_ERR_AUTH_TOKEN_INVALID',
      'malformed token: not a compact JWS (header.payload.signature)',
    );
  }
  const header = decodeSegment(token.slice(0, first), 'header');
  const claims = decodeSegment(token.slice(first + 1, second), 'payload');
  if (!BASE64URL.test(token.slice(second + 1))) {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'malformed token: signature is not base64url');
  }
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg === '') {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'malformed token: header has no algorithm');
  }
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') {
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'malformed token: kid is not a string');
  }
  const iss = claims['iss'];
  if (typeof iss !== 'string' || iss === '')
    throw agError('AG_ERR_AUTH_TOKEN_INVALID', 'token has no issuer');
  return { header, claims, alg, kid, iss };
}

/** Follows a claim path through nested objects; undefined when any step is missing. */
export function claimAt(claims: JsonObject, path: readonly string[]): unknown {
  let node: unknown = claims;
  for (const key of path) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

export { isObject };
